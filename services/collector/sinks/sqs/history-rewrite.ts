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
 * order: the upsert keeps the greater `(evaluated_at, fewer flags, ...)`. The
 * corrected row's `evaluated_at` is the interval's end - 1 ms, and rows of live
 * states are written with at most end - 2 ms (`liveEvaluatedAt`): the last
 * millisecond of every interval is reserved for corrections, so a corrected row
 * is strictly newer than any live row of its interval and never reaches the
 * tie-break. Capping the label of a state made in that last millisecond at one
 * millisecond earlier changes no value and no row: the interval's last state
 * still wins inside the batcher, and two collectors label it alike. (Capping was
 * chosen over "fewer flags wins on a tie": a state from before the late trades
 * can carry fewer flags than the corrected one, e.g. a late trade that was an
 * anomaly, so the tie-break alone could keep the wrong row.) Two corrections of
 * one interval (a second gap before the first one's rows were rewritten) tie
 * on `evaluated_at`; the content order then decides, as between collectors.
 *
 * Bound: at most `maxIntervals` (default 300) rows per symbol per closed gap,
 * the newest ones. 300 is the batcher's own catch-up bound; at the default 1 s
 * interval it is the 5 minutes of history the rate engine keeps past its
 * longest window for this purpose (a third more memory than 15 minutes), and a
 * stall of a connection carrying 200 symbols costs at most 60,000 rows, a few
 * seconds of the normal row rate. Rows older than that were written while the
 * gap was open and carry `gap`, except those from before it was noticed.
 */

/** The `evaluated_at` of a live state's row for the interval starting at `intervalStart`: the last millisecond is kept for corrections. */
export function liveEvaluatedAt(ts: number, intervalStart: number, intervalMs: number): number {
  return Math.min(ts, intervalStart + intervalMs - 2);
}

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
