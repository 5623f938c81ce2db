/**
 * Median of the last `size` prices, the baseline of the anomaly flag: a median
 * ignores the one wild print it is meant to judge, where a mean would follow it.
 * Fixed-size ring plus a scratch buffer: no allocation per trade.
 */
export class RecentMedian {
  private readonly values: Float64Array;
  private readonly scratch: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size = 21) {
    this.values = new Float64Array(size);
    this.scratch = new Float64Array(size);
  }

  get count(): number {
    return this.filled;
  }

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled += 1;
  }

  /** Median of what was pushed so far, or NaN when empty. */
  median(): number {
    if (this.filled === 0) return Number.NaN;
    const scratch = this.scratch.subarray(0, this.filled);
    scratch.set(this.values.subarray(0, this.filled));
    scratch.sort();
    const mid = this.filled >> 1;
    return this.filled % 2 === 1 ? scratch[mid]! : (scratch[mid - 1]! + scratch[mid]!) / 2;
  }
}
