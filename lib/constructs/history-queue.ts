import { Duration, aws_lambda as lambda, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_VISIBILITY_BACKOFF, receivesWithin } from '../../lambdas/ingest/visibility-policy';

export interface HistoryQueueProps {
  /** Timeout of the consuming function: the visibility timeout is derived from it. */
  consumerTimeout: Duration;
  /** The event source's batching window, added on top as AWS recommends. */
  maxBatchingWindow: Duration;
}

/** How long the history queue keeps a message. */
export const HISTORY_RETENTION = Duration.days(4);

/**
 * Receives before a message moves to the DLQ: enough that a database outage as
 * long as the retention never sends a record there, so the DLQ holds poison only.
 * On a dependency failure the ingest function hides a record for
 * min(30 s x 2^(receiveCount - 1), 1 h) (lambdas/ingest/visibility-policy.ts):
 * receives 1 to 8 come within 30 x (2^7 - 1) = 3,810 s (waits of 30 s ... 1,920 s),
 * then one an hour: 94 more in the remaining 341,790 s of the 4-day retention,
 * 102 receives in all (receivesWithin). 5 more cover receives that end without the backoff
 * (a throttled or timed-out invocation, a failed visibility call), which come
 * back after the queue's own visibility timeout: AWS's advice for those is at
 * least 5. The former value, 5, let an outage of 5 x 182 s = 15 min reach the
 * DLQ. Poison still reaches the DLQ in minutes: the ingest function makes a
 * record it can never store visible again after 2 s (visibility.ts expedite).
 */
export const MAX_RECEIVE_COUNT = receivesWithin(HISTORY_RETENTION.toSeconds(), DEFAULT_VISIBILITY_BACKOFF) + 5;

/**
 * The history queue between the collector and the ingest function, with its
 * dead-letter queue. SQS-managed encryption (no KMS key to pay for or grant),
 * TLS-only access, and a visibility timeout of six times the function timeout
 * (plus the batching window), so a batch is never redelivered while its
 * invocation, with the Lambda service's retries, may still be running.
 */
export interface ConsumerOptions {
  batchSize: number;
  maxConcurrency: number;
}

export class HistoryQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  private readonly maxBatchingWindow: Duration;

  constructor(scope: Construct, id: string, props: HistoryQueueProps) {
    super(scope, id);
    this.maxBatchingWindow = props.maxBatchingWindow;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6 + props.maxBatchingWindow.toSeconds()),
      retentionPeriod: HISTORY_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }

  /**
   * The ingest function as this queue's consumer: one place for the event source
   * mapping, so the AWS and the LocalStack stacks cannot drift apart. Partial
   * batch responses let the function fail exactly the records it could not store.
   */
  addConsumer(scope: Construct, id: string, fn: lambda.IFunction, options: ConsumerOptions): lambda.EventSourceMapping {
    // Includes sqs:ChangeMessageVisibility, which the function's visibility backoff calls itself.
    this.queue.grantConsumeMessages(fn);
    return new lambda.EventSourceMapping(scope, id, {
      target: fn,
      eventSourceArn: this.queue.queueArn,
      batchSize: options.batchSize,
      maxBatchingWindow: this.maxBatchingWindow.toSeconds() > 0 ? this.maxBatchingWindow : undefined,
      maxConcurrency: options.maxConcurrency,
      reportBatchItemFailures: true,
    });
  }
}
