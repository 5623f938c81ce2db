/**
 * Sliding one-second window of incoming WebSocket messages (text frames, pings and
 * pongs alike, as Binance counts them). Holds at most `limit` timestamps.
 */
export class MessageRateLimiter {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs = 1000,
  ) {}

  /** Records a message at `now`; false when it is one more than the limit within the window. */
  hit(now: number): boolean {
    while (this.times.length > 0 && (this.times[0] as number) <= now - this.windowMs) this.times.shift();
    if (this.times.length >= this.limit) return false;
    this.times.push(now);
    return true;
  }
}

export interface WeightDecision {
  allowed: boolean;
  /** Weight used in the current minute, this request included (the X-MBX-USED-WEIGHT-1M value). */
  used: number;
  /** Seconds until the window resets, for Retry-After. */
  retryAfterSeconds: number;
}

/**
 * REST request weight per client IP in fixed calendar-minute windows, as Binance
 * counts X-MBX-USED-WEIGHT-1M. The map is cleared when the minute changes and holds
 * at most `maxClients` addresses; past that, new addresses share one bucket.
 */
export class RequestWeightLimiter {
  private windowStart = -1;
  private readonly used = new Map<string, number>();

  constructor(
    readonly limit: number,
    private readonly maxClients = 10_000,
  ) {}

  consume(client: string, weight: number, now: number): WeightDecision {
    const windowStart = now - (now % 60_000);
    if (windowStart !== this.windowStart) {
      this.windowStart = windowStart;
      this.used.clear();
    }
    const key = this.used.has(client) || this.used.size < this.maxClients ? client : '*overflow*';
    const used = (this.used.get(key) ?? 0) + weight;
    this.used.set(key, used);
    return { allowed: used <= this.limit, used, retryAfterSeconds: Math.max(1, Math.ceil((windowStart + 60_000 - now) / 1000)) };
  }

  peek(client: string, now: number): number {
    return now - (now % 60_000) === this.windowStart ? (this.used.get(client) ?? 0) : 0;
  }
}

/**
 * Requests per client in a sliding window (OKX "N requests per 2 seconds", Bybit
 * "600 requests per 5 seconds", connection attempts per IP). Each client keeps at
 * most `limit` timestamps; at most `maxClients` are tracked, past that new clients
 * share one bucket, so memory stays bounded whatever the callers do.
 */
export class SlidingWindowCounter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxClients = 10_000,
  ) {}

  /** Records a request of `client` at `now`; false when it is over the limit (and then not recorded). */
  hit(client: string, now: number): boolean {
    if (!this.hits.has(client) && this.hits.size >= this.maxClients) this.evictIdle(now);
    const key = this.hits.has(client) || this.hits.size < this.maxClients ? client : '*overflow*';
    let times = this.hits.get(key);
    if (!times) {
      times = [];
      this.hits.set(key, times);
    }
    while (times.length > 0 && (times[0] as number) <= now - this.windowMs) times.shift();
    if (times.length >= this.limit) return false;
    times.push(now);
    return true;
  }

  /** Milliseconds until `client` may send again (0 when it may now). */
  waitMs(client: string, now: number): number {
    const times = this.hits.get(client);
    if (!times || times.length < this.limit) return 0;
    return Math.max(0, (times[0] as number) + this.windowMs - now);
  }

  private evictIdle(now: number): void {
    for (const [client, times] of this.hits) {
      if (times.length === 0 || (times[times.length - 1] as number) <= now - this.windowMs) this.hits.delete(client);
    }
  }
}
