import type { RateRecord } from './merge';

/** One row of `price_change_rates_1m`: the aggregate of the raw rows of one minute. */
export interface MinuteRecord {
  /** Start of the minute (epoch ms, UTC). */
  bucket: number;
  exchange: string;
  symbol: string;
  open: string;
  high: string;
  low: string;
  close: string;
  change1m: number | null;
  change5m: number | null;
  change15m: number | null;
  /** Sorted ("C" order), distinct. */
  flags: string[];
  rows: number;
  openTime: number;
  closeTime: number;
}

const MINUTE_MS = 60_000;
const minuteOf = (ms: number): number => ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);

/**
 * Numeric order of two decimal strings of the history schema
 * (`^(0|[1-9]\d*)(\.\d+)?$`, no sign, no exponent): a longer integer part is
 * larger, then digit by digit, the fraction padded with zeros. Exact, where
 * Number() would round prices of more than 15 significant digits.
 */
export function compareDecimal(a: string, b: string): number {
  const ai = a.indexOf('.');
  const bi = b.indexOf('.');
  const aInt = ai < 0 ? a : a.slice(0, ai);
  const bInt = bi < 0 ? b : b.slice(0, bi);
  if (aInt.length !== bInt.length) return aInt.length - bInt.length;
  if (aInt !== bInt) return aInt < bInt ? -1 : 1;
  const aFrac = ai < 0 ? '' : a.slice(ai + 1);
  const bFrac = bi < 0 ? '' : b.slice(bi + 1);
  const width = Math.max(aFrac.length, bFrac.length);
  const x = aFrac.padEnd(width, '0');
  const y = bFrac.padEnd(width, '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The per-minute aggregate of rows that are all new to the raw table (pure): the
 * same as minuteAggregateSql (sql.ts) computes in SQL, for the write path that
 * COPYs straight into price_change_rates and so never has the rows in a table it
 * could aggregate. open/close are the prices at the earliest/latest time, the
 * changes those of the latest row, high/low by numeric order, flags the sorted
 * distinct union. The rows of one minute never share a time (the raw key), so
 * first and last are unambiguous. Sorted by (exchange, symbol, bucket), the
 * order in which every batch locks rollup rows.
 */
export function aggregateMinutes(rows: readonly RateRecord[]): MinuteRecord[] {
  const minutes = new Map<string, MinuteRecord>();
  const flagSets = new Map<MinuteRecord, Set<string>>();
  for (const row of rows) {
    const bucket = minuteOf(row.time);
    const key = `${row.exchange}|${row.symbol}|${bucket}`;
    const m = minutes.get(key);
    if (m === undefined) {
      const minute: MinuteRecord = {
        bucket,
        exchange: row.exchange,
        symbol: row.symbol,
        open: row.price,
        high: row.price,
        low: row.price,
        close: row.price,
        change1m: row.change1m,
        change5m: row.change5m,
        change15m: row.change15m,
        flags: [],
        rows: 1,
        openTime: row.time,
        closeTime: row.time,
      };
      minutes.set(key, minute);
      if (row.flags.length > 0) flagSets.set(minute, new Set(row.flags));
      continue;
    }
    m.rows += 1;
    if (row.time < m.openTime) {
      m.openTime = row.time;
      m.open = row.price;
    }
    if (row.time > m.closeTime) {
      m.closeTime = row.time;
      m.close = row.price;
      m.change1m = row.change1m;
      m.change5m = row.change5m;
      m.change15m = row.change15m;
    }
    if (compareDecimal(row.price, m.high) > 0) m.high = row.price;
    if (compareDecimal(row.price, m.low) < 0) m.low = row.price;
    if (row.flags.length > 0) {
      const set = flagSets.get(m) ?? new Set<string>();
      for (const flag of row.flags) set.add(flag);
      flagSets.set(m, set);
    }
  }
  // JavaScript's default sort compares UTF-16 code units: for ASCII flag names, PostgreSQL's "C" order.
  for (const [minute, set] of flagSets) minute.flags = [...set].sort();
  const text = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...minutes.values()].sort((a, b) => text(a.exchange, b.exchange) || text(a.symbol, b.symbol) || a.bucket - b.bucket);
}
