/**
 * Rate-limits repeated log lines per key (metrics are never throttled): the first
 * occurrence logs at once, repeats within `intervalMs` are counted and reported
 * with the next line that is let through, so a flapping dependency cannot flood
 * the log yet no occurrence goes unaccounted.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
    /** Keys remembered at most; the oldest is forgotten past this bound. */
    private readonly maxKeys = 1000,
  ) {}

  /** Undefined when this occurrence should not be logged; else how many were suppressed before it. */
  admit(key: string): { suppressed: number } | undefined {
    const now = this.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed += 1;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.delete(key);
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > this.maxKeys) this.last.delete(this.last.keys().next().value as string);
    return { suppressed };
  }
}
