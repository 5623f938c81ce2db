import { RateLimiterClosedError, RateQueueFullError, RateWaitAbortedError } from './errors';

export interface SlidingWindowLimiterOptions {
  /** Shown in errors, e.g. `okx /api/v5/market/history-trades`. */
  name: string;
  /** Requests the exchange allows per `windowMs` (OKX history-trades: 20 per 2 s). */
  limit: number;
  windowMs: number;
  /**
   * Share of the limit this process may use: the exchange counts per IP, other
   * processes on it included, and its window edges are not ours. Default 0.8.
   */
  safetyRatio?: number;
  /**
   * Most requests waiting. Policy when full: refuse the new request at once with
   * `RateQueueFullError` (the caller counts it and retries later) rather than queue
   * without bound.
   */
  maxQueued?: number;
  /** Wall clock in ms; injected so fake timers drive tests. */
  now?: () => number;
}

export interface SlidingWindowState {
  /** Requests granted within the last window. */
  inWindow: number;
  budget: number;
  queued: number;
  /** Epoch ms until which every request waits (a 429's pause); 0 when not paused. */
  pausedUntil: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Request-count limit over a sliding window, for exchanges that count requests
 * rather than weight (OKX per endpoint per 2 s, Bybit per IP per 5 s). A sliding
 * log rather than calendar windows: two calendar windows back to back allow twice
 * the limit within one window length, which a sliding count on the server refuses.
 * The log holds at most `budget` times, waiters are FIFO in a bounded queue, and
 * one timer serves them all. When exhausted, requests wait (in order) until the
 * oldest grant leaves the window or a pause ends; when the queue is full they are
 * refused at once.
 */
export class SlidingWindowLimiter {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly budget: number;
  readonly maxQueued: number;
  private readonly now: () => number;
  /** Grant times, ascending; at most `budget` entries. */
  private readonly granted: number[] = [];
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: SlidingWindowLimiterOptions) {
    const ratio = options.safetyRatio ?? 0.8;
    if (!(ratio > 0 && ratio <= 1)) throw new RangeError(`safetyRatio must be in (0, 1], got ${ratio}`);
    if (!(options.limit >= 1)) throw new RangeError(`limit must be at least 1, got ${options.limit}`);
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${options.windowMs}`);
    this.name = options.name;
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.budget = Math.max(1, Math.floor(options.limit * ratio));
    this.maxQueued = options.maxQueued ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Resolves when one request may be sent now (and counts it); see the class comment for refusals. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new RateLimiterClosedError(this.name));
    if (signal?.aborted) return Promise.reject(new RateWaitAbortedError(this.name, signal.reason));
    const now = this.now();
    if (this.queue.length === 0 && this.fits(now)) {
      this.granted.push(now);
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxQueued) return Promise.reject(new RateQueueFullError(this.name, this.maxQueued));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(new RateWaitAbortedError(this.name, signal.reason));
          this.schedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.schedule();
    });
  }

  /** Holds every request until `pauseMs` from now (the exchange answered "too many requests"). */
  pause(pauseMs: number): void {
    const until = this.now() + Math.max(0, pauseMs);
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.schedule();
  }

  state(): SlidingWindowState {
    const now = this.now();
    this.prune(now);
    return { inWindow: this.granted.length, budget: this.budget, queued: this.queue.length, pausedUntil: this.pausedUntil > now ? this.pausedUntil : 0 };
  }

  /** Rejects every waiting request and refuses new ones (collector shutdown). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.queue.splice(0)) this.settle(waiter, new RateLimiterClosedError(this.name));
  }

  private prune(now: number): void {
    const horizon = now - this.windowMs;
    let expired = 0;
    while (expired < this.granted.length && (this.granted[expired] as number) <= horizon) expired += 1;
    if (expired > 0) this.granted.splice(0, expired);
  }

  private fits(now: number): boolean {
    if (now < this.pausedUntil) return false;
    this.prune(now);
    return this.granted.length < this.budget;
  }

  private drain(): void {
    this.timer = undefined;
    const now = this.now();
    while (this.queue.length > 0 && this.fits(now)) {
      this.granted.push(now);
      this.settle(this.queue.shift() as Waiter);
    }
    this.schedule();
  }

  /** One timer at the next moment the head could go: the pause's end or the oldest grant leaving the window. */
  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const now = this.now();
    this.prune(now);
    let at = now;
    if (now < this.pausedUntil) at = this.pausedUntil;
    if (this.granted.length >= this.budget) at = Math.max(at, (this.granted[0] as number) + this.windowMs);
    this.timer = setTimeout(() => this.drain(), Math.max(0, at - now));
    // The limiter alone must not keep a stopping process alive.
    this.timer.unref?.();
  }

  private settle(waiter: Waiter, error?: Error): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}
