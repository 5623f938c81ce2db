/** One rate ready to go out: the ordering key, the trade time for the latency metric, and its JSON. */
export interface OutgoingRate {
  symbol: string;
  ts: number;
  tradeTs: number;
  json: string;
  /**
   * The rate carries a trade the gateway had not seen for this symbol (not a timer
   * re-evaluation of a quiet symbol, whose tradeTs is old): only these measure fan-out latency.
   */
  newTrade?: boolean;
}

export interface ConflatorOptions {
  /** At most one update per symbol per this many ms (GATEWAY_CONFLATE_MS); 0: every update while the client keeps up. */
  intervalMs: number;
  /** Whether the client's socket has room (its buffered bytes are under the bound). */
  writable(): boolean;
  /** Writes one update frame; only called while writable() is true. */
  send(rates: OutgoingRate[]): void;
  /** The client stayed unwritable for `slowAfterMs`: the caller closes it (1013). Called once. */
  onSlow(): void;
  slowAfterMs: number;
  /** How often an unwritable client is looked at again. */
  retryMs: number;
  /** Updates replaced by a newer one before they went out. */
  onConflated?(count: number): void;
  /** Updates refused because the client already has the symbol at that `ts` or newer. */
  onStale?(count: number): void;
  now?: () => number;
}

/**
 * Per-client, per-exchange conflation: a pure state machine over timers.
 *
 * - Throttling is per client: an idle client gets an update at once, which opens
 *   a window of `intervalMs`; what arrives during the window waits in `pending`,
 *   where a newer update of a symbol replaces the older one (counted as
 *   conflated), and goes out in one frame when the window ends, which opens the
 *   next window. So a client gets at most one update per symbol per interval,
 *   always the newest values, and at most one frame per interval however many
 *   symbols it follows: with thousands of clients the frame count, not the rate
 *   count, is what costs (one socket write each).
 * - `intervalMs` 0: every update goes out at once, one frame per Redis message.
 * - While the socket is over its buffer bound nothing is written: `pending` keeps
 *   the newest value per symbol, so it is bounded by the subscribed symbols and a
 *   slow client gets fewer, newer updates instead of a growing buffer. A client
 *   unwritable for `slowAfterMs` is reported once through onSlow.
 * - `ts` never goes back: an update not newer than what the client holds is dropped.
 * - `hold()` ... `release(snapshot)` brackets a snapshot read, so updates wait until
 *   the snapshot went out and those older than it are dropped.
 */
export class Conflator {
  /** Newest `ts` the client holds per symbol (sent, or in its snapshot). */
  private readonly delivered = new Map<string, number>();
  private pending = new Map<string, OutgoingRate>();
  private holds = 0;
  private timer: NodeJS.Timeout | undefined;
  /** End of the current window; undefined while the client is idle. */
  private windowUntil: number | undefined;
  private behindSince: number | undefined;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: ConflatorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Symbols with a pending update (for tests and metrics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  get isBehind(): boolean {
    return this.behindSince !== undefined;
  }

  /** Offers the updates of one Redis message (newest state per symbol). */
  offer(rates: readonly OutgoingRate[]): void {
    if (this.closed) return;
    // Every update, nothing waiting, room on the socket: straight out, in order. Several
    // updates of one symbol in one offer (messages batched by the hub) all go, newer after older.
    if (this.options.intervalMs === 0 && this.holds === 0 && this.timer === undefined && this.pending.size === 0 && this.checkWritable(this.now())) {
      const out: OutgoingRate[] = [];
      for (const rate of rates) {
        const held = this.delivered.get(rate.symbol);
        if (held !== undefined && rate.ts <= held) continue;
        this.delivered.set(rate.symbol, rate.ts);
        out.push(rate);
      }
      if (out.length < rates.length) this.options.onStale?.(rates.length - out.length);
      if (out.length > 0) this.options.send(out);
      return;
    }
    let stale = 0;
    let conflated = 0;
    for (const rate of rates) {
      const held = this.delivered.get(rate.symbol);
      const waiting = this.pending.get(rate.symbol);
      if ((held !== undefined && rate.ts <= held) || (waiting && rate.ts <= waiting.ts)) {
        stale++;
        continue;
      }
      if (waiting) conflated++;
      this.pending.set(rate.symbol, rate);
    }
    if (stale > 0) this.options.onStale?.(stale);
    if (conflated > 0) this.options.onConflated?.(conflated);
    // Inside a window (or a hold, or while a retry is scheduled) the timer sends; otherwise now.
    if (this.pending.size > 0 && this.timer === undefined && this.holds === 0) this.flush();
  }

  /** Updates wait (in `pending`) until the matching release. */
  hold(): void {
    this.holds++;
  }

  /**
   * Ends a hold: the snapshot entries newer than what the client holds go to
   * `sendSnapshot` and count as held (an update must be newer to go out), then
   * what waited meanwhile is flushed, after the snapshot.
   */
  release<T extends { symbol: string; ts: number }>(snapshot: readonly T[], sendSnapshot: (fresh: T[]) => void): void {
    this.holds = Math.max(0, this.holds - 1);
    const fresh: T[] = [];
    for (const rate of snapshot) {
      const held = this.delivered.get(rate.symbol);
      if (held !== undefined && held >= rate.ts) continue;
      this.delivered.set(rate.symbol, rate.ts);
      fresh.push(rate);
      const waiting = this.pending.get(rate.symbol);
      if (waiting && waiting.ts <= rate.ts) this.pending.delete(rate.symbol);
    }
    if (this.closed) return;
    sendSnapshot(fresh);
    if (this.holds === 0 && this.timer === undefined && this.pending.size > 0) this.flush();
  }

  /** Forgets symbols (an unsubscribe); with no argument every symbol. */
  forget(symbols?: readonly string[]): void {
    if (!symbols) {
      this.delivered.clear();
      this.pending.clear();
      return;
    }
    for (const symbol of symbols) {
      this.delivered.delete(symbol);
      this.pending.delete(symbol);
    }
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Sends everything pending when the client is writable and outside a window; otherwise (re)arms the timer. */
  private flush(): void {
    this.timer = undefined;
    if (this.closed || this.holds > 0) return;
    const now = this.now();
    if (this.windowUntil !== undefined && now < this.windowUntil) return this.arm(this.windowUntil - now);
    this.windowUntil = undefined;
    if (this.pending.size === 0) return;
    if (!this.checkWritable(now)) {
      if (!this.closed) this.arm(this.options.retryMs);
      return;
    }
    const out = [...this.pending.values()];
    this.pending.clear();
    for (const rate of out) this.delivered.set(rate.symbol, rate.ts);
    this.options.send(out);
    if (this.options.intervalMs > 0) {
      this.windowUntil = now + this.options.intervalMs;
      this.arm(this.options.intervalMs);
    }
  }

  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), Math.max(0, delayMs));
  }

  /** Writable now; tracks how long the client has been behind and reports it once past the bound. */
  private checkWritable(now: number): boolean {
    if (this.options.writable()) {
      this.behindSince = undefined;
      return true;
    }
    this.behindSince ??= now;
    if (now - this.behindSince >= this.options.slowAfterMs) {
      this.close();
      this.options.onSlow();
    }
    return false;
  }
}
