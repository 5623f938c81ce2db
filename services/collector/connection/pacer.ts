import { PacerQueueFullError, positiveOption } from './errors';
import { type Scheduler, type TimerHandle, systemScheduler } from './scheduler';

/**
 * A request's text, or a function producing it when its token is due: building late
 * lets the caller merge everything that changed while the request waited (and
 * return undefined when nothing is left to send, which costs no token).
 */
export type RequestBody = string | (() => string | undefined);

/** What the pacer hands to the socket, one message per token. */
export type PacedMessage =
  | { kind: 'pong'; data: Buffer }
  | { kind: 'ping' }
  | { kind: 'text'; text: string; onSent?: () => void };

export interface PacerOptions {
  /** Sustained messages a second. Default 4: one below Binance's 5 for clock and network jitter. */
  ratePerSecond?: number;
  /**
   * Bucket size. With burst b and rate r, any one-second window holds at most b + r
   * messages counted from a half-open window, so the default 1 keeps the worst case at 5.
   */
  burst?: number;
  /** Bound of the text (request) queue. Default 16. */
  maxQueuedRequests?: number;
  scheduler?: Scheduler;
}

/**
 * Token bucket for everything a connection sends that the exchange counts against
 * its per-connection incoming message limit: pongs, our own pings, SUBSCRIBE and
 * UNSUBSCRIBE. Control frames (pong, then ping) go before requests, because a late
 * pong costs the connection while a late SUBSCRIBE only delays data.
 *
 * Queue policy: pongs and pings are coalesced (one of each pending at most; a newer
 * ping's payload replaces an older unanswered one, which is what the server checks).
 * Text requests wait in a FIFO of `maxQueuedRequests`; when it is full `request`
 * throws `PacerQueueFullError` and queues nothing, so the caller keeps the work
 * (the connection keeps pending streams in sets and merges them into later
 * requests); nothing is ever dropped silently.
 */
export class MessagePacer {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly maxQueuedRequests: number;
  private readonly scheduler: Scheduler;
  private tokens: number;
  private refilledAt: number;
  private pendingPong: Buffer | undefined;
  private pendingPing = false;
  private readonly requests: Array<{ text: RequestBody; onSent?: () => void }> = [];
  private draining = false;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private sentTotal = 0;

  constructor(
    private readonly send: (message: PacedMessage) => void,
    options: PacerOptions = {},
  ) {
    this.ratePerSecond = positiveOption('ratePerSecond', options.ratePerSecond ?? 4);
    this.burst = positiveOption('burst', options.burst ?? 1);
    this.maxQueuedRequests = Math.floor(positiveOption('maxQueuedRequests', options.maxQueuedRequests ?? 16));
    this.scheduler = options.scheduler ?? systemScheduler;
    this.tokens = this.burst;
    this.refilledAt = this.scheduler.now();
  }

  /** Requests waiting for a token. */
  get queuedRequests(): number {
    return this.requests.length;
  }

  get sent(): number {
    return this.sentTotal;
  }

  /** True when a request can be queued without throwing. */
  get hasRoom(): boolean {
    return this.requests.length < this.maxQueuedRequests;
  }

  pong(data: Buffer): void {
    this.pendingPong = data;
    this.drain();
  }

  ping(): void {
    this.pendingPing = true;
    this.drain();
  }

  /** Queues a text frame; `onSent` runs right after it is handed to the socket (ack timers start there). */
  request(text: RequestBody, onSent?: () => void): void {
    if (this.requests.length >= this.maxQueuedRequests) throw new PacerQueueFullError(this.maxQueuedRequests);
    this.requests.push({ text, onSent });
    // A body built inside drain() may queue the next request; the running loop picks it up.
    if (!this.draining) this.drain();
  }

  /** Forgets everything queued (the socket it was meant for is gone) and refills the bucket for the next one. */
  reset(): void {
    this.pendingPong = undefined;
    this.pendingPing = false;
    this.requests.length = 0;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.reset();
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.refilledAt = now;
  }

  private next(): PacedMessage | undefined {
    if (this.pendingPong !== undefined) {
      const data = this.pendingPong;
      this.pendingPong = undefined;
      return { kind: 'pong', data };
    }
    if (this.pendingPing) {
      this.pendingPing = false;
      return { kind: 'ping' };
    }
    for (let request = this.requests.shift(); request; request = this.requests.shift()) {
      const text = typeof request.text === 'string' ? request.text : request.text();
      if (text !== undefined) return { kind: 'text', text, onSent: request.onSent };
    }
    return undefined;
  }

  private get empty(): boolean {
    return this.pendingPong === undefined && !this.pendingPing && this.requests.length === 0;
  }

  private drain(): void {
    if (this.stopped || this.timer !== undefined || this.draining) return;
    this.refill(this.scheduler.now());
    this.draining = true;
    try {
      // A small epsilon absorbs float error of the refill so a token due "now" is not deferred by a tick.
      while (!this.empty && this.tokens >= 1 - 1e-9) {
        const message = this.next();
        if (!message) break;
        this.tokens -= 1;
        this.sentTotal += 1;
        this.send(message);
        if (message.kind === 'text') message.onSent?.();
        if (this.stopped) return;
      }
    } finally {
      this.draining = false;
    }
    if (!this.empty) {
      const waitMs = Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
      this.timer = this.scheduler.setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, waitMs);
      this.timer.unref?.();
    }
  }
}
