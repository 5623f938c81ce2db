import type { RateRecord } from '../../lambdas/ingest/merge';
/**
 * What the fault matrix asserts and measures about stored history, as pure
 * functions over rows, the exchange's trade record and the collector runs, so
 * the rules can be read (and tested) apart from the processes.
 */

export const WINDOWS_MS = { change1m: 60_000, change5m: 300_000, change15m: 900_000 } as const;
const CHANGE_TOLERANCE = 1e-9;
/** Flags that say a value may lag what the exchange did: a mismatch under them is announced, not silent. */
const EXPLAINING_FLAGS = new Set(['gap', 'stale']);

/** One symbol's trades as the exchange recorded them, in id order (times never go back). */
export interface TradeTape {
  times: Float64Array;
  prices: Float64Array;
}

export function tapeOf(trades: ReadonlyArray<{ T: number; p: string }>): TradeTape {
  const tape = { times: new Float64Array(trades.length), prices: new Float64Array(trades.length) };
  trades.forEach((trade, i) => {
    tape.times[i] = trade.T;
    tape.prices[i] = Number(trade.p);
  });
  return tape;
}

/** Index of the latest trade with time <= t, or -1. */
export function latestAtOrBefore(tape: TradeTape, t: number): number {
  let low = 0;
  let high = tape.times.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (tape.times[mid]! <= t) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** A stored `price_change_rates` row of the one exchange a run collects: the ingest record without its exchange. */
export type StoredRow = Omit<RateRecord, 'exchange'>;

/** One collector process: trades are known to it live from the moment all its streams were subscribed. */
export interface CollectorRun {
  id: string;
  spawnedAt: number;
  readyAt: number | undefined;
  endedAt: number | undefined;
}

/**
 * How far before its start a process may date a state: timer and warm-start
 * evaluations are made at the exchange clock less a settle time (1 s), and the
 * clock may run a little ahead of the local one.
 */
const BACKDATING_MS = 2000;

/** The run that evaluated a state at `evaluatedAt`: the newest one alive then (a state is never dated after its process ended). */
export function producerOf(runs: readonly CollectorRun[], evaluatedAt: number): CollectorRun | undefined {
  return [...runs].reverse().find((run) => run.spawnedAt - BACKDATING_MS <= evaluatedAt && (run.endedAt === undefined || evaluatedAt <= run.endedAt));
}

export interface RowVerdict {
  /** At least one field could be checked against the definition. */
  verified: boolean;
  wrong: boolean;
  /** Wrong and carrying no flag (`gap`, `stale`) that announces lagging values. */
  wrongUnflagged: boolean;
  /** The first field found wrong, with what was stored and what the definition gives. */
  mismatch?: { field: string; stored: number | null; expected: number };
}

/**
 * Checks one row against the change rate definition computed from the exchange's
 * own trade record:
 *
 * - `price` must be the price of the last trade of the row's interval or before
 *   it (the last state of the interval wins, and every trade of the interval has
 *   arrived when it is closed, a settle time after its end);
 * - `change_W` must be `(price(ev) - ref_W(ev)) / ref_W(ev) * 100` at the row's
 *   own evaluation time `ev` (the timer need not evaluate at the interval's end).
 *
 * A field is checked only when the trades it rests on happened after the
 * collector run that produced the row had subscribed everything: earlier
 * trades reach a fresh process as warm-start klines, which approximate the
 * definition by design (flag `backfilled`). So a mismatch in a checked field is
 * a trade the collector missed or applied late, whatever `backfilled` says.
 */
export function verifyRow(row: StoredRow, tape: TradeTape, runs: readonly CollectorRun[], intervalMs: number): RowVerdict {
  const producer = producerOf(runs, row.evaluatedAt);
  const liveFrom = producer?.readyAt ?? Number.POSITIVE_INFINITY;
  let verified = false;
  let mismatch: RowVerdict['mismatch'];
  const last = latestAtOrBefore(tape, row.time + intervalMs - 1);
  if (last >= 0 && tape.times[last]! >= liveFrom) {
    verified = true;
    if (Number(row.price) !== tape.prices[last]) mismatch = { field: 'price', stored: Number(row.price), expected: tape.prices[last]! };
  }
  const at = latestAtOrBefore(tape, row.evaluatedAt);
  for (const [field, windowMs] of Object.entries(WINDOWS_MS) as Array<[keyof typeof WINDOWS_MS, number]>) {
    const ref = latestAtOrBefore(tape, row.evaluatedAt - windowMs);
    if (ref < 0 || at < 0 || tape.times[ref]! < liveFrom) continue;
    verified = true;
    const expected = ((tape.prices[at]! - tape.prices[ref]!) / tape.prices[ref]!) * 100;
    const stored = row[field];
    if (stored === null || Math.abs(stored - expected) > CHANGE_TOLERANCE) mismatch ??= { field, stored, expected };
  }
  const wrong = mismatch !== undefined;
  return { verified, wrong, wrongUnflagged: wrong && !row.flags.some((flag) => EXPLAINING_FLAGS.has(flag)), ...(mismatch ? { mismatch } : {}) };
}

/** Rows a (symbol, second) holds: the primary key allows one per exact time, not per second. */
export interface SecondCount {
  symbol: string;
  second: number;
  rows: number;
}

export interface CompletenessGap {
  symbol: string;
  second: number;
}

/**
 * Missing = a second of the window a symbol has no row for; duplicated = rows
 * beyond the first in one (symbol, second).
 */
export function completeness(counts: readonly SecondCount[], symbols: readonly string[], from: number, to: number): { missing: CompletenessGap[]; duplicated: CompletenessGap[] } {
  const seen = new Map<string, Map<number, number>>(symbols.map((symbol) => [symbol, new Map()]));
  const duplicated: CompletenessGap[] = [];
  for (const count of counts) {
    if (count.second < from || count.second > to) continue;
    seen.get(count.symbol)?.set(count.second, count.rows);
    for (let extra = 1; extra < count.rows; extra++) duplicated.push({ symbol: count.symbol, second: count.second });
  }
  const missing: CompletenessGap[] = [];
  for (const [symbol, seconds] of seen) {
    for (let second = from; second <= to; second += 1000) if (!seconds.has(second)) missing.push({ symbol, second });
  }
  return { missing, duplicated };
}

/**
 * The window every symbol must be complete in: from the first second in which
 * every symbol has a row (start-up and warm start take a moment per symbol) to
 * the last second closed before the final stop. A symbol with no row at all
 * does not move the start: it is missing in every second of the window.
 */
export function completenessWindow(firstSecondPerSymbol: ReadonlyMap<string, number>, symbols: readonly string[], stoppedAt: number): { from: number; to: number } {
  const to = Math.floor(stoppedAt / 1000) * 1000 - 1000;
  const firsts = symbols.flatMap((symbol) => (firstSecondPerSymbol.has(symbol) ? [firstSecondPerSymbol.get(symbol)!] : []));
  return { from: firsts.length > 0 ? Math.max(...firsts) : to, to };
}
