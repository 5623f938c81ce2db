import { SERVER_SHUTDOWN_STREAM } from '../shared/binance';
import { formatE8, formatVolume } from './decimal';
import type { AggTradeRecord, KlineBar } from './history';
import { MINUTE_MS } from './history';

/**
 * Wire formatting of stream events. Payloads are built with template strings in
 * Binance's key order (JSON.stringify of an object would cost an allocation and a
 * property walk per event at 50,000 events a second). `timeFactor` is 1 for
 * milliseconds and 1000 for `timeUnit=MICROSECOND` connections.
 */

export function aggTradePayload(symbol: string, trade: AggTradeRecord, eventTime: number, timeFactor: number): string {
  return `{"e":"aggTrade","E":${eventTime * timeFactor},"s":"${symbol}","a":${trade.a},"p":"${formatE8(trade.priceE8)}","q":"${formatE8(trade.qtyE8)}","f":${trade.f},"l":${trade.l},"T":${trade.T * timeFactor},"m":${trade.m},"M":true}`;
}

/**
 * Quantities of the individual trades inside an aggregate trade: equal whole steps,
 * the remainder on the last fill, so they add up exactly to the aggregate quantity.
 */
export function splitQuantity(qtyE8: number, fills: number, stepE8: number): number[] {
  const steps = Math.round(qtyE8 / stepE8);
  const each = Math.floor(steps / fills);
  const parts: number[] = [];
  for (let i = 0; i < fills - 1; i++) parts.push(each * stepE8);
  parts.push(qtyE8 - each * stepE8 * (fills - 1));
  return parts;
}

export function tradePayload(symbol: string, tradeId: number, priceE8: number, qtyE8: number, time: number, maker: boolean, eventTime: number, timeFactor: number): string {
  return `{"e":"trade","E":${eventTime * timeFactor},"s":"${symbol}","t":${tradeId},"p":"${formatE8(priceE8)}","q":"${formatE8(qtyE8)}","T":${time * timeFactor},"m":${maker},"M":true}`;
}

export function klinePayload(symbol: string, bar: KlineBar, closed: boolean, eventTime: number, timeFactor: number): string {
  const start = bar.t * timeFactor;
  const end = (bar.t + MINUTE_MS) * timeFactor - 1;
  return (
    `{"e":"kline","E":${eventTime * timeFactor},"s":"${symbol}","k":{"t":${start},"T":${end},"s":"${symbol}","i":"1m","f":${bar.f},"L":${bar.L},` +
    `"o":"${formatE8(bar.o)}","c":"${formatE8(bar.c)}","h":"${formatE8(bar.h)}","l":"${formatE8(bar.l)}","v":"${formatVolume(bar.v)}","n":${bar.n},"x":${closed},` +
    `"q":"${formatVolume(bar.q)}","V":"${formatVolume(bar.V)}","Q":"${formatVolume(bar.Q)}","B":"0"}}`
  );
}

export interface TickerStats {
  openE8: number;
  highE8: number;
  lowE8: number;
  closeE8: number;
  volume: number;
  quoteVolume: number;
}

export function miniTickerPayload(symbol: string, stats: TickerStats, eventTime: number, timeFactor: number): string {
  return `{"e":"24hrMiniTicker","E":${eventTime * timeFactor},"s":"${symbol}","c":"${formatE8(stats.closeE8)}","o":"${formatE8(stats.openE8)}","h":"${formatE8(stats.highE8)}","l":"${formatE8(stats.lowE8)}","v":"${formatVolume(stats.volume)}","q":"${formatVolume(stats.quoteVolume)}"}`;
}

/** 24 h rolling statistics from the symbol's candles (the open is the close before the window). */
export function tickerStats(bars: readonly KlineBar[], openBeforeE8: number): TickerStats | undefined {
  const last = bars[bars.length - 1];
  if (!last) return undefined;
  const stats: TickerStats = { openE8: openBeforeE8, highE8: 0, lowE8: Number.MAX_SAFE_INTEGER, closeE8: last.c, volume: 0, quoteVolume: 0 };
  for (const bar of bars) {
    if (bar.h > stats.highE8) stats.highE8 = bar.h;
    if (bar.l < stats.lowE8) stats.lowE8 = bar.l;
    stats.volume += bar.v;
    stats.quoteVolume += bar.q;
  }
  return stats;
}

export function combinedMessage(stream: string, payload: string): string {
  return `{"stream":"${stream}","data":${payload}}`;
}

export function serverShutdownMessage(eventTime: number, combined: boolean, timeFactor: number): string {
  const payload = `{"e":"serverShutdown","E":${eventTime * timeFactor}}`;
  return combined ? combinedMessage(SERVER_SHUTDOWN_STREAM, payload) : payload;
}
