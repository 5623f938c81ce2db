/**
 * Lets one log line per key through per interval; the metrics count every
 * occurrence, the log only needs to say it is happening. Keys are a fixed set (error
 * codes, reasons), so the map stays small.
 */
export class LogLimiter {
  private readonly lastAt = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  allow(key: string, now: number): boolean {
    const last = this.lastAt.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.lastAt.set(key, now);
    return true;
  }
}
