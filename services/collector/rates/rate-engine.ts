import type { Kline, Trade } from '../domain';
import type { RateFlag, RateState } from '../../shared/rates';
import { PriceHistory } from './price-history';
import { priceTextOf } from './price-text';
import { RecentMedian } from './recent-median';

export const RATE_WINDOWS_MS = { '1m': 60_000, '5m': 300_000, '15m': 900_000 } as const;
const LONGEST_WINDOW_MS = RATE_WINDOWS_MS['15m'];


export interface RateEngineSettings {
  /** A trade further than this (percent) from the recent median sets `anomaly`. Default 10. */
  anomalyThresholdPct: number;
  /** No trade for this long sets `stale`. Default 60 s. */
  staleAfterMs: number;
}

export interface RateEngineOptions extends Partial<RateEngineSettings> {
  /** True while the symbol's missing trades are being fetched (the `gap` flag). */
  isGapOpen?: (symbol: string) => boolean;
  /** Timer evaluations re-publish an unchanged symbol at least this often, so its hash never expires while collected. */
  refreshAfterMs?: number;
  /** Prices kept for the anomaly median. Default 21. */
  medianSize?: number;
  /**
   * Timer evaluations are made for this long before the exchange clock, so no trade
   * of that instant can still be in flight on any connection. Default 1000 ms.
   */
  settleMs?: number;
  /**
   * How far before the timer's evaluation time `evaluateAt` must still answer
   * exactly: history is kept this much longer than the longest window. Default
   * 300 s (HistoryPersister's rewrite bound at 1 s intervals); it costs a third
   * more history than the 15 minutes alone.
   */
  pastEvaluationMs?: number;
}

export interface PastEvaluationOptions {
  /** The trades up to this instant were not all recovered (a gap given up): the state carries `gap`. */
  gap?: boolean;
}

interface SymbolRates {
  symbol: string;
  history: PriceHistory;
  median: RecentMedian;
  priceText: string | undefined;
  tradeTs: number;
  receivedAtMono: number | undefined;
  anomaly: boolean;
  /** Evaluation time of the last state produced: a symbol's states never go back in time. */
  lastTs: number;
  /** What the last timer-emitted state said, to skip timer writes that would change nothing. */
  lastEmitted: { signature: string; ts: number } | undefined;
}

/**
 * The change-rate definition of the design, per symbol, with no I/O:
 * `change_W(t) = (price(t) - ref_W(t)) / ref_W(t) * 100`, where `price(t)` is the
 * latest trade at or before t and `ref_W(t)` the latest at or before t - W;
 * unknown when no such trade is known. Evaluated on every trade (at its trade
 * time) and by the caller's timer (at the exchange clock less a settle time), so a
 * symbol that stops trading decays to 0 % once its last trade leaves each window.
 */
export class RateEngine {
  private readonly symbols = new Map<string, SymbolRates>();
  private settings: RateEngineSettings;
  private readonly isGapOpen: (symbol: string) => boolean;
  private readonly refreshAfterMs: number;
  private readonly medianSize: number;
  private readonly settleMs: number;
  readonly pastEvaluationMs: number;

  constructor(options: RateEngineOptions = {}) {
    this.settings = { anomalyThresholdPct: options.anomalyThresholdPct ?? 10, staleAfterMs: options.staleAfterMs ?? 60_000 };
    this.isGapOpen = options.isGapOpen ?? (() => false);
    this.refreshAfterMs = options.refreshAfterMs ?? 30_000;
    this.medianSize = options.medianSize ?? 21;
    this.settleMs = options.settleMs ?? 1000;
    this.pastEvaluationMs = options.pastEvaluationMs ?? 300_000;
  }

  get symbolCount(): number {
    return this.symbols.size;
  }

  /** Settings an operator may change at run time; they apply from the next evaluation. */
  updateSettings(settings: Partial<RateEngineSettings>): void {
    this.settings = { ...this.settings, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) };
  }

  /**
   * Applies a trade (in id order per symbol) and evaluates the symbol at the
   * trade's own time `T`. Ids are consecutive and times never go back with them,
   * so once trade k is here every trade with `T < T_k` is known: the value at T_k
   * is exact but for trades in the very same millisecond still in flight, which
   * update it (same ts) when they land. Evaluating at the running clock instead
   * would claim a later instant while trades of it may still be on the wire.
   */
  onTrade(trade: Trade): RateState {
    const rates = this.stateOf(trade.symbol);
    const median = rates.median.count >= 3 ? rates.median.median() : Number.NaN;
    rates.anomaly = Number.isFinite(median) && (Math.abs(trade.price - median) / median) * 100 > this.settings.anomalyThresholdPct;
    rates.median.push(trade.price);
    rates.history.append(trade.tradeTime, trade.price, false, rates.anomaly);
    // The trade holds the newest entry whatever its time (see PriceHistory.append), so text and time follow it.
    rates.priceText = trade.priceText;
    rates.tradeTs = rates.history.lastTime as number;
    rates.receivedAtMono = trade.receivedAtMono;
    return this.evaluateSymbol(rates, Math.max(trade.tradeTime, rates.lastTs));
  }

  /**
   * Warm start: closed 1m candles stand in for trades older than anything known,
   * each as its close price at its close time, so changes are available at once.
   * Values resting on them carry `backfilled` until live trades cover the window.
   */
  seedFromKlines(symbol: string, klines: readonly Kline[], now: number): void {
    const rates = this.stateOf(symbol);
    const closed = klines.filter((k) => k.closeTime < now && Number.isFinite(k.close) && k.close > 0).sort((a, b) => b.closeTime - a.closeTime);
    for (const kline of closed) {
      if (rates.history.length === 0) {
        rates.history.append(kline.closeTime, kline.close, true);
        rates.priceText ??= kline.closeText;
        rates.tradeTs = Math.max(rates.tradeTs, kline.closeTime);
      } else {
        rates.history.prepend(kline.closeTime, kline.close, true);
      }
    }
  }

  /** Evaluates one symbol for `now` less the settle time (never before its last state); undefined when nothing is known. */
  evaluate(symbol: string, now: number): RateState | undefined {
    const rates = this.symbols.get(symbol);
    return rates && rates.history.length > 0 ? this.evaluateSymbol(rates, Math.max(now - this.settleMs, rates.lastTs), false) : undefined;
  }

  /**
   * The state the definition gives at a past instant `t` from the history as it
   * is now (with trades that arrived late), without touching the symbol's
   * bookkeeping: live states go on exactly as before. Flags are those as of `t`:
   * `backfilled` when a price used rests on candles, `stale` from the last trade
   * at or before `t`, `anomaly` of that trade, `gap` only when asked (the data
   * is otherwise complete). Undefined when nothing is known at `t`, when pruning
   * already dropped a reference `t` needs, or when the exact price text cannot
   * be recovered.
   */
  evaluateAt(symbol: string, t: number, options: PastEvaluationOptions = {}): RateState | undefined {
    const rates = this.symbols.get(symbol);
    if (!rates || rates.history.length === 0 || rates.priceText === undefined) return undefined;
    const history = rates.history;
    if (history.pruned && t - LONGEST_WINDOW_MS < (history.firstTime as number)) return undefined;
    const position = history.positionAtOrBefore(t);
    if (position < 0) return undefined;
    const priceText = position === history.length - 1 ? rates.priceText : priceTextOf(history.priceAt(position), rates.priceText);
    if (priceText === undefined) return undefined;
    return this.stateAt(rates, t, position, priceText, history.isAnomalyAt(position), options.gap === true, undefined);
  }

  /**
   * The timer's pass over every symbol: hands `emit` the states that changed
   * since last emitted (or are due a refresh), and prunes history no window can
   * reach any more.
   */
  evaluateAll(now: number, emit: (state: RateState) => void): void {
    const t = now - this.settleMs;
    for (const rates of this.symbols.values()) {
      // Pruning comes first: busy symbols, skipped below, are the ones whose history grows.
      rates.history.prune(t - LONGEST_WINDOW_MS - this.pastEvaluationMs);
      // A symbol that traded since t already has a newer state than this pass could give.
      if (rates.history.length === 0 || t <= rates.lastTs) continue;
      const state = this.evaluateSymbol(rates, t, false);
      const signature = `${state.priceText}|${state.change1m}|${state.change5m}|${state.change15m}|${state.flags.join(',')}`;
      if (rates.lastEmitted && rates.lastEmitted.signature === signature && now - rates.lastEmitted.ts < this.refreshAfterMs) continue;
      rates.lastEmitted = { signature, ts: now };
      emit(state);
    }
  }

  remove(symbol: string): void {
    this.symbols.delete(symbol);
  }

  has(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  private stateOf(symbol: string): SymbolRates {
    let rates = this.symbols.get(symbol);
    if (!rates) {
      rates = { symbol, history: new PriceHistory(), median: new RecentMedian(this.medianSize), priceText: undefined, tradeTs: Number.NEGATIVE_INFINITY, receivedAtMono: undefined, anomaly: false, lastTs: Number.NEGATIVE_INFINITY, lastEmitted: undefined };
      this.symbols.set(symbol, rates);
    }
    return rates;
  }

  private evaluateSymbol(rates: SymbolRates, now: number, fromTrade = true): RateState {
    rates.lastTs = now;
    const history = rates.history;
    const at = history.positionAtOrBefore(now);
    const last = history.length - 1;
    const position = at >= 0 ? at : last;
    // Only a timer or seed evaluation before a candle's close time lands before the newest entry.
    const priceText = position === last ? (rates.priceText as string) : (priceTextOf(history.priceAt(position), rates.priceText as string) ?? String(history.priceAt(position)));
    const state = this.stateAt(rates, now, position, priceText, rates.anomaly, this.isGapOpen(rates.symbol), fromTrade ? rates.receivedAtMono : undefined);
    // A trade's state goes out anyway; forgetting the signature makes the next timer
    // pass emit once more and record it, cheaper than building it on every trade.
    if (fromTrade) rates.lastEmitted = undefined;
    return state;
  }

  /** The definition at `now` with the price at `pricePosition`; reads the symbol's state, writes nothing. */
  private stateAt(rates: SymbolRates, now: number, pricePosition: number, priceText: string, anomaly: boolean, gap: boolean, receivedAtMono: number | undefined): RateState {
    const history = rates.history;
    const price = history.priceAt(pricePosition);
    const tradeTs = history.timeAt(pricePosition);
    let backfilled = history.isSeededAt(pricePosition);
    const change = (windowMs: number): number | undefined => {
      const ref = history.positionAtOrBefore(now - windowMs);
      if (ref < 0) return undefined;
      if (history.isSeededAt(ref)) backfilled = true;
      const reference = history.priceAt(ref);
      return ((price - reference) / reference) * 100;
    };
    const change1m = change(RATE_WINDOWS_MS['1m']);
    const change5m = change(RATE_WINDOWS_MS['5m']);
    const change15m = change(RATE_WINDOWS_MS['15m']);
    const flags: RateFlag[] = [];
    if (backfilled) flags.push('backfilled');
    if (now - tradeTs > this.settings.staleAfterMs) flags.push('stale');
    if (anomaly) flags.push('anomaly');
    if (gap) flags.push('gap');
    return { symbol: rates.symbol, priceText, ts: now, tradeTs, change1m, change5m, change15m, flags, receivedAtMono };
  }
}
