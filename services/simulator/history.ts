import type { RestAggTrade, RestKline } from '../shared/binance';
import { formatE8, formatVolume } from './decimal';

/** One aggregate trade as stored: prices and quantities in 1e-8 units. */
export interface AggTradeRecord {
  a: number;
  f: number;
  l: number;
  T: number;
  priceE8: number;
  qtyE8: number;
  /** Buyer is the maker (the taker sold). */
  m: boolean;
}

export function toRestAggTrade(trade: AggTradeRecord): RestAggTrade {
  return { a: trade.a, p: formatE8(trade.priceE8), q: formatE8(trade.qtyE8), f: trade.f, l: trade.l, T: trade.T, m: trade.m, M: true };
}

const INITIAL_CAPACITY = 64;

/**
 * Per-symbol trade history: a ring of parallel typed arrays (about 42 bytes a trade,
 * no object per trade, so a GC pause never scales with history). Bounded twice:
 * trades older than `retentionMs` before the newest one are evicted, and when
 * `maxTrades` are held the oldest is overwritten. It grows by doubling up to
 * `maxTrades`, so quiet symbols stay small.
 */
export class TradeRing {
  private capacity = 0;
  private head = 0;
  private count = 0;
  private ids = new Float64Array(0);
  private firstIds = new Float64Array(0);
  private times = new Float64Array(0);
  private prices = new Float64Array(0);
  private quantities = new Float64Array(0);
  private fills = new Uint8Array(0);
  private makers = new Uint8Array(0);

  constructor(
    private readonly maxTrades: number,
    private readonly retentionMs: number,
  ) {}

  get size(): number {
    return this.count;
  }

  push(trade: AggTradeRecord): void {
    while (this.count > 0 && this.times[this.slot(0)]! < trade.T - this.retentionMs) this.dropOldest();
    if (this.count === this.capacity) {
      if (this.capacity < this.maxTrades) this.grow();
      else this.dropOldest();
    }
    const slot = (this.head + this.count) % this.capacity;
    this.ids[slot] = trade.a;
    this.firstIds[slot] = trade.f;
    this.times[slot] = trade.T;
    this.prices[slot] = trade.priceE8;
    this.quantities[slot] = trade.qtyE8;
    this.fills[slot] = trade.l - trade.f;
    this.makers[slot] = trade.m ? 1 : 0;
    this.count += 1;
  }

  /** The i-th stored trade, 0 = oldest. */
  at(i: number): AggTradeRecord {
    const slot = this.slot(i);
    const f = this.firstIds[slot]!;
    return { a: this.ids[slot]!, f, l: f + this.fills[slot]!, T: this.times[slot]!, priceE8: this.prices[slot]!, qtyE8: this.quantities[slot]!, m: this.makers[slot] === 1 };
  }

  /** Index of the first trade with id >= `id` (size when none). */
  lowerBoundId(id: number): number {
    return this.lowerBound(this.ids, id);
  }

  /** Index of the first aggregate whose first fill id is >= `id` (size when none). */
  lowerBoundFirstId(id: number): number {
    return this.lowerBound(this.firstIds, id);
  }

  /** Index of the first trade with time >= `time` (size when none). */
  lowerBoundTime(time: number): number {
    return this.lowerBound(this.times, time);
  }

  private lowerBound(values: Float64Array, target: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (values[this.slot(mid)]! < target) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private slot(i: number): number {
    return (this.head + i) % this.capacity;
  }

  private dropOldest(): void {
    this.head = (this.head + 1) % this.capacity;
    this.count -= 1;
  }

  private grow(): void {
    const capacity = Math.min(this.maxTrades, Math.max(INITIAL_CAPACITY, this.capacity * 2));
    const copy = <T extends Float64Array | Uint8Array>(source: T, target: T): T => {
      for (let i = 0; i < this.count; i++) target[i] = source[this.slot(i)]!;
      return target;
    };
    this.ids = copy(this.ids, new Float64Array(capacity));
    this.firstIds = copy(this.firstIds, new Float64Array(capacity));
    this.times = copy(this.times, new Float64Array(capacity));
    this.prices = copy(this.prices, new Float64Array(capacity));
    this.quantities = copy(this.quantities, new Float64Array(capacity));
    this.fills = copy(this.fills, new Uint8Array(capacity));
    this.makers = copy(this.makers, new Uint8Array(capacity));
    this.head = 0;
    this.capacity = capacity;
  }
}

export interface AggTradesQuery {
  fromId?: number;
  startTime?: number;
  endTime?: number;
  limit: number;
}

/**
 * `GET /api/v3/aggTrades` semantics: `fromId` inclusive; `startTime`/`endTime`
 * inclusive; with neither, the most recent `limit` trades.
 */
export function queryAggTrades(ring: TradeRing, query: AggTradesQuery): AggTradeRecord[] {
  let start: number;
  let end = ring.size;
  if (query.fromId !== undefined) {
    start = ring.lowerBoundId(query.fromId);
    if (query.endTime !== undefined) end = ring.lowerBoundTime(query.endTime + 1);
  } else if (query.startTime !== undefined || query.endTime !== undefined) {
    start = query.startTime === undefined ? 0 : ring.lowerBoundTime(query.startTime);
    if (query.endTime !== undefined) end = ring.lowerBoundTime(query.endTime + 1);
    if (query.startTime === undefined) start = Math.max(start, end - query.limit);
  } else {
    start = Math.max(0, end - query.limit);
  }
  const rows: AggTradeRecord[] = [];
  for (let i = start; i < end && rows.length < query.limit; i++) rows.push(ring.at(i));
  return rows;
}

export const MINUTE_MS = 60_000;

/** One 1m candle that had trades; prices in 1e-8 units, volumes as floats (they are sums). */
export interface KlineBar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  q: number;
  V: number;
  Q: number;
  n: number;
  f: number;
  L: number;
}

export function minuteOf(time: number): number {
  return time - (((time % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

/**
 * 1m candles of one symbol. Only minutes with trades are stored (at most `maxBars`,
 * oldest evicted); a query fills the quiet minutes with flat zero-volume candles at
 * the previous close, as Binance does, from `originTime` (when the symbol's history
 * starts) on.
 */
export class KlineBook {
  private bars: KlineBar[] = [];
  current: KlineBar | undefined;
  /** Set when the current bar changes; the kline stream publisher clears it after sending. */
  dirty = false;

  constructor(
    private originTime: number,
    private originPriceE8: number,
    private readonly maxBars: number,
  ) {}

  add(trade: AggTradeRecord): void {
    const minute = minuteOf(trade.T);
    const price = trade.priceE8;
    const base = trade.qtyE8 / 1e8;
    const quote = base * (price / 1e8);
    const trades = trade.l - trade.f + 1;
    if (!this.current || this.current.t !== minute) {
      if (this.current) this.closeCurrent();
      this.current = { t: minute, o: price, h: price, l: price, c: price, v: 0, q: 0, V: 0, Q: 0, n: 0, f: trade.f, L: trade.l };
    }
    const bar = this.current;
    if (price > bar.h) bar.h = price;
    if (price < bar.l) bar.l = price;
    bar.c = price;
    bar.v += base;
    bar.q += quote;
    if (!trade.m) {
      bar.V += base;
      bar.Q += quote;
    }
    bar.n += trades;
    bar.L = trade.l;
    this.dirty = true;
  }

  /** Moves the current bar to history once its minute is over; returns it if it closed. */
  closeIfBefore(minute: number): KlineBar | undefined {
    if (!this.current || this.current.t >= minute) return undefined;
    const closed = this.current;
    this.closeCurrent();
    return closed;
  }

  private closeCurrent(): void {
    this.bars.push(this.current as KlineBar);
    this.current = undefined;
    if (this.bars.length > this.maxBars * 1.25) {
      const evicted = this.bars.splice(0, this.bars.length - this.maxBars);
      const last = evicted[evicted.length - 1] as KlineBar;
      this.originTime = last.t + MINUTE_MS;
      this.originPriceE8 = last.c;
    }
  }

  lastPrice(): number {
    return this.current?.c ?? this.bars[this.bars.length - 1]?.c ?? this.originPriceE8;
  }

  /** Bars with trades whose open time is in [from, to], oldest first (current bar included). */
  barsBetween(from: number, to: number): KlineBar[] {
    const all = this.current ? [...this.bars, this.current] : this.bars;
    return all.filter((bar) => bar.t >= from && bar.t <= to);
  }

  /**
   * `GET /api/v3/klines?interval=1m` rows: open time in [startTime, endTime],
   * the most recent `limit` when no startTime, quiet minutes filled, nothing after
   * `nowMinute` or before the symbol's history.
   */
  query(nowTime: number, limit: number, startTime?: number, endTime?: number): RestKline[] {
    const nowMinute = minuteOf(nowTime);
    const upper = Math.min(nowMinute, endTime === undefined ? nowMinute : minuteOf(endTime));
    let from: number;
    let to: number;
    if (startTime !== undefined) {
      from = Math.max(this.originTime, minuteOf(startTime + MINUTE_MS - 1));
      to = Math.min(upper, from + (limit - 1) * MINUTE_MS);
    } else {
      to = upper;
      from = Math.max(this.originTime, to - (limit - 1) * MINUTE_MS);
    }
    if (from > to) return [];
    const all = this.current ? [...this.bars, this.current] : this.bars;
    let index = 0;
    let previousClose = this.originPriceE8;
    while (index < all.length && all[index]!.t < from) previousClose = all[index++]!.c;
    const rows: RestKline[] = [];
    for (let minute = from; minute <= to; minute += MINUTE_MS) {
      const bar = all[index];
      if (bar && bar.t === minute) {
        rows.push(klineRow(bar));
        previousClose = bar.c;
        index += 1;
      } else {
        const flat = formatE8(previousClose);
        rows.push([minute, flat, flat, flat, flat, '0.00000000', minute + MINUTE_MS - 1, '0.00000000', 0, '0.00000000', '0.00000000', '0']);
      }
    }
    return rows;
  }
}

export function klineRow(bar: KlineBar): RestKline {
  return [bar.t, formatE8(bar.o), formatE8(bar.h), formatE8(bar.l), formatE8(bar.c), formatVolume(bar.v), bar.t + MINUTE_MS - 1, formatVolume(bar.q), bar.n, formatVolume(bar.V), formatVolume(bar.Q), '0'];
}
