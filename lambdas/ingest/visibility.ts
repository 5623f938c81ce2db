import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from '../../services/shared/errors';
import type { Logger } from '../../services/shared/logger';
import type { SqsRecord } from './sqs-event';
import { DEFAULT_VISIBILITY_BACKOFF, queueUrlFromArn, visibilityBackoffSeconds, type VisibilityBackoffPolicy } from './visibility-policy';

/** What the handler calls for records that failed because a dependency is down. */
export interface VisibilityDeferral {
  /** Hides the records for their backoff; never throws (a failure leaves them the queue's own timeout). */
  defer(records: readonly SqsRecord[]): Promise<DeferResult>;
  /**
   * Makes poison records (invalid, or refused by the database) visible again
   * within seconds, so they spend their receives and reach the DLQ in minutes:
   * with maxReceiveCount sized for a four-day outage, the queue's own timeout
   * would keep one there for hours before the DLQ alarm could name it.
   */
  expedite(records: readonly SqsRecord[]): Promise<DeferResult>;
}

export interface DeferResult {
  deferred: number;
  failed: number;
}

export interface VisibilityBackoffOptions {
  client: Pick<SQSClient, 'send'>;
  logger: Logger;
  policy?: VisibilityBackoffPolicy;
  /**
   * The URL of a record's queue. Default: `INGEST_QUEUE_URL` when set (emulators
   * that know queues only by the URL they returned), else derived from the
   * record's eventSourceARN.
   */
  queueUrl?: (eventSourceArn: string) => string;
  /** Bound on each SQS call, so a dead endpoint cannot hold the invocation. Default 5000 ms. */
  timeoutMs?: number;
  /** Visibility of a poison record after a failed receive. Default 2 s: soon, but no tighter loop than the poller's. */
  poisonVisibilitySeconds?: number;
}

/** ChangeMessageVisibilityBatch takes at most 10 entries. */
const BATCH_LIMIT = 10;

/**
 * Visibility backoff for dependency failures. Without it a failed record
 * reappears after the queue's visibility timeout whatever the cause, so an
 * outage spends maxReceiveCount receives in minutes and sends good records to
 * the DLQ (a 15 s PostgreSQL outage with a short timeout sent 400
 * symbol-seconds there). Extending the visibility by the receive count's
 * backoff spaces the receives out, so an outage as long as the retention fits
 * in maxReceiveCount receives and the DLQ holds only poison records, which keep
 * the queue's timeout.
 */
export function createVisibilityBackoff(options: VisibilityBackoffOptions): VisibilityDeferral {
  const { client, logger } = options;
  const policy = options.policy ?? DEFAULT_VISIBILITY_BACKOFF;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const override = process.env.INGEST_QUEUE_URL;
  const urlOf = options.queueUrl ?? ((arn: string) => override || queueUrlFromArn(arn));

  const poisonSeconds = options.poisonVisibilitySeconds ?? 2;

  return {
    async defer(records) {
      const result = await changeAll(records, (record) => visibilityBackoffSeconds(receiveCount(record), policy));
      logger.info('records left invisible with backoff until the dependency may be back', {
        ...result,
        visibilitySeconds: [...new Set(records.map((r) => visibilityBackoffSeconds(receiveCount(r), policy)))].sort((a, b) => a - b),
      });
      return result;
    },
    async expedite(records) {
      if (records.length === 0) return { deferred: 0, failed: 0 };
      return changeAll(records, () => poisonSeconds);
    },
  };

  async function changeAll(records: readonly SqsRecord[], secondsOf: (record: SqsRecord) => number): Promise<DeferResult> {
    const byQueue = new Map<string, SqsRecord[]>();
    let failed = 0;
    for (const record of records) {
      let url: string;
      try {
        url = urlOf(record.eventSourceARN);
      } catch (error) {
        failed += 1;
        logger.warn('cannot change the visibility of a record: its queue URL is unknown', { messageId: record.messageId, error: errorMessage(error) });
        continue;
      }
      const list = byQueue.get(url) ?? [];
      list.push(record);
      byQueue.set(url, list);
    }
    const chunks: Array<{ url: string; records: SqsRecord[] }> = [];
    for (const [url, list] of byQueue) {
      for (let i = 0; i < list.length; i += BATCH_LIMIT) chunks.push({ url, records: list.slice(i, i + BATCH_LIMIT) });
    }
    const results = await Promise.all(chunks.map((chunk) => change(chunk.url, chunk.records, secondsOf)));
    failed += results.reduce((sum, n) => sum + n, 0);
    return { deferred: records.length - failed, failed };
  }

  /** One ChangeMessageVisibilityBatch; returns how many entries it could not change. */
  async function change(queueUrl: string, records: SqsRecord[], secondsOf: (record: SqsRecord) => number): Promise<number> {
    try {
      const output = await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle, VisibilityTimeout: secondsOf(r) })),
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      );
      const refused = output.Failed ?? [];
      if (refused.length > 0) {
        logger.warn('SQS refused some visibility changes; those records reappear after the queue visibility timeout', {
          queueUrl,
          failed: refused.map((f) => ({ messageId: records[Number(f.Id)]?.messageId, code: f.Code, message: f.Message })),
        });
      }
      return refused.length;
    } catch (error) {
      logger.warn('ChangeMessageVisibilityBatch failed; the records reappear after the queue visibility timeout', { queueUrl, records: records.length, error: errorMessage(error) });
      return records.length;
    }
  }
}

const receiveCount = (record: SqsRecord): number => Number(record.attributes?.ApproximateReceiveCount ?? 1);
