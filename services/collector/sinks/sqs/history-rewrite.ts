/**
 * Rows rewritten after late trades (issue 11 §7). When a symbol's gap closes,
 * the states written while its trades were late (a silent connection until it
 * was replaced, then the backfill) rested on a partial record: the last price
 * with a current `evaluated_at`, unflagged until the gap was even noticed. Each
 * interval from the one holding the first late trade is evaluated again at its
 * last millisecond, from the history that now holds the late trades, and sent
 * as a row of its own.
 *
 * Why the corrected row replaces the one written before, whatever the delivery
 * order: the upsert keeps the greater `(evaluated_at, fewer flags, flags text,
 * ...)` (lambdas/ingest/precedence.ts). A live row holds the last state of its
 * interval, so its `evaluated_at` is at most the interval's end - 1 ms, the
 * instant of the corrected row: strictly older unless the live state was made
 * in exactly that millisecond. Then the two tie and the flags decide:
 *
 * - A state made at `e` after every trade up to `e` had arrived is the corrected
 *   state itself (same price, changes, `backfilled`, `stale`, `anomaly`: all are
 *   read from the same history entries), plus `gap` if another gap was open:
 *   equal (nothing changes) or one flag more (the corrected row wins).
 * - A state made at `e` before some trade up to `e` arrived (a timer pass during
 *   the silence, or a trade of `e` whose same-millisecond successors came late):
 *   more trades can only end a candle stand-in or a silence, so the corrected
 *   row's `backfilled` and `stale` imply the old row's, and it has no `gap`. Its
 *   flags are the old row's less some, plus `anomaly` only if the late trade
 *   that is last at `e` was one.
 *
 * So the corrected row has no more flags than a row it ties, except in that one
 * case (an anomalous late trade, the last at or before the very millisecond a
 * state was made during the silence: about one interval in a thousand has a
 * state at its last millisecond, times the anomaly rate), where the row kept is
 * the old one, which is what Redis showed at the time. Reserving the last
 * millisecond for corrections (labelling live states made in it 1 ms earlier)
 * would close that case but make rows of busy symbols hold a state 1 ms later
 * than their `evaluated_at`, breaking the row = definition-at-evaluated_at
 * property this whole rewrite restores. Two corrections of one interval (a
 * second gap before the first was rewritten) tie the same way, the later having
 * the more complete record.
 *
 * Bound: at most `maxIntervals` (default 300) rows per symbol per closed gap,
 * the newest ones. 300 is the batcher's own catch-up bound; at the default 1 s
 * interval it is the 5 minutes of history the rate engine keeps past its
 * longest window for this purpose (a third more memory than 15 minutes), and a
 * stall of a connection carrying 200 symbols costs at most 60,000 rows, a few
 * seconds of the normal row rate. Rows older than that were written while the
 * gap was open and carry `gap`, except those from before it was noticed.
 */

/**
 * Instants (each an interval's end - 1 ms) to evaluate again after trades from
 * `firstLateTradeTime` on arrived late: from the interval holding that trade
 * through the last interval ending at or before `until` (the clock less the
 * settle time, so every trade up to it is known), the newest `maxIntervals`.
 */
export function rewriteInstants(firstLateTradeTime: number, until: number, intervalMs: number, maxIntervals: number): number[] {
  const lastClosed = Math.floor(until / intervalMs) * intervalMs - intervalMs;
  const first = Math.max(Math.floor(firstLateTradeTime / intervalMs) * intervalMs, lastClosed - (maxIntervals - 1) * intervalMs);
  const instants: number[] = [];
  for (let start = first; start <= lastClosed; start += intervalMs) instants.push(start + intervalMs - 1);
  return instants;
}
