import type { Logger } from '../../shared';
import { errorMessage, LogThrottle } from '../../shared';
import type { Trade } from '../domain';
import type { TradeIdSemantics } from '../exchange';
import type { CollectorMetrics } from '../metrics';

/**
 * Fetches trades of `symbol` with id >= `fromId`, ascending, at most `limit`
 * (ExchangeRestClient.fetchTradesFrom); with `increasing` ids, those of the id
 * window [fromId, fromId + limit).
 */
export type BackfillFunction = (symbol: string, fromId: number, limit: number) => Promise<Trade[]>;

export interface TradeSequencerOptions {
  backfill: BackfillFunction;
  /**
   * What the exchange's trade ids promise (its protocol's `tradeIds`). Default
   * `consecutive`: a jump is a gap, filled over REST. `increasing` (OKX, whose
   * pushes may aggregate trades, so ids skip without loss): ids order and
   * deduplicate, a jump is not a gap. `opaque` (Bybit, string ids): arrival
   * order, duplicates dropped by `tradeIdText` among the recent trades.
   */
  tradeIds?: TradeIdSemantics;
  /** Recent `tradeIdText`s remembered per symbol for `opaque` ids. Default 1,024 (a resubscribe overlap carries far fewer; about 60 KiB a symbol). */
  recentIdsPerSymbol?: number;
  /** Receives every trade exactly once, per symbol in strictly increasing id order. */
  emit: (trade: Trade) => void;
  /**
   * Live trades held per symbol while its gap is filled. Policy when full: give up
   * on the missing ids (counted unrecoverable), emit everything held, continue live.
   * Default 20,000 (a few minutes of the busiest pair).
   */
  maxHeldPerSymbol?: number;
  /**
   * Live trades held across all symbols. Policy when full: the symbol holding the
   * most gives up its gap (as above), so a mass reconnect during a long REST ban
   * cannot grow memory with the number of symbols. Default 200,000.
   */
  maxHeldTotal?: number;
  /** Backfill requests in flight at once across symbols; the rest wait FIFO. Default 4. */
  maxConcurrentBackfills?: number;
  /** Trades asked per request: the REST client's `tradesPageSize` (Binance 1000, OKX 100). Default 1000. */
  pageSize?: number;
  /** Consecutive failed or empty requests for one gap before its ids are given up. Default 5. */
  maxAttempts?: number;
  /** First retry delay, doubled per failed attempt, capped at 30 s. Default 1 s. */
  retryDelayMs?: number;
  /**
   * Called once a symbol's gap has closed (filled, or given up) and every trade
   * it delayed has been emitted: states evaluated meanwhile rested on partial
   * data, and this says from when.
   */
  onGapClosed?: (symbol: string, gap: ClosedGap) => void;
  metrics?: CollectorMetrics;
  logger?: Logger;
}

export interface ClosedGap {
  /** Trade time of the first trade emitted after the gap opened (backfilled or held): states from here on may lack it. */
  firstLateTradeTime: number;
  /** Trade time of the last trade emitted by the gap's closing. */
  lastLateTradeTime: number;
  /**
   * Set when ids were given up: the trade time of the first trade after the last
   * lost range. Before it the trade record stays incomplete.
   */
  incompleteBefore?: number;
}

export interface SequencerCounts {
  gaps: number;
  duplicates: number;
  backfilled: number;
  unrecoverable: number;
  backfillFailures: number;
  /** Backfill requests in flight now. */
  activeBackfills: number;
  /** Symbols waiting for a backfill slot (at most one entry per symbol). */
  queuedBackfills: number;
  /** Live trades held across symbols. */
  heldTrades: number;
}

interface SymbolState {
  readonly symbol: string;
  /** Id of the last trade emitted; undefined until the first trade. */
  lastId: number | undefined;
  /** Live trades past a gap, ascending, unique, all > lastId. Non-empty exactly while a gap is open. */
  held: Trade[];
  /** A backfill request for this symbol is in flight. */
  running: boolean;
  /** Consecutive failed or fruitless requests for the current gap. */
  attempts: number;
  retryTimer: NodeJS.Timeout | undefined;
  /** Bumped when the state's gap is abandoned, so a late page is not mistaken for progress. */
  epoch: number;
  /** Trade times of the first and last trade emitted since the open gap opened; undefined when none yet. */
  lateFrom: number | undefined;
  lateTo: number;
  /** See ClosedGap.incompleteBefore. */
  lostBefore: number | undefined;
  /** While held trades are being emitted: how many of them have left (they stay in `held` until the batch is spliced off). */
  released: number;
  /** `opaque` ids only: the newest `tradeIdText`s emitted, oldest evicted first. */
  recent: RecentIds | undefined;
  /** `increasing` ids only: the socket carrying the symbol was lost, so the next jump is a gap to fill. */
  gapExpected: boolean;
  /** `increasing` ids only: the first id of the window not asked yet in the open gap (ids skip, so `lastId` cannot say). */
  scanFrom: number;
  /**
   * `increasing` ids only, ascending: held trades that arrived first after a
   * further lost socket while the gap was open. The span before each is unknown
   * too, so held trades are released group by group, each after its span is scanned.
   */
  spanStarts: number[];
}

/** A bounded set of the newest ids: insertion order is eviction order. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}

  /** False when `id` is among the recent ones; otherwise remembers it. */
  admit(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Restores per-symbol trade order and completeness between the socket and the rate
 * engine. Live trades pass straight through while ids are consecutive; a jump opens
 * a gap: later live trades of that symbol are held (bounded), the missing ids are
 * fetched over REST page by page, then backfilled and held trades leave in id
 * order. Duplicates and overlaps (ids already emitted, e.g. during make-before-break
 * rotation) are dropped. State is per symbol, not per connection, so continuity
 * survives reconnects. Nothing waits forever: a gap the exchange cannot fill is
 * given up and counted.
 */
export class TradeSequencer {
  private readonly states = new Map<string, SymbolState>();
  /** Symbols waiting for a backfill slot; a Set keeps FIFO order and one entry per symbol. */
  private readonly queue = new Set<string>();
  private active = 0;
  private readonly backfill: BackfillFunction;
  private readonly emit: (trade: Trade) => void;
  private readonly onGapClosed: ((symbol: string, gap: ClosedGap) => void) | undefined;
  private readonly maxHeld: number;
  private readonly maxConcurrent: number;
  private readonly pageSize: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly metrics: CollectorMetrics | undefined;
  private readonly logger: Logger | undefined;
  private readonly counts = { gaps: 0, duplicates: 0, backfilled: 0, unrecoverable: 0, backfillFailures: 0 };
  private heldTotal = 0;
  private readonly maxHeldTotal: number;
  private closed = false;
  private readonly logThrottle = new LogThrottle();
  private readonly tradeIds: TradeIdSemantics;
  private readonly recentIdsPerSymbol: number;

  constructor(options: TradeSequencerOptions) {
    this.tradeIds = options.tradeIds ?? 'consecutive';
    this.recentIdsPerSymbol = Math.max(1, options.recentIdsPerSymbol ?? 1024);
    this.backfill = options.backfill;
    this.emit = options.emit;
    this.onGapClosed = options.onGapClosed;
    this.maxHeld = Math.max(1, options.maxHeldPerSymbol ?? 20_000);
    this.maxHeldTotal = Math.max(1, options.maxHeldTotal ?? 200_000);
    this.maxConcurrent = Math.max(1, options.maxConcurrentBackfills ?? 4);
    this.pageSize = Math.max(1, Math.min(1000, options.pageSize ?? 1000));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.metrics = options.metrics;
    this.logger = options.logger;
  }

  /** Takes one live trade, in arrival order. Synchronous: emits at once unless a gap is open. */
  push(trade: Trade): void {
    const symbol = trade.symbol;
    let state = this.states.get(symbol);
    if (state === undefined) {
      state = { symbol, lastId: undefined, held: [], running: false, attempts: 0, retryTimer: undefined, epoch: 0, lateFrom: undefined, lateTo: 0, lostBefore: undefined, released: 0, recent: undefined, gapExpected: false, scanFrom: 0, spanStarts: [] };
      this.states.set(symbol, state);
    }
    if (this.tradeIds === 'opaque') {
      this.pushOpaque(state, trade);
      return;
    }
    const id = trade.tradeId;
    const lastId = state.lastId;
    if (lastId === undefined) {
      this.emitOne(state, trade);
      return;
    }
    if (id <= lastId) {
      this.duplicate();
      return;
    }
    if (state.held.length > 0) {
      if (state.gapExpected) {
        // Lost again while filling: the span before this trade needs its own scan.
        state.gapExpected = false;
        const newest = (state.held[state.held.length - 1] as Trade).tradeId;
        if (id > newest + 1) state.spanStarts.push(id);
      }
      this.hold(state, trade);
      return;
    }
    if (id === lastId + 1) {
      state.gapExpected = false;
      this.emitOne(state, trade);
      return;
    }
    if (this.tradeIds === 'increasing') {
      // Ids skip in normal flow; only a jump after a lost socket may hide trades.
      const expected = state.gapExpected;
      state.gapExpected = false;
      if (!expected) {
        this.emitOne(state, trade);
        return;
      }
    }
    this.gap();
    state.held.push(trade);
    this.heldTotal += 1;
    this.request(state);
    this.enforceTotalBound();
  }

  /**
   * True while `symbol` has a gap open: its live trades are held, its values rest
   * on partial data. While held trades are being released, true until the last
   * one: the state of the last is made with every trade up to it emitted, and
   * flagging it `gap` left that flag on a quiet symbol until its next trade.
   */
  isBackfilling(symbol: string): boolean {
    const state = this.states.get(symbol);
    return state !== undefined && state.held.length - state.released > 0;
  }

  /**
   * The socket carrying `symbol` was lost: with `increasing` ids a jump does not
   * show a gap by itself, so the first trade after this opens one (filled over
   * REST) if its id is not the next. No effect for other id semantics, which
   * detect gaps (consecutive) or cannot fill them (opaque), nor before a first trade.
   */
  expectGap(symbol: string): void {
    if (this.tradeIds !== 'increasing') return;
    const state = this.states.get(symbol);
    if (state && state.lastId !== undefined) state.gapExpected = true;
  }

  /** Id of the last trade emitted for `symbol`. */
  lastTradeId(symbol: string): number | undefined {
    return this.states.get(symbol)?.lastId;
  }

  /**
   * Forgets `symbol` (unsubscribed): held trades are discarded, a backfill in flight
   * is ignored when it returns, and its next trade starts a new sequence.
   */
  forget(symbol: string): void {
    const state = this.states.get(symbol);
    if (!state) return;
    clearTimeout(state.retryTimer);
    this.heldTotal -= state.held.length;
    state.held = [];
    state.epoch += 1;
    this.states.delete(symbol);
    this.queue.delete(symbol);
  }

  /** Same as `forget`: the next trade of `symbol` starts its sequence without backfill. */
  reset(symbol: string): void {
    this.forget(symbol);
  }

  /** Stops backfilling (collector shutdown): timers cleared, queue emptied, late pages ignored. */
  close(): void {
    this.closed = true;
    for (const symbol of [...this.states.keys()]) this.forget(symbol);
  }

  stats(): SequencerCounts {
    return { ...this.counts, activeBackfills: this.active, queuedBackfills: this.queue.size, heldTrades: this.heldTotal };
  }

  /**
   * Ids that carry no order (Bybit): nothing can tell a gap, so trades pass in
   * arrival order and only repeats (two sockets during rotation) are dropped.
   */
  private pushOpaque(state: SymbolState, trade: Trade): void {
    const id = trade.tradeIdText ?? String(trade.tradeId);
    state.recent ??= new RecentIds(this.recentIdsPerSymbol);
    if (!state.recent.admit(id)) {
      this.duplicate();
      return;
    }
    this.emit(trade);
  }

  private emitOne(state: SymbolState, trade: Trade): void {
    state.lastId = trade.tradeId;
    this.emit(trade);
  }

  /** Emits a trade the open gap delayed (backfilled or held), remembering the span of such trades. */
  private emitLate(state: SymbolState, trade: Trade): void {
    state.lateFrom ??= trade.tradeTime;
    state.lateTo = Math.max(state.lateTo, trade.tradeTime);
    this.emitOne(state, trade);
  }

  /** Reports the gap once nothing is held any more. */
  private finishGap(state: SymbolState): void {
    if (state.held.length > 0 || state.lateFrom === undefined) return;
    const gap: ClosedGap = { firstLateTradeTime: state.lateFrom, lastLateTradeTime: state.lateTo, ...(state.lostBefore !== undefined ? { incompleteBefore: state.lostBefore } : {}) };
    state.lateFrom = undefined;
    state.lateTo = 0;
    state.lostBefore = undefined;
    this.onGapClosed?.(state.symbol, gap);
  }

  /** Inserts into the held buffer in id order; appending is the common case. */
  private hold(state: SymbolState, trade: Trade): void {
    const held = state.held;
    const id = trade.tradeId;
    const last = held[held.length - 1] as Trade;
    if (id > last.tradeId) {
      // A jump inside the held range is a further gap the same backfill will cover.
      if (id > last.tradeId + 1 && this.tradeIds === 'consecutive') this.gap();
      held.push(trade);
    } else if (!this.insertHeld(state, trade)) {
      this.duplicate();
      return;
    }
    this.heldTotal += 1;
    // Two sockets (rotation, shard moves) can deliver the same ids in different
    // orders: a held trade may close the gap by itself, with no REST needed.
    if ((held[0] as Trade).tradeId === (state.lastId as number) + 1) {
      this.flushHeld(state);
      if (held.length === 0) {
        this.closeGap(state);
        this.finishGap(state);
      }
      return;
    }
    if (held.length > this.maxHeld) this.giveUp(state, 'held-buffer-full');
    else this.enforceTotalBound();
  }

  /** The gap closed without REST: a backfill in flight is ignored when it returns. */
  private closeGap(state: SymbolState): void {
    state.spanStarts = [];
    state.epoch += 1;
    state.attempts = 0;
    clearTimeout(state.retryTimer);
    state.retryTimer = undefined;
    this.queue.delete(state.symbol);
  }

  private enforceTotalBound(): void {
    if (this.heldTotal <= this.maxHeldTotal) return;
    let largest: SymbolState | undefined;
    for (const candidate of this.states.values()) if (!largest || candidate.held.length > largest.held.length) largest = candidate;
    if (largest && largest.held.length > 0) this.giveUp(largest, 'held-total-full');
  }

  /** Queues a backfill step for `state` unless one is queued, running or waiting to retry. */
  private request(state: SymbolState): void {
    if (this.closed || state.running || state.retryTimer !== undefined || this.queue.has(state.symbol)) return;
    this.queue.add(state.symbol);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.maxConcurrent && this.queue.size > 0) {
      const symbol = this.queue.values().next().value as string;
      this.queue.delete(symbol);
      const state = this.states.get(symbol);
      if (!state || state.held.length === 0) continue;
      this.active += 1;
      state.running = true;
      void this.step(state)
        .catch((error: unknown) => {
          // Only the downstream `emit` can throw here; it must not become an unhandled rejection.
          this.metrics?.errors.inc({ component: 'gaps', code: 'EMIT_FAILED' });
          this.logger?.error('trade consumer failed during backfill', { symbol: state.symbol, error: errorMessage(error) });
        })
        .finally(() => {
        this.active -= 1;
        state.running = false;
          if (this.states.get(state.symbol) === state && state.held.length > 0 && state.retryTimer === undefined) this.request(state);
          this.pump();
        });
    }
  }

  /** One REST page for the open gap of `state`, then emission of whatever became contiguous. */
  private async step(state: SymbolState): Promise<void> {
    const from = Math.max((state.lastId as number) + 1, this.tradeIds === 'increasing' ? state.scanFrom : 0);
    const firstHeld = (state.held[0] as Trade).tradeId;
    const epoch = state.epoch;
    if (firstHeld <= from) {
      // Nothing can be missing before the first held trade (the previous group ended right before it).
      this.releaseHeld(state);
      return;
    }
    let page: Trade[];
    try {
      page = await this.backfill(state.symbol, from, Math.min(this.pageSize, firstHeld - from));
    } catch (error) {
      if (this.isStale(state, epoch)) return;
      this.counts.backfillFailures += 1;
      this.metrics?.errors.inc({ component: 'gaps', code: (error as { code?: string }).code ?? 'BACKFILL_FAILED' });
      const admitted = this.logThrottle.admit('backfill-failed');
      if (admitted) this.logger?.warn('trade backfill failed; retrying', { symbol: state.symbol, fromId: from, attempt: state.attempts + 1, error: errorMessage(error), suppressedSinceLastLog: admitted.suppressed });
      this.fruitless(state, 'backfill-failed');
      return;
    }
    if (this.isStale(state, epoch)) return;
    const before = state.lastId as number;
    const limit = Math.min(this.pageSize, firstHeld - from);
    if (this.tradeIds === 'increasing') {
      // The page covered the id window [from, from + limit): ids skip, so an empty
      // window is progress too. Once the windows reach the first held trade its span is complete.
      this.applyWindow(state, page);
      state.attempts = 0;
      state.scanFrom = from + limit;
      if (state.scanFrom >= (state.held[0] as Trade).tradeId) this.releaseHeld(state);
      return;
    }
    this.applyPage(state, page);
    if (state.lastId === before) {
      // Nothing usable came back. A page that starts past the held trades means those ids no longer exist.
      const firstReturned = page.find((t) => t.tradeId > before);
      if (firstReturned !== undefined && firstReturned.tradeId >= (state.held[0] as Trade).tradeId) {
        this.giveUp(state, 'range-not-returned');
        return;
      }
      this.fruitless(state, page.length === 0 ? 'range-empty' : 'range-stale');
      return;
    }
    state.attempts = 0;
    this.flushHeld(state);
    this.finishGap(state);
  }

  private isStale(state: SymbolState, epoch: number): boolean {
    return this.closed || this.states.get(state.symbol) !== state || state.epoch !== epoch || state.held.length === 0;
  }

  /** Emits the page's trades that fall between the last emitted id and the first held one. */
  private applyPage(state: SymbolState, page: readonly Trade[]): void {
    const limit = (state.held[0] as Trade).tradeId;
    for (const trade of page) {
      const id = trade.tradeId;
      const lastId = state.lastId as number;
      if (id <= lastId) continue;
      if (id >= limit) break;
      // The exchange skipped ids (pruned history): those are lost, the rest is still worth having.
      if (id > lastId + 1 && this.tradeIds === 'consecutive') this.lose(state, id - lastId - 1, 'range-partially-returned', trade.tradeTime);
      this.counts.backfilled += 1;
      this.metrics?.backfilledTrades.inc();
      this.emitLate(state, trade);
    }
  }

  /**
   * `increasing` ids: emits the window's trades below the first held one; those
   * at or above it (a second socket delivered a lower id meanwhile) join the held
   * trades instead of being dropped, unless already held.
   */
  private applyWindow(state: SymbolState, page: readonly Trade[]): void {
    for (const trade of page) {
      const id = trade.tradeId;
      if (id <= (state.lastId as number)) continue;
      this.counts.backfilled += 1;
      this.metrics?.backfilledTrades.inc();
      if (state.held.length === 0 || id < (state.held[0] as Trade).tradeId) this.emitLate(state, trade);
      else if (this.insertHeld(state, trade)) this.heldTotal += 1;
    }
  }

  /** Inserts in id order; false when the id is held already. */
  private insertHeld(state: SymbolState, trade: Trade): boolean {
    const held = state.held;
    const id = trade.tradeId;
    let low = 0;
    let high = held.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((held[mid] as Trade).tradeId < id) low = mid + 1;
      else high = mid;
    }
    if (low < held.length && (held[low] as Trade).tradeId === id) return false;
    held.splice(low, 0, trade);
    return true;
  }

  /** Emits held trades while they continue the sequence; a jump inside them keeps the gap open. */
  private flushHeld(state: SymbolState): void {
    const held = state.held;
    let index = 0;
    try {
      while (index < held.length && (held[index] as Trade).tradeId === (state.lastId as number) + 1) {
        state.released = index + 1;
        this.emitLate(state, held[index] as Trade);
        index += 1;
      }
    } finally {
      state.released = 0;
    }
    if (index > 0) {
      held.splice(0, index);
      this.heldTotal -= index;
      state.attempts = 0;
    }
  }

  private fruitless(state: SymbolState, reason: string): void {
    state.attempts += 1;
    if (state.attempts >= this.maxAttempts) {
      this.giveUp(state, reason);
      return;
    }
    // Jitter spreads the retries of many symbols that failed together (one REST outage).
    const delay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** (state.attempts - 1)) * (0.5 + Math.random() / 2);
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      if (this.states.get(state.symbol) === state && state.held.length > 0) this.request(state);
    }, delay);
    // A pending retry must not hold a stopping process open; close() clears it anyway.
    state.retryTimer.unref?.();
  }

  /**
   * Without `lostReason` the span before the first held trade is complete: held
   * trades leave in order up to the next span start (`increasing` ids lost a socket
   * again meanwhile), whose span is scanned next; with none left the gap closes.
   * With `lostReason` the gap is given up: every held trade leaves, and what may be
   * missing is counted lost (consecutive ids: exactly the skipped ids; increasing
   * ids: the unscanned part of each span, an upper bound).
   */
  private releaseHeld(state: SymbolState, lostReason?: string): void {
    const held = state.held;
    if (lostReason !== undefined && this.tradeIds === 'increasing') this.loseUnscanned(state, lostReason);
    const end = lostReason === undefined ? (state.spanStarts[0] ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
    let index = 0;
    try {
      for (; index < held.length && (held[index] as Trade).tradeId < end; index++) {
        const trade = held[index] as Trade;
        const lastId = state.lastId as number;
        if (lostReason !== undefined && this.tradeIds === 'consecutive' && trade.tradeId > lastId + 1) this.lose(state, trade.tradeId - lastId - 1, lostReason, trade.tradeTime);
        state.released = index + 1;
        this.emitLate(state, trade);
      }
    } finally {
      state.released = 0;
    }
    held.splice(0, index);
    this.heldTotal -= index;
    if (held.length > 0) {
      // The next group starts a span of its own: scan it from the last emitted id.
      while (state.spanStarts.length > 0 && (state.spanStarts[0] as number) <= (held[0] as Trade).tradeId) state.spanStarts.shift();
      state.scanFrom = (state.lastId as number) + 1;
      state.attempts = 0;
      return;
    }
    this.closeGap(state);
    this.finishGap(state);
  }

  /** `increasing` ids given up: the ids between the scanned part and each held span start are unknown. */
  private loseUnscanned(state: SymbolState, reason: string): void {
    const held = state.held;
    if (held.length === 0) return;
    const first = held[0] as Trade;
    const scanned = Math.max((state.lastId as number) + 1, state.scanFrom);
    if (first.tradeId > scanned) this.lose(state, first.tradeId - scanned, reason, first.tradeTime);
    for (const start of state.spanStarts) {
      const at = held.findIndex((t) => t.tradeId === start);
      if (at <= 0) continue;
      const previous = held[at - 1] as Trade;
      if (start > previous.tradeId + 1) this.lose(state, start - previous.tradeId - 1, reason, (held[at] as Trade).tradeTime);
    }
  }

  /** Abandons the open gap: see releaseHeld. */
  private giveUp(state: SymbolState, reason: string): void {
    this.releaseHeld(state, reason);
  }

  private lose(state: SymbolState, missing: number, reason: string, nextTradeTime: number): void {
    state.lostBefore = Math.max(state.lostBefore ?? nextTradeTime, nextTradeTime);
    this.counts.unrecoverable += missing;
    this.metrics?.unrecoverableGapTrades.inc(missing);
    const admitted = this.logThrottle.admit(`lost:${reason}`);
    if (admitted) this.logger?.warn('trades lost: the gap cannot be filled', { symbol: state.symbol, afterId: state.lastId, missing, reason, suppressedSinceLastLog: admitted.suppressed });
  }

  private gap(): void {
    this.counts.gaps += 1;
    this.metrics?.tradeGaps.inc();
  }

  private duplicate(): void {
    this.counts.duplicates += 1;
    this.metrics?.duplicateTrades.inc();
  }
}
