import { CollectorError } from '../../services/shared/errors';

/**
 * An SQS record whose body is not a valid history message (not JSON, wrong
 * schema or version). Redelivery cannot fix it: it is reported as failed so SQS
 * moves it to the DLQ after maxReceiveCount, where an operator can inspect it.
 */
export class InvalidMessageError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INGEST_INVALID_MESSAGE', message, options);
  }
}

/**
 * The database could not take the batch: unreachable, timed out, or it rejected
 * the data. `transient` says whether retrying the same rows can succeed (outage)
 * or not (a row the database refuses, e.g. a CHECK constraint).
 */
export class IngestDatabaseError extends CollectorError {
  readonly transient: boolean;

  constructor(message: string, transient: boolean, options?: { cause?: unknown }) {
    super(transient ? 'INGEST_DATABASE_UNAVAILABLE' : 'INGEST_DATABASE_REJECTED', message, options);
    this.transient = transient;
  }
}

/** The local runner cannot reach or use its queue (missing queue, bad arguments). */
export class IngestRunnerError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INGEST_RUNNER', message, options);
  }
}

/** A record names a queue whose URL cannot be derived (an eventSourceARN that is not an SQS queue ARN). */
export class IngestQueueError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INGEST_QUEUE', message, options);
  }
}
