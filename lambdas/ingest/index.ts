export { loadIngestConfig } from './config';
export type { IngestConfig } from './config';
export { createIngestHandler, handler } from './handler';
export type { IngestHandler, IngestHandlerOptions, IngestMetrics } from './handler';
export { IngestDatabaseError, IngestQueueError, IngestRunnerError, InvalidMessageError } from './errors';
export { mergeMessages } from './merge';
export type { MergedBatch, RateRecord, StatusRecord } from './merge';
export { createIngestPool, resolveDatabaseUrl } from './pool';
export type { IngestPoolOptions, SecretFetcher } from './pool';
export { createSqsClient, ensureQueues } from './queues';
export type { EnsuredQueues, EnsureQueuesOptions, SqsClientOptions } from './queues';
export { compareRatePrecedence, supersedes } from './precedence';
export { SqsEventSourceRunner } from './runner';
export type { RunnerOptions, RunnerStats } from './runner';
export type { SqsBatchResponse, SqsEvent, SqsRecord } from './sqs-event';
export { encodeRateCopyLine, encodeRatesCopy, RATE_COPY_COLUMNS, rateCopyChunks } from './copy';
export { aggregateMinutes, compareDecimal } from './rollup';
export type { MinuteRecord } from './rollup';
export { closedDayKeys, partitionProbeTimes, RetentionCache, splitByRetention } from './retention';
export type { DayKeys, RetentionCacheOptions, RetentionSplit } from './retention';
export {
  buildStatusUpsert,
  minuteAggregateSql,
  ratePrecedenceKey,
  RATES_COPY_SQL,
  RATES_DIRECT_COPY_SQL,
  ROLLUP_MINUTES_MERGE_SQL,
  RATES_INSERT_SQL,
  RATES_REPLACE_SQL,
  RATES_ROLLUP_LOCK_SQL,
  RATES_ROLLUP_RECOMPUTE_SQL,
  RATES_STAGE_SQL,
  RATES_STAGE_TABLE,
  STATUS_UPSERT_SQL,
} from './sql';
export type { SqlStatement } from './sql';
export { emptyWriteResult, isTransientDatabaseError, writeMerged } from './store';
export type { WriteResult } from './store';
export { parseHistoryMessage } from './validate';
export { createVisibilityBackoff } from './visibility';
export type { DeferResult, VisibilityBackoffOptions, VisibilityDeferral } from './visibility';
export { DEFAULT_VISIBILITY_BACKOFF, queueUrlFromArn, receivesWithin, SQS_MAX_VISIBILITY_SECONDS, visibilityBackoffSeconds } from './visibility-policy';
export type { VisibilityBackoffPolicy } from './visibility-policy';
