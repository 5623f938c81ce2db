import { ConnectionOptionsError, positiveOption } from './errors';

export interface BackoffOptions {
  /** Cap of the first retry's delay. Default 500 ms. */
  baseMs?: number;
  /** Largest delay ever returned. Default 30 s. */
  maxMs?: number;
  factor?: number;
  /**
   * A connection must stay up this long before the next failure counts as a first
   * failure again. Resetting on mere "connected" would let a server that accepts and
   * immediately drops keep us retrying at the base delay forever. Default 60 s.
   */
  healthyResetMs?: number;
  /** [0, 1) source for the jitter; injectable so tests can pin the bounds. */
  random?: () => number;
}

/**
 * Capped exponential backoff with full jitter (delay uniform in [0, cap)): spreads
 * the reconnects of many connections dropped at once instead of synchronising them.
 * Pure: the caller passes the time, nothing here sets timers. It never gives up;
 * after the cap is reached every attempt waits at most `maxMs`.
 */
export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly healthyResetMs: number;
  private readonly random: () => number;
  private failures = 0;
  private connectedAt: number | undefined;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = positiveOption('baseMs', options.baseMs ?? 500);
    this.maxMs = positiveOption('maxMs', options.maxMs ?? 30_000);
    this.factor = positiveOption('factor', options.factor ?? 2);
    this.healthyResetMs = positiveOption('healthyResetMs', options.healthyResetMs ?? 60_000, true);
    if (this.maxMs < this.baseMs) throw new ConnectionOptionsError(`maxMs (${this.maxMs}) must be >= baseMs (${this.baseMs})`);
    if (this.factor < 1) throw new ConnectionOptionsError(`factor must be >= 1, got ${this.factor}`);
    this.random = options.random ?? Math.random;
  }

  /** Consecutive failures counted so far (0 after a healthy period). */
  get attempts(): number {
    return this.failures;
  }

  /** Upper bound of the delay the next `nextDelay` call can return at `now`. */
  capAt(now: number): number {
    const failures = this.healthySince(now) ? 0 : this.failures;
    return Math.min(this.maxMs, this.baseMs * this.factor ** Math.min(failures, 64));
  }

  /** The connection is established (and, for the caller, healthy) from `now`. */
  connected(now: number): void {
    this.connectedAt = now;
  }

  /** A connection was lost or an attempt failed at `now`: the delay before the next attempt. */
  nextDelay(now: number): number {
    if (this.healthySince(now)) this.failures = 0;
    this.connectedAt = undefined;
    const cap = Math.min(this.maxMs, this.baseMs * this.factor ** Math.min(this.failures, 64));
    this.failures += 1;
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.floor(r * cap);
  }

  private healthySince(now: number): boolean {
    return this.connectedAt !== undefined && now - this.connectedAt >= this.healthyResetMs;
  }
}
