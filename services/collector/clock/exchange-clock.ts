/**
 * The exchange's clock as the collector sees it: the largest event time seen,
 * advanced by local monotonic time since it arrived. Windows are measured on
 * this clock, so local clock skew does not bend them and a replay of recorded
 * data at any speed yields the same values as live. Before the first event, it
 * falls back to local wall-clock time.
 */
export class ExchangeClock {
  private anchorEventTime: number | undefined;
  private anchorMono = 0;

  constructor(
    private readonly monotonicNow: () => number = () => performance.now(),
    private readonly wallNow: () => number = () => Date.now(),
  ) {}

  /** Feeds an event time (ms); only ever moves the clock forward. */
  observe(eventTime: number): void {
    const mono = this.monotonicNow();
    if (this.anchorEventTime === undefined || eventTime > this.anchorEventTime + (mono - this.anchorMono)) {
      this.anchorEventTime = eventTime;
      this.anchorMono = mono;
    }
  }

  now(): number {
    if (this.anchorEventTime === undefined) return this.wallNow();
    return Math.floor(this.anchorEventTime + (this.monotonicNow() - this.anchorMono));
  }

  /** True once an event has been seen; until then `now()` is local time. */
  get synchronized(): boolean {
    return this.anchorEventTime !== undefined;
  }
}
