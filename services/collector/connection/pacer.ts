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
  /**
   * A second limit on subscription requests only (`request(..., { counted: true })`),
   * over a sliding window: the exchange's `maxSubscribeRequestsPerWindow` per
   * `subscribeRequestWindowMs` (OKX: 480 an hour per connection). A counted request
   * with no room waits in the queue while uncounted ones (keepalive pings) pass it.
   */
  subscribeWindow?: { limit: number; windowMs: number };
  scheduler?: Scheduler;
}

interface QueuedRequest {
  text: RequestBody;
  onSent?: () => void;
  counted: boolean;
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
  private readonly requests: QueuedRequest[] = [];
  private readonly subscribeWindow: { limit: number; windowMs: number } | undefined;
  /** Send times of counted requests within the last window, ascending; at most `limit` entries. */
  private readonly windowSends: number[] = [];
  private draining = false;
  private timer: TimerHandle | undefined;
  /** The timer waits for the subscribe window, not for a token: new work that may go sooner cancels it. */
  private timerWaitsForWindow = false;
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
    if (options.subscribeWindow) {
      this.subscribeWindow = {
        limit: Math.floor(positiveOption('subscribeWindow.limit', options.subscribeWindow.limit)),
        windowMs: positiveOption('subscribeWindow.windowMs', options.subscribeWindow.windowMs),
      };
    }
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
    this.wake();
    this.drain();
  }

  ping(): void {
    this.pendingPing = true;
    this.wake();
    this.drain();
  }

  /**
   * Queues a text frame; `onSent` runs right after it is handed to the socket (ack
   * timers start there). `counted` marks a subscription request, which the
   * exchange limits per window besides the message rate.
   */
  request(text: RequestBody, onSent?: () => void, options: { counted?: boolean } = {}): void {
    if (this.requests.length >= this.maxQueuedRequests) throw new PacerQueueFullError(this.maxQueuedRequests);
    this.requests.push({ text, onSent, counted: options.counted === true });
    if (options.counted !== true) this.wake();
    // A body built inside drain() may queue the next request; the running loop picks it up.
    if (!this.draining) this.drain();
  }

  /** Forgets everything queued (the socket it was meant for is gone) and refills the bucket for the next one. */
  reset(): void {
    this.pendingPong = undefined;
    this.pendingPing = false;
    this.requests.length = 0;
    // The exchanges count subscriptions per connection (OKX: 480 an hour each), so
    // a new socket starts with the whole window; keeping the old one would leave a
    // link that flapped a hundred times in an hour with a socket that may not subscribe.
    this.windowSends.length = 0;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerWaitsForWindow = false;
  }

  stop(): void {
    this.stopped = true;
    this.reset();
  }

  private wake(): void {
    if (!this.timerWaitsForWindow || this.draining) return;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerWaitsForWindow = false;
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
    const now = this.scheduler.now();
    const room = this.windowRoom(now);
    for (let index = 0; index < this.requests.length; ) {
      const request = this.requests[index] as QueuedRequest;
      if (request.counted && !room) {
        index += 1;
        continue;
      }
      this.requests.splice(index, 1);
      const text = typeof request.text === 'string' ? request.text : request.text();
      if (text === undefined) continue;
      if (request.counted && this.subscribeWindow) this.windowSends.push(now);
      return { kind: 'text', text, onSent: request.onSent };
    }
    return undefined;
  }

  /** True when a counted request may go now; drops sends that left the window. */
  private windowRoom(now: number): boolean {
    const window = this.subscribeWindow;
    if (!window) return true;
    while (this.windowSends.length > 0 && (this.windowSends[0] as number) <= now - window.windowMs) this.windowSends.shift();
    return this.windowSends.length < window.limit;
  }

  /** Something can go once a token is there: a control frame, an uncounted request, or a counted one with room. */
  private get sendable(): boolean {
    if (this.pendingPong !== undefined || this.pendingPing) return true;
    if (this.requests.length === 0) return false;
    return this.windowRoom(this.scheduler.now()) || this.requests.some((request) => !request.counted);
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
      while (this.sendable && this.tokens >= 1 - 1e-9) {
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
      this.timerWaitsForWindow = !this.sendable;
      const waitMs = !this.timerWaitsForWindow
        ? Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond)
        : // Only counted requests are left and the window is full: wait for its oldest send to leave it.
          Math.max(1, (this.windowSends[0] as number) + (this.subscribeWindow as { windowMs: number }).windowMs - this.scheduler.now());
      this.timer = this.scheduler.setTimeout(() => {
        this.timer = undefined;
        this.timerWaitsForWindow = false;
        this.drain();
      }, waitMs);
      this.timer.unref?.();
    }
  }
}
