import { positiveOption } from './errors';
import { type Scheduler, type TimerHandle, systemScheduler } from './scheduler';

export interface LivenessOptions {
  /**
   * Silence (no frame of any kind: data, reply, ping, pong) after which we ping the
   * server ourselves. Default 5 s: Binance pings every 20 s, so a quiet connection
   * costs us one ping every 5 s (0.2 messages a second of the 5 allowed).
   */
  idleMs?: number;
  /** How long our probe may stay unanswered (by its reply or any other frame). Default 4 s. */
  pongTimeoutMs?: number;
  scheduler?: Scheduler;
}

export const DEFAULT_LIVENESS = { idleMs: 5_000, pongTimeoutMs: 4_000 } as const;

/**
 * Decides that a connection is dead: silence for `idleMs`, then our own probe (a
 * ping, or an application-level request, see StreamConnection), then nothing for
 * `pongTimeoutMs`. Any frame proves the connection alive, so a quiet symbol never
 * trips it (server pings and other streams keep it fed, and on a connection of only
 * quiet streams our probes are answered). Detection takes at most idleMs +
 * pongTimeoutMs (+ the pacer's delay of the probe, under 1 s), 9 s with the
 * defaults, leaving room in the 15 s budget for reconnecting.
 */
export class LivenessMonitor {
  readonly idleMs: number;
  readonly pongTimeoutMs: number;
  private readonly scheduler: Scheduler;
  private lastFrameAt = 0;
  private pingSentAt: number | undefined;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly sendProbe: () => void,
    private readonly onDead: (silentForMs: number) => void,
    options: LivenessOptions = {},
  ) {
    this.idleMs = positiveOption('idleMs', options.idleMs ?? DEFAULT_LIVENESS.idleMs);
    this.pongTimeoutMs = positiveOption('pongTimeoutMs', options.pongTimeoutMs ?? DEFAULT_LIVENESS.pongTimeoutMs);
    this.scheduler = options.scheduler ?? systemScheduler;
  }

  start(): void {
    this.running = true;
    this.lastFrameAt = this.scheduler.now();
    this.pingSentAt = undefined;
    this.arm(this.idleMs);
  }

  stop(): void {
    this.running = false;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A frame of any kind arrived. Cheap on purpose: it runs for every message. */
  frame(): void {
    this.lastFrameAt = this.scheduler.now();
    this.pingSentAt = undefined;
  }

  private arm(delayMs: number): void {
    this.scheduler.clearTimeout(this.timer);
    this.timer = this.scheduler.setTimeout(() => this.check(), Math.max(1, delayMs));
    this.timer.unref?.();
  }

  /** Timer-driven rather than re-armed per frame, so thousands of messages a second cost no timer churn. */
  private check(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.scheduler.now();
    if (this.pingSentAt !== undefined) {
      const waited = now - this.pingSentAt;
      if (waited >= this.pongTimeoutMs) {
        this.running = false;
        this.onDead(now - this.lastFrameAt);
        return;
      }
      this.arm(this.pongTimeoutMs - waited);
      return;
    }
    const silent = now - this.lastFrameAt;
    if (silent < this.idleMs) {
      this.arm(this.idleMs - silent);
      return;
    }
    this.pingSentAt = now;
    this.sendProbe();
    this.arm(this.pongTimeoutMs);
  }
}
