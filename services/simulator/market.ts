import type { RestAggTrade } from '../shared/binance';
import { E8 } from './decimal';
import { FaultRequestError } from './errors';
import { type AggTradeRecord, type AggTradesQuery, KlineBook, TradeRing, minuteOf, queryAggTrades, toRestAggTrade } from './history';
import type { SymbolSpec } from './universe';

export interface MarketLimits {
  /** Trades kept per symbol, counted back from its newest trade. */
  retentionMs: number;
  /** Hard cap of trades kept per symbol (a hot symbol at 50,000 trades/s cannot keep 30 minutes). */
  maxTradesPerSymbol: number;
  /** 1m candles with trades kept per symbol (quiet minutes cost nothing). */
  maxKlineBars: number;
}

/** Live state of one symbol. */
export class SymbolState {
  readonly lower: string;
  readonly trades: TradeRing;
  readonly klines: KlineBook;
  paused = false;
  lastTrade: AggTradeRecord | undefined;
  /** Set on every trade; the miniTicker publisher clears it. */
  tickerDirty = false;

  constructor(
    readonly index: number,
    readonly spec: SymbolSpec,
    startPriceE8: number,
    originTime: number,
    limits: MarketLimits,
  ) {
    this.lower = spec.symbol.toLowerCase();
    this.trades = new TradeRing(limits.maxTradesPerSymbol, limits.retentionMs);
    this.klines = new KlineBook(minuteOf(originTime), startPriceE8, limits.maxKlineBars);
  }
}

export type TradeListener = (state: SymbolState, trade: AggTradeRecord, eventTime: number) => void;

/**
 * The order book-free market: symbols, their trade history and candles. Trades come
 * in through `record` from the synthetic generator or the replay, so REST always
 * answers from exactly what was streamed.
 */
export class Market {
  readonly states: SymbolState[];
  private readonly bySymbol = new Map<string, SymbolState>();
  private listener: TradeListener | undefined;
  tradesRecorded = 0;

  constructor(specs: readonly SymbolSpec[], startPrices: readonly number[], originTime: number, limits: MarketLimits) {
    this.states = specs.map((spec, i) => {
      const price = Math.max(spec.tickE8, Math.round((startPrices[i] ?? 1) * E8 / spec.tickE8) * spec.tickE8);
      return new SymbolState(i, spec, price, originTime, limits);
    });
    for (const state of this.states) this.bySymbol.set(state.spec.symbol, state);
  }

  onTrade(listener: TradeListener): void {
    this.listener = listener;
  }

  get(symbol: string): SymbolState | undefined {
    return this.bySymbol.get(symbol);
  }

  record(state: SymbolState, trade: AggTradeRecord, eventTime: number): void {
    state.trades.push(trade);
    state.klines.add(trade);
    state.lastTrade = trade;
    state.tickerDirty = true;
    this.tradesRecorded += 1;
    this.listener?.(state, trade, eventTime);
  }

  /** Stops trading on `symbols`; unknown names are rejected so a typo does not pass silently. */
  pause(symbols: readonly string[]): void {
    const states = this.resolve(symbols);
    for (const state of states) state.paused = true;
  }

  /** Resumes `symbols`, or every symbol when none are named. */
  resume(symbols?: readonly string[]): void {
    const states = symbols && symbols.length > 0 ? this.resolve(symbols) : this.states;
    for (const state of states) state.paused = false;
  }

  pausedSymbols(): string[] {
    return this.states.filter((s) => s.paused).map((s) => s.spec.symbol);
  }

  private resolve(symbols: readonly string[]): SymbolState[] {
    return symbols.map((name) => {
      const state = this.bySymbol.get(name.toUpperCase());
      if (!state) throw new FaultRequestError(`unknown symbol ${name}`);
      return state;
    });
  }

  aggTrades(symbol: string, query: AggTradesQuery): RestAggTrade[] {
    const state = this.bySymbol.get(symbol);
    return state ? queryAggTrades(state.trades, query).map(toRestAggTrade) : [];
  }
}
