import { HUGE_FRAME_BYTES } from '../../faults';
import { splitQuantity } from '../../format';
import type { AggTradeRecord } from '../../history';
import { trimmedE8 } from '../common';

/**
 * One `trades` push entry. OKX aggregates the channel: one entry per taker order
 * and price, `tradeId` the last of its fills and `count` how many; the side is the
 * taker's (`m`, buyer is maker, means the taker sold).
 */
export function okxTradeEntry(instId: string, trade: AggTradeRecord): string {
  return `{"instId":"${instId}","tradeId":"${trade.l}","px":"${trimmedE8(trade.priceE8)}","sz":"${trimmedE8(trade.qtyE8)}","side":"${trade.m ? 'sell' : 'buy'}","ts":"${trade.T}","count":"${trade.l - trade.f + 1}"}`;
}

export function okxTradesPush(instId: string, trades: readonly AggTradeRecord[]): string {
  return `{"arg":{"channel":"trades","instId":"${instId}"},"data":[${trades.map((t) => okxTradeEntry(instId, t)).join(',')}]}`;
}

/** A `history-trades` / `trades` REST row: one per fill, `tradeId` the fill's own id. */
export interface OkxFillRow {
  instId: string;
  side: 'buy' | 'sell';
  sz: string;
  px: string;
  source: '0';
  tradeId: string;
  ts: string;
}

/** The fills of an aggregate, newest (highest id) first. */
export function okxFillsNewestFirst(instId: string, trade: AggTradeRecord, stepE8: number): OkxFillRow[] {
  const quantities = splitQuantity(trade.qtyE8, trade.l - trade.f + 1, stepE8);
  const rows: OkxFillRow[] = [];
  for (let i = quantities.length - 1; i >= 0; i--) {
    rows.push({ instId, side: trade.m ? 'sell' : 'buy', sz: trimmedE8(quantities[i] as number), px: trimmedE8(trade.priceE8), source: '0', tradeId: String(trade.f + i), ts: String(trade.T) });
  }
  return rows;
}

/** Frames an OKX client must survive without storing anything. */
export function okxGarbageFrames(instId: string, now: number): string[] {
  const push = (data: string, id = instId, channel = 'trades'): string => `{"arg":{"channel":"${channel}","instId":"${id}"},"data":[${data}]}`;
  const entry = (px: string, extra = ''): string => `{"instId":"${instId}","tradeId":"1","px":${px},"sz":"1","side":"buy","ts":"${now}"${extra}}`;
  return [
    '{"arg":',
    'not json at all',
    'null',
    '[]',
    push(`{"instId":"${instId}","tradeId":5,"px":1.5,"sz":true,"side":1,"ts":"now"}`),
    push(entry('"-1"')),
    push(entry('"NaN"')),
    push(entry('"0"')),
    push(entry('"Infinity"')),
    push(entry('"1e400"')),
    push(`{"foo":1}`, instId, 'bogus'),
    push(entry('"1"').replace(instId, 'ZZZZZZ-USDT'), 'ZZZZZZ-USDT'),
    push(`{"instId":"${instId}"}`),
    push(entry('"1"', `,"pad":"${'x'.repeat(HUGE_FRAME_BYTES)}"`)),
  ];
}
