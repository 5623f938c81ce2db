export interface ExchangeClockOptions {
  /**
   * Largest forward step (ms) one event moves the clock by on its own. Default
   * 1000: the rate engine's settle time, so a wild event the step lets through
   * shifts timer evaluations by no more than the margin they already keep.
   */
  stepToleranceMs?: number;
  /** Recent events a larger step is judged against. Default 15. */
  window?: number;
}

/**
 * The exchange's clock as the collector sees it: the largest event time seen,
 * advanced by local monotonic time since it arrived, made robust to outliers.
 * Windows are measured on this clock, so local clock skew does not bend them and
 * a replay of recorded data at any speed yields the same values as live. Before
 * the first event, it falls back to local wall-clock time.
 *
 * Internally the clock is `offset + monotonic now`, and each event proposes the
 * offset `E - monotonic arrival time`; the plain rule "largest E, advanced" is
 * "largest proposed offset". Taken literally, two events stamped minutes ahead
 * ratchet the clock so far that every real trade is refused as out of range
 * until a restart. So:
 *
 * - a proposal at most `stepToleranceMs` ahead is taken at once (live feeds,
 *   dense replays at any speed: exactly the plain rule);
 * - a larger jump is taken only as far as a majority of the last `window`
 *   events agree: the clock moves to the (floor(window/2)+1)-th largest recent
 *   proposal. Fewer wild events than that cannot move it at all, and a genuine
 *   jump that persists (a sparse replay, a corrected exchange clock) is followed
 *   after floor(window/2)+1 events.
 *
 * The offset never decreases, so `now()` never moves back. Per event the cost is
 * one ring-buffer write; the order statistic (a sort of `window` numbers) is
 * computed only for proposals beyond the tolerance.
 */
export class ExchangeClock {
  private offset: number | undefined;
  private readonly stepToleranceMs: number;
  private readonly recent: Float64Array;
  private readonly scratch: Float64Array;
  private readonly quorum: number;
  private filled = 0;
  private next = 0;

  constructor(
    private readonly monotonicNow: () => number = () => performance.now(),
    private readonly wallNow: () => number = () => Date.now(),
    options: ExchangeClockOptions = {},
  ) {
    const window = options.window ?? 15;
    this.stepToleranceMs = options.stepToleranceMs ?? 1000;
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`clock window must be a positive integer, got ${window}`);
    if (!(this.stepToleranceMs >= 0)) throw new RangeError(`clock step tolerance must be >= 0, got ${this.stepToleranceMs}`);
    this.recent = new Float64Array(window);
    this.scratch = new Float64Array(window);
    this.quorum = Math.floor(window / 2) + 1;
  }

  /** Feeds an event time (ms); never moves the clock back, and an outlier not forward. */
  observe(eventTime: number): void {
    const proposed = eventTime - this.monotonicNow();
    this.recent[this.next] = proposed;
    this.next = (this.next + 1) % this.recent.length;
    if (this.filled < this.recent.length) this.filled += 1;
    if (this.offset === undefined) {
      this.offset = proposed;
      return;
    }
    if (proposed <= this.offset) return;
    if (proposed - this.offset <= this.stepToleranceMs) {
      this.offset = proposed;
      return;
    }
    const agreed = this.agreedOffset();
    if (agreed > this.offset) this.offset = agreed;
  }

  now(): number {
    if (this.offset === undefined) return this.wallNow();
    return Math.floor(this.offset + this.monotonicNow());
  }

  /** True once an event has been seen; until then `now()` is local time. */
  get synchronized(): boolean {
    return this.offset !== undefined;
  }

  /** The largest offset a quorum of the recent events proposes (at least); -Infinity while too few are known. */
  private agreedOffset(): number {
    if (this.filled < this.quorum) return -Infinity;
    const values = this.scratch.subarray(0, this.filled);
    values.set(this.recent.subarray(0, this.filled));
    values.sort();
    return values[this.filled - this.quorum]!;
  }
}
