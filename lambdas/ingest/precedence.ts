import type { RateRecord } from './merge';

/**
 * Which of two states of one `price_change_rates` row (same exchange, symbol,
 * time) is kept: the one with the greater precedence key
 *
 *   (evaluated_at, -cardinality(flags), flags joined by ',', price text, change_1m, change_5m, change_15m)
 *
 * compared left to right, text by code unit (PostgreSQL's "C" collation), a NULL
 * change below every number. The newest evaluation wins, as before. Two
 * collectors (or a timer and a trade evaluation) can produce different rows for
 * the same evaluated_at, e.g. one with a gap open and one without; keeping
 * whichever arrived first made the stored flags depend on delivery order. With a
 * total order over the contents every delivery order, inside one batch or
 * across batches, stores the same row. Fewer flags rank first because a row
 * without `gap` / `stale` was computed from more of the feed; the remaining
 * fields only break ties deterministically.
 *
 * RATES_PRECEDENCE_SQL in sql.ts is the same key for the upsert: keep them in step.
 */
export function compareRatePrecedence(a: RateRecord, b: RateRecord): number {
  return (
    a.evaluatedAt - b.evaluatedAt ||
    b.flags.length - a.flags.length ||
    compareText(a.flags.join(','), b.flags.join(',')) ||
    compareText(a.price, b.price) ||
    compareChange(a.change1m, b.change1m) ||
    compareChange(a.change5m, b.change5m) ||
    compareChange(a.change15m, b.change15m)
  );
}

/** True when `candidate` replaces `current`; equal keys keep `current` (their contents are the same). */
export function supersedes(candidate: RateRecord, current: RateRecord): boolean {
  return compareRatePrecedence(candidate, current) > 0;
}

// JavaScript compares strings by UTF-16 code unit; for the ASCII the schema allows
// (flag names, decimal digits) that is byte order, PostgreSQL's "C" collation.
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const compareChange = (a: number | null, b: number | null): number => {
  const x = a ?? -Infinity;
  const y = b ?? -Infinity;
  return x < y ? -1 : x > y ? 1 : 0;
};
