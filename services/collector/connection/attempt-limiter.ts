import { ConnectionOptionsError, positiveOption } from './errors';
import { type Scheduler, systemScheduler } from './scheduler';

export interface AttemptLimiterOptions {
  /** Attempts allowed per window. Default 250: a margin under Binance's 300 per 5 min per IP. */
  maxAttempts?: number;
  windowMs?: number;
  scheduler?: Scheduler;
}

/**
 * Process-wide sliding-window limit of connection attempts. It delays, it never
 * refuses: `reserve` books the earliest slot that keeps every window under the
 * limit and returns how long to wait for it, so a mass reconnect (1,000 symbols,
 * a dropped network) spreads itself over the window instead of earning an IP ban.
 *
 * Bound: the log keeps the slots of the current window plus those booked in the
 * future; there is one future booking per waiting connection at most, so its size
 * is maxAttempts + the number of connections.
 */
export class ConnectionAttemptLimiter {
  readonly maxAttempts: number;
  readonly windowMs: number;
  private readonly scheduler: Scheduler;
  /** Slot times, ascending. */
  private readonly slots: number[] = [];

  constructor(options: AttemptLimiterOptions = {}) {
    this.maxAttempts = Math.floor(positiveOption('maxAttempts', options.maxAttempts ?? 250));
    this.windowMs = positiveOption('windowMs', options.windowMs ?? 300_000);
    if (this.maxAttempts < 1) throw new ConnectionOptionsError('maxAttempts must be at least 1');
    this.scheduler = options.scheduler ?? systemScheduler;
  }

  /** Books the next attempt and returns the delay (ms, 0 when it may go now). */
  reserve(): number {
    const now = this.scheduler.now();
    while (this.slots.length > 0 && (this.slots[0] as number) <= now - this.windowMs) this.slots.shift();
    let slot = now;
    if (this.slots.length >= this.maxAttempts) {
      // The attempt maxAttempts places back must have left the window before this one may start.
      slot = Math.max(now, (this.slots[this.slots.length - this.maxAttempts] as number) + this.windowMs);
    }
    // Keep the log sorted: a slot booked now can precede a later one booked in the future.
    let index = this.slots.length;
    while (index > 0 && (this.slots[index - 1] as number) > slot) index -= 1;
    this.slots.splice(index, 0, slot);
    return slot - now;
  }

  /** Attempts booked within the window ending now (future bookings included). */
  get booked(): number {
    const now = this.scheduler.now();
    return this.slots.filter((t) => t > now - this.windowMs).length;
  }
}
