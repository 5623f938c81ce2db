import { positiveOption } from './errors';
import { type Scheduler, type TimerHandle, systemScheduler } from './scheduler';

export interface KeepaliveOptions {
  /** Quiet time (nothing sent, nothing received) after which the client pings. */
  intervalMs: number;
  scheduler?: Scheduler;
}

/**
 * The client side of a `client-ping` keepalive (OKX, Bybit): the server cuts a
 * connection it has not heard from, so after `intervalMs` without traffic in either
 * direction the connection sends the exchange's ping. Whether the pong comes back is
 * the LivenessMonitor's business; this only keeps the server from cutting us.
 */
export class KeepaliveTimer {
  readonly intervalMs: number;
  private readonly scheduler: Scheduler;
  private lastActivityAt = 0;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly sendPing: () => void,
    options: KeepaliveOptions,
  ) {
    this.intervalMs = positiveOption('keepalive.intervalMs', options.intervalMs);
    this.scheduler = options.scheduler ?? systemScheduler;
  }

  start(): void {
    this.running = true;
    this.lastActivityAt = this.scheduler.now();
    this.arm(this.intervalMs);
  }

  stop(): void {
    this.running = false;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Something was sent or received. Cheap on purpose: it runs for every message. */
  activity(): void {
    this.lastActivityAt = this.scheduler.now();
  }

  private arm(delayMs: number): void {
    this.scheduler.clearTimeout(this.timer);
    this.timer = this.scheduler.setTimeout(() => this.check(), Math.max(1, delayMs));
    this.timer.unref?.();
  }

  /** Timer-driven rather than re-armed per message, like the LivenessMonitor. */
  private check(): void {
    this.timer = undefined;
    if (!this.running) return;
    const quiet = this.scheduler.now() - this.lastActivityAt;
    if (quiet < this.intervalMs) {
      this.arm(this.intervalMs - quiet);
      return;
    }
    this.sendPing();
    // Sending the ping is itself activity; the next one is due a full interval later.
    this.lastActivityAt = this.scheduler.now();
    this.arm(this.intervalMs);
  }
}
