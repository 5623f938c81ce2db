/**
 * A token bucket: `burst` messages at once, refilled at `perSecond`. Bounds the
 * work one client can cause without queueing anything.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Connections per client address, for the per-IP cap. Entries leave at zero, so the map is bounded by open connections. */
export class ConnectionCounter {
  private readonly byAddress = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerAddress: number,
    private readonly maxTotal: number,
  ) {}

  get size(): number {
    return this.total;
  }

  /** Counts a new connection; the reason when it is over a cap. */
  tryAcquire(address: string): 'ip_limit' | 'capacity' | undefined {
    if (this.total >= this.maxTotal) return 'capacity';
    const count = this.byAddress.get(address) ?? 0;
    if (count >= this.maxPerAddress) return 'ip_limit';
    this.byAddress.set(address, count + 1);
    this.total++;
    return undefined;
  }

  release(address: string): void {
    const count = this.byAddress.get(address);
    if (count === undefined) return;
    if (count <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, count - 1);
    this.total--;
  }
}
