/** One rate ready to go out: the ordering key, the trade time for the latency metric, and its JSON. */
export interface OutgoingRate {
  symbol: string;
  ts: number;
  tradeTs: number;
  json: string;
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

interface Delivered {
  /** Newest `ts` the client holds (sent, or in its snapshot). */
  ts: number;
  /** When the last update of the symbol went out; -Infinity: never (only the snapshot). */
  sentAt: number;
}

/**
 * Per-client, per-exchange conflation: a pure state machine over timers.
 *
 * - A symbol's update goes out at once when its last update is at least
 *   `intervalMs` old; otherwise it waits in `pending`, where a newer update of the
 *   same symbol replaces it (counted as conflated). So the client gets at most one
 *   update per symbol per interval, always the newest values, and a quiet symbol
 *   is not delayed at all.
 * - While the socket is over its buffer bound nothing is written: `pending` keeps
 *   the newest value per symbol, so it is bounded by the subscribed symbols and a
 *   slow client gets fewer, newer updates instead of a growing buffer. A client
 *   unwritable for `slowAfterMs` is reported once through onSlow.
 * - `ts` never goes back: an update not newer than what the client holds is dropped.
 * - `hold()` ... `release(snapshot)` brackets a snapshot read, so updates wait until
 *   the snapshot went out and those older than it are dropped.
 */
export class Conflator {
  private readonly delivered = new Map<string, Delivered>();
  private pending = new Map<string, OutgoingRate>();
  private holds = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
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
    const now = this.now();
    const writable = this.holds === 0 && this.checkWritable(now);
    if (this.closed) return;
    const out: OutgoingRate[] = [];
    let stale = 0;
    let conflated = 0;
    for (const rate of rates) {
      const held = this.delivered.get(rate.symbol);
      const waiting = this.pending.get(rate.symbol);
      if ((held && rate.ts <= held.ts) || (waiting && rate.ts <= waiting.ts)) {
        stale++;
        continue;
      }
      if (waiting || !writable || (held && this.options.intervalMs > 0 && now - held.sentAt < this.options.intervalMs)) {
        if (waiting) conflated++;
        this.pending.set(rate.symbol, rate);
        continue;
      }
      out.push(rate);
    }
    if (stale > 0) this.options.onStale?.(stale);
    if (conflated > 0) this.options.onConflated?.(conflated);
    if (out.length > 0) this.write(out, now);
    this.schedule(now);
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
      if (held && held.ts >= rate.ts) continue;
      this.delivered.set(rate.symbol, { ts: rate.ts, sentAt: held?.sentAt ?? -Infinity });
      fresh.push(rate);
      const waiting = this.pending.get(rate.symbol);
      if (waiting && waiting.ts <= rate.ts) this.pending.delete(rate.symbol);
    }
    if (this.closed) return;
    sendSnapshot(fresh);
    if (this.holds === 0) this.flush();
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

  /** Sends what is due; runs from the timer. */
  private flush(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    if (this.closed || this.holds > 0) return;
    const now = this.now();
    if (!this.checkWritable(now)) {
      if (!this.closed) this.schedule(now);
      return;
    }
    const out: OutgoingRate[] = [];
    for (const [symbol, rate] of this.pending) {
      const held = this.delivered.get(symbol);
      if (this.options.intervalMs === 0 || !held || now - held.sentAt >= this.options.intervalMs) {
        out.push(rate);
        this.pending.delete(symbol);
      }
    }
    if (out.length > 0) this.write(out, now);
    this.schedule(now);
  }

  private write(out: OutgoingRate[], now: number): void {
    for (const rate of out) this.delivered.set(rate.symbol, { ts: rate.ts, sentAt: now });
    this.options.send(out);
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

  private schedule(now: number): void {
    if (this.closed || this.holds > 0) return;
    let due = Infinity;
    if (this.behindSince !== undefined) due = now + this.options.retryMs;
    else {
      for (const symbol of this.pending.keys()) {
        const held = this.delivered.get(symbol);
        const at = held && this.options.intervalMs > 0 ? held.sentAt + this.options.intervalMs : now;
        if (at < due) due = at;
        if (due <= now) break;
      }
    }
    if (due === Infinity || due >= this.timerDue) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - now));
  }
}
