import { WeightBudgetClosedError, WeightQueueFullError, WeightTooLargeError, WeightWaitAbortedError } from './errors';

const MINUTE_MS = 60_000;

export interface RequestWeightBudgetOptions {
  /** The exchange's weight limit per minute (Binance spot: 6000, see exchangeInfo rateLimits). */
  limitPerMinute?: number;
  /**
   * Share of the limit this process may use. The limit is per IP and the exchange's
   * count includes other processes and requests still in flight, so a margin keeps
   * a burst (1000 symbols reconnecting) below the 429 that escalates to a 418 ban.
   */
  safetyRatio?: number;
  /**
   * Most requests waiting for weight. Policy when full: refuse the new request at
   * once with `WeightQueueFullError` (the caller counts it and retries later) rather
   * than queue without bound.
   */
  maxQueued?: number;
  /** Wall clock in ms; injected so fake timers drive tests. */
  now?: () => number;
}

export interface WeightBudgetState {
  /** Weight counted in the current minute (own requests, or the server's figure when higher). */
  used: number;
  /** Weight this process allows itself per minute. */
  budget: number;
  queued: number;
  /** Epoch ms until which every request waits (429/418 Retry-After); 0 when not paused. */
  pausedUntil: number;
}

interface Waiter {
  weight: number;
  resolve: () => void;
  reject: (error: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Shared request-weight accounting for one exchange IP. Binance counts weight in
 * calendar-minute windows (the count resets when the minute changes), so this does
 * too. Requests that do not fit wait in a bounded FIFO queue (FIFO so no request
 * starves behind a stream of cheap ones) and are released when the minute rolls
 * over or a Retry-After pause ends; one timer serves the whole queue.
 */
export class RequestWeightBudget {
  readonly limitPerMinute: number;
  readonly budget: number;
  readonly maxQueued: number;
  private readonly now: () => number;
  private readonly queue: Waiter[] = [];
  private used = 0;
  private windowStart = -1;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: RequestWeightBudgetOptions = {}) {
    this.limitPerMinute = options.limitPerMinute ?? 6000;
    const ratio = options.safetyRatio ?? 0.8;
    if (!(ratio > 0 && ratio <= 1)) throw new RangeError(`safetyRatio must be in (0, 1], got ${ratio}`);
    if (!(this.limitPerMinute > 0)) throw new RangeError(`limitPerMinute must be positive, got ${this.limitPerMinute}`);
    this.budget = Math.max(1, Math.floor(this.limitPerMinute * ratio));
    this.maxQueued = options.maxQueued ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Resolves when `weight` may be spent now (and counts it). Rejects at once with
   * `WeightQueueFullError` when the queue is full, later with
   * `WeightBudgetClosedError` or `WeightWaitAbortedError`.
   */
  acquire(weight: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new WeightBudgetClosedError());
    if (weight > this.budget) return Promise.reject(new WeightTooLargeError(weight, this.budget));
    if (signal?.aborted) return Promise.reject(new WeightWaitAbortedError(signal.reason));
    const now = this.now();
    this.roll(now);
    if (this.queue.length === 0 && this.fits(weight, now)) {
      this.used += weight;
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxQueued) return Promise.reject(new WeightQueueFullError(this.maxQueued));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { weight, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(new WeightWaitAbortedError(signal.reason));
          this.schedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.schedule();
    });
  }

  /**
   * Adopts the exchange's count (`X-MBX-USED-WEIGHT-1M`). The larger of the two
   * wins: the server sees other processes on this IP, the local count sees requests
   * whose responses have not arrived yet.
   */
  observeUsedWeight(serverUsed: number): void {
    if (!Number.isFinite(serverUsed) || serverUsed < 0) return;
    this.roll(this.now());
    if (serverUsed > this.used) this.used = serverUsed;
  }

  /** Holds every request until `retryAfterMs` from now (429 / 418 Retry-After). */
  pause(retryAfterMs: number): void {
    const until = this.now() + Math.max(0, retryAfterMs);
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.schedule();
  }

  state(): WeightBudgetState {
    const now = this.now();
    this.roll(now);
    return { used: this.used, budget: this.budget, queued: this.queue.length, pausedUntil: this.pausedUntil > now ? this.pausedUntil : 0 };
  }

  /** Rejects every waiting request and refuses new ones (collector shutdown). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.queue.splice(0);
    for (const waiter of waiting) this.settle(waiter, new WeightBudgetClosedError());
  }

  private fits(weight: number, now: number): boolean {
    return now >= this.pausedUntil && this.used + weight <= this.budget;
  }

  private roll(now: number): void {
    const start = now - (now % MINUTE_MS);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.used = 0;
    }
  }

  private drain(): void {
    this.timer = undefined;
    const now = this.now();
    this.roll(now);
    while (this.queue.length > 0) {
      const head = this.queue[0] as Waiter;
      if (!this.fits(head.weight, now)) break;
      this.queue.shift();
      this.used += head.weight;
      this.settle(head);
    }
    this.schedule();
  }

  /** One timer at the next moment the head of the queue could fit: pause end or next minute. */
  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const now = this.now();
    const head = this.queue[0] as Waiter;
    let at: number;
    if (now < this.pausedUntil) at = this.pausedUntil;
    else if (this.used + head.weight > this.budget) at = this.windowStart + MINUTE_MS;
    else at = now;
    this.timer = setTimeout(() => this.drain(), Math.max(0, at - now));
    // The budget alone must not keep a stopping process alive.
    this.timer.unref?.();
  }

  private settle(waiter: Waiter, error?: Error): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}
