import { Duration, aws_sqs as sqs } from 'aws-cdk-lib';
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
export class HistoryQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: HistoryQueueProps) {
    super(scope, id);
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
}
