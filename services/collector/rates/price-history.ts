const SEEDED = 1;
const ANOMALY = 2;

/**
 * One symbol's trade prices over the longest window, as "the last trade of each
 * millisecond", in time order.
 *
 * Why this is exact for the design's definition: `ref_W(t)` is the price of the
 * latest trade with `T <= t - W`, and `price(t)` the latest with `T <= t`. Among
 * trades sharing a millisecond only the last (highest id) can ever be "latest at or
 * before" any t, because t has millisecond resolution; so keeping one entry per
 * millisecond loses nothing. Entries older than the newest one at or before
 * `t - maxWindow` can never be a reference again once the clock has passed them
 * (the exchange clock does not go back), so `prune` drops them and keeps that one.
 *
 * Memory is bounded by the distinct milliseconds with trades in the retained
 * span (the longest window plus the caller's margin for past evaluations): at
 * most one entry per millisecond, 17 bytes each, in practice the symbol's trades
 * in that span. Typed arrays in a ring keep it compact and free of per-trade
 * allocation.
 */
export class PriceHistory {
  private times: Float64Array;
  private prices: Float64Array;
  /** Per entry: SEEDED where it came from warm-start candles rather than a trade, ANOMALY where that trade was flagged. */
  private marks: Uint8Array;
  private head = 0;
  private count = 0;
  /** True once `prune` dropped an entry: lookups before `firstTime` are no longer answerable. */
  private prunedValue = false;

  constructor(private readonly initialCapacity = 64) {
    this.times = new Float64Array(initialCapacity);
    this.prices = new Float64Array(initialCapacity);
    this.marks = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.count;
  }

  get capacity(): number {
    return this.times.length;
  }

  get lastTime(): number | undefined {
    return this.count === 0 ? undefined : this.times[this.index(this.count - 1)];
  }

  get firstTime(): number | undefined {
    return this.count === 0 ? undefined : this.times[this.head];
  }

  /** True once entries were pruned: the history no longer starts with the symbol's first known price. */
  get pruned(): boolean {
    return this.prunedValue;
  }

  /**
   * Records a trade (or, `seeded`, a candle's close). Trades arrive in id order;
   * Binance's trade times never go back with the id, but should one do, it is
   * kept at the newest time seen so far (it is the latest trade, and time order
   * must hold for the lookups).
   *
   * A trade at or before the newest candle stand-ins replaces them instead: the
   * live feed is complete from its first trade on (the sequencer fills gaps), so
   * candles at or after that trade's time stand for trades that will arrive as
   * trades. Overwriting the candle's slot in place (as this did before) gave the
   * trade's price the candle's time and cleared its `seeded` mark, while the
   * engine kept the candle's price text: a candle price written as current, with
   * no flag (issue 11).
   */
  append(time: number, price: number, seeded = false, anomaly = false): void {
    if (!seeded) while (this.count > 0 && this.isSeededAt(this.count - 1) && this.times[this.index(this.count - 1)]! >= time) this.count -= 1;
    const mark = (seeded ? SEEDED : 0) | (anomaly ? ANOMALY : 0);
    if (this.count > 0) {
      const last = this.index(this.count - 1);
      if (time <= this.times[last]!) {
        this.prices[last] = price;
        this.marks[last] = mark;
        return;
      }
    }
    if (this.count === this.times.length) this.resize(this.times.length * 2);
    const at = this.index(this.count);
    this.times[at] = time;
    this.prices[at] = price;
    this.marks[at] = mark;
    this.count += 1;
  }

  /** Adds an entry older than everything held (warm start after live trades began); ignored otherwise. */
  prepend(time: number, price: number, seeded = true): boolean {
    if (this.count > 0 && time >= this.times[this.head]!) return false;
    if (this.count === this.times.length) this.resize(this.times.length * 2);
    this.head = (this.head - 1 + this.times.length) % this.times.length;
    this.times[this.head] = time;
    this.prices[this.head] = price;
    this.marks[this.head] = seeded ? SEEDED : 0;
    this.count += 1;
    return true;
  }

  /** Position (0 = oldest) of the newest entry with time <= t, or -1. */
  positionAtOrBefore(t: number): number {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.times[this.index(mid)]! <= t) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  priceAt(position: number): number {
    return this.prices[this.index(position)]!;
  }

  timeAt(position: number): number {
    return this.times[this.index(position)]!;
  }

  isSeededAt(position: number): boolean {
    return (this.marks[this.index(position)]! & SEEDED) !== 0;
  }

  /** Whether the last trade of the entry's millisecond was an anomaly (the engine's `anomaly` as of that entry). */
  isAnomalyAt(position: number): boolean {
    return (this.marks[this.index(position)]! & ANOMALY) !== 0;
  }

  /** Drops entries that can no longer be a reference for any t >= `horizon + maxWindow`. */
  prune(oldestReferenceTime: number): void {
    const keepFrom = this.positionAtOrBefore(oldestReferenceTime);
    if (keepFrom > 0) {
      this.head = this.index(keepFrom);
      this.count -= keepFrom;
      this.prunedValue = true;
    }
    if (this.times.length > this.initialCapacity && this.count < this.times.length / 4) this.resize(Math.max(this.initialCapacity, this.times.length / 2));
  }

  private index(position: number): number {
    const i = this.head + position;
    return i >= this.times.length ? i - this.times.length : i;
  }

  private resize(capacity: number): void {
    const times = new Float64Array(capacity);
    const prices = new Float64Array(capacity);
    const marks = new Uint8Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = this.index(i);
      times[i] = this.times[from]!;
      prices[i] = this.prices[from]!;
      marks[i] = this.marks[from]!;
    }
    this.times = times;
    this.prices = prices;
    this.marks = marks;
    this.head = 0;
  }
}
