import type { AggTradeRecord } from '../../../../services/simulator/history';
import { Market } from '../../../../services/simulator/market';
import type { RestContext, RestFailure, RestRequest } from '../../../../services/simulator/rest';
import type { SymbolSpec } from '../../../../services/simulator/universe';

/** 2024-01-01T00:00:00Z: a fixed exchange clock, so no test depends on today's date. */
export const ORIGIN = 1_704_067_200_000;

export const spec = (symbol: string, baseAsset: string, quoteAsset: string): SymbolSpec => ({ symbol, baseAsset, quoteAsset, status: 'TRADING', tickE8: 1_000_000, stepE8: 1_000, filters: [], extra: {} });

/** BTCUSDT and ETHUSDT, history from ORIGIN, no trades yet. */
export function fixtureMarket(): Market {
  return new Market([spec('BTCUSDT', 'BTC', 'USDT'), spec('ETHUSDT', 'ETH', 'USDT')], [40_000, 2_000], ORIGIN, { retentionMs: 3_600_000, maxTradesPerSymbol: 10_000, maxKlineBars: 1440 });
}

/**
 * Records `count` BTCUSDT aggregates, one every `spacingMs` from ORIGIN; every
 * third aggregates 3 fills. Aggregate ids from 100, fill ids from 1000.
 */
export function recordTrades(market: Market, count: number, spacingMs = 1000): AggTradeRecord[] {
  const state = market.get('BTCUSDT')!;
  const trades: AggTradeRecord[] = [];
  let fill = 1000;
  for (let i = 0; i < count; i++) {
    const fills = i % 3 === 2 ? 3 : 1;
    const trade = { a: 100 + i, f: fill, l: fill + fills - 1, T: ORIGIN + i * spacingMs, priceE8: 4_000_000_000_000 + i * 1_000_000, qtyE8: 3_000_000, m: i % 2 === 0 };
    fill += fills;
    market.record(state, trade, trade.T);
    trades.push(trade);
  }
  return trades;
}

export function restContext(market: Market, now: number, failure?: RestFailure): RestContext {
  return { market, exchangeTime: () => now, wallTime: () => now, failure: () => failure };
}

export function get(path: string, params: Record<string, string> = {}, client = '10.0.0.1'): RestRequest {
  return { method: 'GET', path, query: new URLSearchParams(params), client };
}
