import { Duration, aws_lambda as lambda, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface HistoryQueueProps {
  /** Timeout of the consuming function: the visibility timeout is derived from it. */
  consumerTimeout: Duration;
  /** The event source's batching window, added on top as AWS recommends. */
  maxBatchingWindow: Duration;
}

/** Redeliveries before a message moves to the DLQ. */
export const MAX_RECEIVE_COUNT = 5;

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
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }

  /**
   * The ingest function as this queue's consumer: one place for the event source
   * mapping, so the AWS and the LocalStack stacks cannot drift apart. Partial
   * batch responses let the function fail exactly the records it could not store.
   */
  addConsumer(scope: Construct, id: string, fn: lambda.IFunction, options: ConsumerOptions): lambda.EventSourceMapping {
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
