import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { errorMessage } from '../../services/shared/errors';
import type { Logger } from '../../services/shared/logger';
import { IngestRunnerError } from './errors';
import type { IngestHandler } from './handler';
import type { SqsEvent, SqsRecord } from './sqs-event';

export interface RunnerOptions {
  client: SQSClient;
  queueUrl: string;
  handler: IngestHandler;
  logger: Logger;
  /** Records per handler call, like the event source mapping's BatchSize (1..10,000). Default 10. */
  batchSize?: number;
  /** MaximumBatchingWindowInSeconds in ms: how long to gather records once the first arrived. Default 0. */
  batchingWindowMs?: number;
  /** Seconds a received message stays invisible; failed records reappear after it. Default: the queue's own. */
  visibilityTimeoutSeconds?: number;
  /** Pollers running side by side, like the mapping's concurrent function instances. Default 1. */
  concurrency?: number;
  /** Long-poll wait per ReceiveMessage, seconds (0..20). Default 20, as the event source mapping does. */
  waitTimeSeconds?: number;
}

export interface RunnerStats {
  batches: number;
  records: number;
  failedRecords: number;
  deleted: number;
}

/** Pause after a failed ReceiveMessage (endpoint down, throttled) before the next one. */
const RECEIVE_RETRY_MS = [200, 500, 1_000, 2_000, 5_000];

/**
 * Polls a queue with the semantics of Lambda's SQS event source mapping and
 * invokes the ingest handler with real SQSEvent objects: long polling; records
 * gathered up to batchSize or until the batching window closes; the handler's
 * batchItemFailures left on the queue (they reappear after the visibility
 * timeout, their receive count grows, and the queue's RedrivePolicy moves them
 * to the DLQ) and every other record deleted; a handler that throws leaves the
 * whole batch, as Lambda does. The DLQ move is the queue's own (SQS, LocalStack
 * and fauxqs 1.9.2 all apply RedrivePolicy on receive), so the runner never moves
 * messages itself.
 *
 * The loop is written here rather than with sqs-consumer: v15 needs Node 22,
 * and v14 (the last for Node 20) hands over one ReceiveMessage (at most 10
 * messages) per batch, with no batching window and no batches above 10.
 */
export class SqsEventSourceRunner {
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly concurrency: number;
  private readonly waitTimeSeconds: number;
  private stopping = false;
  private readonly idlePolls = new Set<AbortController>();
  private workers: Promise<void>[] = [];
  private queueArn = '';
  private region = '';
  readonly stats: RunnerStats = { batches: 0, records: 0, failedRecords: 0, deleted: 0 };

  constructor(private readonly options: RunnerOptions) {
    this.batchSize = options.batchSize ?? 10;
    this.windowMs = options.batchingWindowMs ?? 0;
    this.concurrency = options.concurrency ?? 1;
    this.waitTimeSeconds = options.waitTimeSeconds ?? 20;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10_000) throw new IngestRunnerError('batch size must be 1..10000');
    // The event source mapping demands a window for batches above 10 (one ReceiveMessage returns at most 10).
    if (this.batchSize > 10 && this.windowMs <= 0) throw new IngestRunnerError('a batch size above 10 needs a batching window (--batching-window-ms)');
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1 || this.concurrency > 100) throw new IngestRunnerError('concurrency must be 1..100');
    if (this.windowMs < 0 || this.windowMs > 300_000) throw new IngestRunnerError('batching window must be 0..300000 ms');
  }

  /** Checks the queue exists, reads its ARN for the events, and starts the pollers. */
  async start(): Promise<void> {
    const { client, queueUrl, logger } = this.options;
    let attributes: Record<string, string>;
    try {
      const output = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'RedrivePolicy', 'VisibilityTimeout'] }));
      attributes = output.Attributes ?? {};
    } catch (error) {
      throw new IngestRunnerError(`cannot read queue ${queueUrl}: ${errorMessage(error)}`, { cause: error });
    }
    this.queueArn = attributes.QueueArn ?? '';
    this.region = this.queueArn.split(':')[3] ?? (await client.config.region());
    if (!attributes.RedrivePolicy) logger.warn('queue has no RedrivePolicy: a record that always fails is retried forever', { queueUrl });
    logger.info('ingest runner started', {
      queueUrl,
      batchSize: this.batchSize,
      batchingWindowMs: this.windowMs,
      visibilityTimeoutSeconds: this.options.visibilityTimeoutSeconds ?? Number(attributes.VisibilityTimeout),
      concurrency: this.concurrency,
      redrivePolicy: attributes.RedrivePolicy,
    });
    this.workers = Array.from({ length: this.concurrency }, (_, i) => this.work(i));
  }

  /** Stops polling; the batches in flight are finished (handled and acknowledged) first. */
  async stop(): Promise<void> {
    this.stopping = true;
    // An idle long poll is abandoned; any message it had just taken reappears after the visibility timeout.
    for (const controller of this.idlePolls) controller.abort();
    await Promise.all(this.workers);
  }

  private async work(worker: number): Promise<void> {
    let receiveFailures = 0;
    while (!this.stopping) {
      let messages: Message[];
      try {
        messages = await this.gather();
        receiveFailures = 0;
      } catch (error) {
        if (this.stopping) break;
        const pause = RECEIVE_RETRY_MS[Math.min(receiveFailures, RECEIVE_RETRY_MS.length - 1)]!;
        receiveFailures += 1;
        this.options.logger.warn('ReceiveMessage failed; retrying', { worker, pauseMs: pause, error: errorMessage(error) });
        await sleep(pause);
        continue;
      }
      if (messages.length > 0) await this.invoke(messages);
    }
  }

  /** One batch: the first long poll waits for any message, later ones only while the window is open. */
  private async gather(): Promise<Message[]> {
    const batch: Message[] = [];
    let windowEnds = 0;
    while (batch.length < this.batchSize && !this.stopping) {
      let wait = this.waitTimeSeconds;
      if (batch.length > 0) {
        const remaining = windowEnds - Date.now();
        if (remaining <= 0) break;
        wait = Math.min(this.waitTimeSeconds, Math.ceil(remaining / 1000));
      }
      const idle = batch.length === 0 ? new AbortController() : undefined;
      if (idle) this.idlePolls.add(idle);
      try {
        const output = await this.options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: Math.min(10, this.batchSize - batch.length),
            WaitTimeSeconds: wait,
            VisibilityTimeout: this.options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          idle ? { abortSignal: idle.signal } : {},
        );
        const received = output.Messages ?? [];
        if (batch.length === 0 && received.length > 0) windowEnds = Date.now() + this.windowMs;
        batch.push(...received);
      } catch (error) {
        // Records already gathered are handled; the failure shows again on the next poll.
        if (batch.length > 0) break;
        throw error;
      } finally {
        if (idle) this.idlePolls.delete(idle);
      }
      if (this.windowMs === 0 && batch.length > 0) break;
    }
    return batch;
  }

  private async invoke(messages: Message[]): Promise<void> {
    const { logger, handler } = this.options;
    const event: SqsEvent = { Records: messages.map((m) => this.toRecord(m)) };
    let failed: Set<string>;
    try {
      const response = await handler(event);
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      logger.error('handler threw; the whole batch is left for redelivery', { records: messages.length, error: errorMessage(error) });
      failed = new Set(messages.map((m) => m.MessageId!));
    }
    this.stats.batches += 1;
    this.stats.records += messages.length;
    this.stats.failedRecords += failed.size;
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      const chunk = done.slice(i, i + 10);
      try {
        const output = await this.options.client.send(
          new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }),
        );
        this.stats.deleted += output.Successful?.length ?? 0;
        if (output.Failed?.length) logger.warn('some deletes failed; those records are redelivered and change nothing', { failed: output.Failed.length });
      } catch (error) {
        // Stored but not deleted: redelivery is harmless, the upsert ignores rows it already has.
        logger.warn('DeleteMessageBatch failed; the stored records will be redelivered', { records: chunk.length, error: errorMessage(error) });
      }
    }
  }

  private toRecord(message: Message): SqsRecord {
    const attributes = message.Attributes ?? {};
    const messageAttributes: SqsRecord['messageAttributes'] = {};
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      messageAttributes[name] = {
        dataType: value.DataType ?? 'String',
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      };
    }
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: {
        ...attributes,
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes,
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn,
      awsRegion: this.region,
    };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
