import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Pool } from 'pg';
import { classifyPgError } from '../../services/shared/db';
import { errorMessage } from '../../services/shared/errors';
import type { DependencySource, Lease } from '../../services/shared/lifecycle';
import type { HistoryMessage } from '../../services/shared/history';
import { createLogger, type Logger } from '../../services/shared/logger';
import { IngestDatabaseError, InvalidMessageError } from './errors';
import { mergeMessages } from './merge';
import { loadIngestConfig } from './config';
import { createIngestPools } from './pool';
import { createSqsClient } from './queues';
import type { SqsBatchResponse, SqsEvent, SqsRecord } from './sqs-event';
import { emptyWriteResult, writeMerged, type WriteResult } from './store';
import { parseHistoryMessage } from './validate';
import { createVisibilityBackoff, type VisibilityDeferral } from './visibility';

/** The part of Powertools' Metrics the handler uses, so tests and benchmarks can pass a recorder. */
export interface IngestMetrics {
  addMetric(name: string, unit: Parameters<Metrics['addMetric']>[1], value: number): unknown;
  publishStoredMetrics(): unknown;
  /**
   * A metric published on its own with extra dimensions (Powertools'
   * singleMetric): refused rows are counted per `reason` as well. Optional, so a
   * recorder in a test or benchmark need not have it.
   */
  singleMetric?(): { addDimension(name: string, value: string): unknown; addMetric(name: string, unit: Parameters<Metrics['addMetric']>[1], value: number): unknown };
}

export interface IngestHandlerOptions {
  /**
   * A pool the caller owns, or the owner of one (the Lambda resolves its URL,
   * maybe from Secrets Manager, on first use): after the database refused the
   * credentials (a rotated secret) the handler invalidates it, so the next batch
   * reads the secret again.
   */
  pool: Pool | DependencySource<Pool>;
  logger: Logger;
  metrics: IngestMetrics;
  /** Called when the database refused the credentials of a pool the caller owns. */
  onCredentialError?: () => void;
  /**
   * Extends the visibility of records that failed because a dependency is down
   * (not poison), so an outage does not spend their receives (visibility.ts).
   * Without it they reappear after the queue's visibility timeout.
   */
  visibility?: VisibilityDeferral;
}

function isDependencySource(pool: Pool | DependencySource<Pool>): pool is DependencySource<Pool> {
  return typeof (pool as Partial<DependencySource<Pool>>).acquire === 'function' && typeof (pool as Partial<DependencySource<Pool>>).invalidate === 'function';
}

/** A pool the caller owns is never replaced here; the caller hears of refused credentials through onCredentialError. */
function fixedPool(pool: Pool): DependencySource<Pool> {
  return { acquire: async () => ({ value: pool, generation: 0 }), invalidate: async () => undefined };
}

export type IngestHandler = (event: SqsEvent, context?: unknown) => Promise<SqsBatchResponse>;

interface ValidRecord {
  record: SqsRecord;
  message: HistoryMessage;
}

interface BatchOutcome {
  write: WriteResult;
  rowsIn: number;
  duplicates: number;
  statusSnapshots: number;
  failed: Set<string>;
  /** Failed for a dependency (database, secret): redelivery after a backoff can store them. */
  unavailable: SqsRecord[];
}

/**
 * SQS batch -> validate each record -> merge and de-duplicate -> one bulk
 * upsert -> the ids of exactly the records that were not stored.
 *
 * The partial batch response is built here rather than with Powertools'
 * BatchProcessor: that utility calls a handler per record and derives the
 * response from those calls, while the write here is one statement for the
 * whole batch, decided after every record was seen. Using it would mean a
 * per-record step that only validates and then patching its failure list after
 * the bulk write; the response itself is a list of ids.
 */
export function createIngestHandler(options: IngestHandlerOptions): IngestHandler {
  const { logger, metrics } = options;
  const source: DependencySource<Pool> = isDependencySource(options.pool) ? options.pool : fixedPool(options.pool);

  return async (event) => {
    const started = performance.now();
    const records = event.Records ?? [];
    const outcome: BatchOutcome = { write: emptyWriteResult(), rowsIn: 0, duplicates: 0, statusSnapshots: 0, failed: new Set(), unavailable: [] };
    const valid: ValidRecord[] = [];
    for (const record of records) {
      try {
        valid.push({ record, message: parseHistoryMessage(record.body) });
      } catch (error) {
        outcome.failed.add(record.messageId);
        logger.warn('invalid SQS record; it goes to the DLQ after maxReceiveCount', {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          error: errorMessage(error),
          code: error instanceof InvalidMessageError ? error.code : undefined,
        });
      }
    }
    if (valid.length > 0) await store(valid, outcome);
    const deferred = outcome.unavailable.length > 0 ? await options.visibility?.defer(outcome.unavailable) : undefined;
    const unavailable = new Set(outcome.unavailable.map((r) => r.messageId));
    const poison = records.filter((r) => outcome.failed.has(r.messageId) && !unavailable.has(r.messageId));
    if (poison.length > 0) await options.visibility?.expedite(poison);

    const latencyMs = performance.now() - started;
    metrics.addMetric('RowsInserted', MetricUnit.Count, outcome.write.rowsWritten);
    metrics.addMetric('RowsUnchanged', MetricUnit.Count, outcome.rowsIn - outcome.write.rowsWritten - outcome.write.rowsRefused);
    // Refused rows are not failures: their records are acknowledged, since no
    // redelivery could store them. One reason so far (older_than_retention).
    metrics.addMetric('RowsRefused', MetricUnit.Count, outcome.write.rowsRefused);
    metrics.addMetric('RecordsFailed', MetricUnit.Count, outcome.failed.size);
    metrics.addMetric('StatusSnapshots', MetricUnit.Count, outcome.statusSnapshots);
    metrics.addMetric('BatchLatency', MetricUnit.Milliseconds, latencyMs);
    metrics.publishStoredMetrics();
    const summary = {
      records: records.length,
      failed: outcome.failed.size,
      rowsIn: outcome.rowsIn,
      rowsWritten: outcome.write.rowsWritten,
      rowsReplaced: outcome.write.rowsReplaced,
      rowsRefused: outcome.write.rowsRefused,
      duplicatesInBatch: outcome.duplicates,
      statusSnapshots: outcome.statusSnapshots,
      statusesWritten: outcome.write.statusesWritten,
      ...(deferred ? { deferred: deferred.deferred } : {}),
      latencyMs: Math.round(latencyMs),
    };
    if (outcome.write.rowsRefused > 0) {
      const byReason = metrics.singleMetric?.();
      byReason?.addDimension('reason', 'older_than_retention');
      byReason?.addMetric('RowsRefused', MetricUnit.Count, outcome.write.rowsRefused);
      logger.warn('rows older than raw retention refused: not stored, not failed', {
        reason: 'older_than_retention',
        rowsRefused: outcome.write.rowsRefused,
        rawCutoff: outcome.write.rawCutoffMs === undefined ? undefined : new Date(outcome.write.rawCutoffMs).toISOString(),
      });
    }
    if (outcome.failed.size > 0) logger.warn('batch partly failed', summary);
    else logger.info('batch stored', summary);
    // In record order, as Lambda reports them.
    return { batchItemFailures: records.filter((r) => outcome.failed.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId })) };
  };

  async function store(valid: ValidRecord[], outcome: BatchOutcome): Promise<void> {
    const merged = mergeMessages(valid.map((v) => v.message));
    outcome.rowsIn = merged.rateRowsIn;
    outcome.duplicates = merged.rateDuplicates;
    outcome.statusSnapshots = merged.statusSnapshots;
    let lease: Lease<Pool> | undefined;
    try {
      lease = await source.acquire();
      outcome.write = await writeMerged(lease.value, merged);
      return;
    } catch (error) {
      if (lease && error instanceof IngestDatabaseError && !error.transient && valid.length > 1) {
        logger.warn('the database refused the batch; writing its records one by one to find the refused ones', { error: errorMessage(error) });
        await storeOneByOne(lease.value, valid, outcome);
        return;
      }
      for (const v of valid) outcome.failed.add(v.record.messageId);
      // Only a refusal of the data itself is the record's fault; everything else is a dependency's.
      if (!(error instanceof IngestDatabaseError && !error.transient)) outcome.unavailable.push(...valid.map((v) => v.record));
      logger.error('storing the batch failed; every record is left for redelivery', { records: valid.length, error: errorMessage(error) });
      if (classifyPgError(error) === 'credentials') {
        options.onCredentialError?.();
        if (lease) await source.invalidate(lease.generation);
      }
    }
  }

  /**
   * A record the schema accepts but the database refuses (a CHECK constraint the
   * schema does not mirror) would otherwise fail the whole batch on every
   * delivery and drag its batch-mates into the DLQ. Written alone, each record
   * stands on its own; the upsert rule makes the order irrelevant.
   */
  async function storeOneByOne(pool: Pool, valid: ValidRecord[], outcome: BatchOutcome): Promise<void> {
    for (let i = 0; i < valid.length; i += 1) {
      const { record, message } = valid[i]!;
      try {
        const result = await writeMerged(pool, mergeMessages([message]));
        outcome.write.rowsWritten += result.rowsWritten;
        outcome.write.rowsReplaced += result.rowsReplaced;
        outcome.write.rowsRefused += result.rowsRefused;
        outcome.write.rawCutoffMs ??= result.rawCutoffMs;
        outcome.write.statusesWritten += result.statusesWritten;
      } catch (error) {
        outcome.failed.add(record.messageId);
        if (error instanceof IngestDatabaseError && !error.transient) {
          logger.warn('the database refused a record; it goes to the DLQ after maxReceiveCount', { messageId: record.messageId, error: errorMessage(error) });
          continue;
        }
        // The database went away meanwhile: the rest is not stored either.
        for (const rest of valid.slice(i + 1)) outcome.failed.add(rest.record.messageId);
        outcome.unavailable.push(...valid.slice(i).map((v) => v.record));
        logger.error('storing records one by one failed; the rest are left for redelivery', { error: errorMessage(error) });
        return;
      }
    }
  }
}

let lambdaHandler: IngestHandler | undefined;

/** Lazily built on the first invocation and kept for the container's life, with its pool. */
function defaultHandler(): IngestHandler {
  const config = loadIngestConfig();
  const logger = createLogger({ serviceName: 'ingest' });
  const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: 'ingest' });
  const pools = createIngestPools(config, logger);
  return createIngestHandler({ pool: pools, logger, metrics, visibility: createVisibilityBackoff({ client: createSqsClient(), logger }) });
}

/** The Lambda entry point (SQS event source mapping with ReportBatchItemFailures). */
export const handler: IngestHandler = async (event, context) => {
  lambdaHandler ??= defaultHandler();
  return lambdaHandler(event, context);
};
