import { CollectorError } from '../../../shared';

/** The budget's wait queue is full: the caller counts the refusal and tries again later. */
export class WeightQueueFullError extends CollectorError {
  constructor(readonly maxQueued: number) {
    super(
      'REST_QUEUE_FULL',
      `REST request refused: ${maxQueued} requests already wait for request weight. The exchange's weight limit is the bottleneck; lower the backfill concurrency or raise the budget's maxQueued.`,
    );
  }
}

/** A request asks for more weight than one minute's budget holds, so it could never run. */
export class WeightTooLargeError extends CollectorError {
  constructor(weight: number, budget: number) {
    super('REST_WEIGHT_TOO_LARGE', `REST request of weight ${weight} can never run under a budget of ${budget} a minute; raise limitPerMinute or safetyRatio.`);
  }
}

/** The budget was closed (collector stopping) while the request waited. */
export class WeightBudgetClosedError extends CollectorError {
  constructor() {
    super('REST_BUDGET_CLOSED', 'REST request cancelled: the request-weight budget was closed because the collector is stopping.');
  }
}

/** The caller's AbortSignal fired while the request waited for weight. */
export class WeightWaitAbortedError extends CollectorError {
  constructor(cause: unknown) {
    super('REST_WAIT_ABORTED', 'REST request cancelled by its caller while waiting for request weight.', { cause });
  }
}
