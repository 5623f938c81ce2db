/** Minimal readers of Prometheus text for benchmarks: counter sums and histogram quantiles. */
export function counterSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Sum of the series of a counter whose labels include `label="value"`. */
export function counterWhere(text: string, name: string, label: string, value: string): number {
  let sum = 0;
  const needle = `${label}="${value}"`;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.slice(0, line.indexOf('}')).includes(needle)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export function histogramBuckets(text: string, name: string): Map<number, number> {
  const buckets = new Map<number, number>();
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/** Quantile of the observations between two scrapes, interpolated linearly inside its bucket. */
export function histogramQuantile(before: Map<number, number>, after: Map<number, number>, quantile: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total === 0) return Number.NaN;
  const rank = quantile * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i]!;
      if (!Number.isFinite(upper)) return lower;
      const below = i === 0 ? 0 : counts[i - 1]!;
      const inBucket = counts[i]! - below;
      return lower + (upper - lower) * (inBucket === 0 ? 0 : (rank - below) / inBucket);
    }
  }
  return bounds[bounds.length - 2] ?? Number.NaN;
}
