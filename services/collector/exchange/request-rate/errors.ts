import { CollectorError } from '../../../shared';

/**
 * The limiter's wait queue is full. Same code as the weight budget's refusal, so
 * metrics and callers treat both alike: count it, try again later.
 */
export class RateQueueFullError extends CollectorError {
  constructor(readonly limiter: string, readonly maxQueued: number) {
    super(
      'REST_QUEUE_FULL',
      `REST request refused: ${maxQueued} requests already wait for ${limiter}. The exchange's request rate is the bottleneck; lower the backfill concurrency or raise maxQueued.`,
    );
  }
}

/** The limiter was closed (collector stopping) while the request waited. */
export class RateLimiterClosedError extends CollectorError {
  constructor(readonly limiter: string) {
    super('REST_BUDGET_CLOSED', `REST request cancelled: ${limiter} was closed because the collector is stopping.`);
  }
}

/** The caller's AbortSignal fired while the request waited. */
export class RateWaitAbortedError extends CollectorError {
  constructor(readonly limiter: string, cause: unknown) {
    super('REST_WAIT_ABORTED', `REST request cancelled by its caller while waiting for ${limiter}.`, { cause });
  }
}
