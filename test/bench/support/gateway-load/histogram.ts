/**
 * Millisecond histograms that cross process boundaries: each client process
 * counts its samples per whole millisecond (Date.now() has no finer grain, and
 * the simulator stamps trade times in ms) and sends the counts; the bench sums
 * them. Memory is bounded by the cap, whatever the sample count.
 */

/** Samples at or above this many ms share one bucket: a step that cannot hold still reports, as "≥ cap". */
export const HISTOGRAM_CAP_MS = 60_000;

/** Sparse counts: whole milliseconds -> samples. */
export type MsCounts = Record<string, number>;

export class MsHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;

  get count(): number {
    return this.total;
  }

  /** Negative values (a clock step between processes) count as 0. */
  record(ms: number): void {
    const bucket = Math.min(HISTOGRAM_CAP_MS, Math.max(0, Math.round(ms)));
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total += 1;
  }

  add(counts: MsCounts): void {
    for (const [key, value] of Object.entries(counts)) {
      const bucket = Number(key);
      this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + value);
      this.total += value;
    }
  }

  toJSON(): MsCounts {
    return Object.fromEntries(this.counts);
  }

  /** The smallest value with at least `q` of the samples at or below it; NaN without samples. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen >= rank) return bucket;
    }
    return HISTOGRAM_CAP_MS;
  }

  max(): number {
    return this.total === 0 ? Number.NaN : Math.max(...this.counts.keys());
  }

  reset(): void {
    this.counts.clear();
    this.total = 0;
  }
}

export function mergeHistograms(parts: readonly MsCounts[]): MsHistogram {
  const merged = new MsHistogram();
  for (const part of parts) merged.add(part);
  return merged;
}
