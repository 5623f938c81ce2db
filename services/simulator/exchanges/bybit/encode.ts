import { HUGE_FRAME_BYTES } from '../../faults';
import { splitQuantity } from '../../format';
import type { AggTradeRecord } from '../../history';
import { trimmedE8 } from '../common';

/**
 * Bybit spot trade ids are 19-digit strings ("2290000000061666327"): `229` and the
 * fill id in 16 digits keeps them that shape and numerically increasing.
 */
export function bybitTradeId(fillId: number): string {
  return `229${String(fillId).padStart(16, '0')}`;
}

export type TickDirection = 'PlusTick' | 'ZeroPlusTick' | 'MinusTick' | 'ZeroMinusTick';

/** Direction of a price change, remembering the last move for unchanged prices. */
export function tickDirection(priceE8: number, previousE8: number | undefined, previous: TickDirection): TickDirection {
  if (previousE8 === undefined || priceE8 === previousE8) return previous === 'MinusTick' || previous === 'ZeroMinusTick' ? 'ZeroMinusTick' : 'ZeroPlusTick';
  return priceE8 > previousE8 ? 'PlusTick' : 'MinusTick';
}

/** One fill of an aggregate as a Bybit execution. */
export interface BybitFill {
  id: number;
  T: number;
  priceE8: number;
  qtyE8: number;
  /** The taker's side. */
  side: 'Buy' | 'Sell';
}

/** Bybit publishes executions: an aggregate becomes its fills, quantities split on the lot step. */
export function fillsOf(trade: AggTradeRecord, stepE8: number): BybitFill[] {
  const side = trade.m ? 'Sell' : 'Buy';
  return splitQuantity(trade.qtyE8, trade.l - trade.f + 1, stepE8).map((qtyE8, i) => ({ id: trade.f + i, T: trade.T, priceE8: trade.priceE8, qtyE8, side }));
}

export function bybitTradeEntry(symbol: string, fill: BybitFill, direction: TickDirection): string {
  return `{"T":${fill.T},"s":"${symbol}","S":"${fill.side}","v":"${trimmedE8(fill.qtyE8)}","p":"${trimmedE8(fill.priceE8)}","L":"${direction}","i":"${bybitTradeId(fill.id)}","BT":false}`;
}

/** `{"topic","type":"snapshot","ts","data":[...]}`; `ts` is when the push was generated. */
export function bybitTradePush(symbol: string, entries: readonly string[], ts: number): string {
  return `{"topic":"publicTrade.${symbol}","type":"snapshot","ts":${ts},"data":[${entries.join(',')}]}`;
}

/** A `recent-trade` row. */
export function bybitRecentTradeRow(symbol: string, fill: BybitFill): Record<string, unknown> {
  return { execId: bybitTradeId(fill.id), symbol, price: trimmedE8(fill.priceE8), size: trimmedE8(fill.qtyE8), side: fill.side, time: String(fill.T), isBlockTrade: false, isRPITrade: false };
}

/** Frames a Bybit client must survive without storing anything. */
export function bybitGarbageFrames(symbol: string, now: number): string[] {
  const push = (data: string, topicSymbol = symbol, prefix = 'publicTrade.'): string => `{"topic":"${prefix}${topicSymbol}","type":"snapshot","ts":${now},"data":[${data}]}`;
  const entry = (p: string, extra = ''): string => `{"T":${now},"s":"${symbol}","S":"Buy","v":"1","p":${p},"L":"PlusTick","i":"1","BT":false${extra}}`;
  return [
    '{"topic":',
    'not json at all',
    'null',
    '[]',
    push(`{"T":"now","s":42,"S":1,"v":true,"p":1.5,"i":5,"BT":"no"}`),
    push(entry('"-1"')),
    push(entry('"NaN"')),
    push(entry('"0"')),
    push(entry('"Infinity"')),
    push(entry('"1e400"')),
    push('{"foo":1}', symbol, 'bogusTopic.'),
    push(entry('"1"').replace(symbol, 'ZZZZZZUSDT'), 'ZZZZZZUSDT'),
    push(`{"s":"${symbol}"}`),
    push(entry('"1"', `,"pad":"${'x'.repeat(HUGE_FRAME_BYTES)}"`)),
  ];
}
