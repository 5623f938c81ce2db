import type { RateRow } from '../../../shared/history';
import { isRateFlag, type RateState } from '../../../shared/rates';

/**
 * How many intervals before the last state a resume writes again: the settle
 * time plus the interval in progress, with room for a batch still in the send
 * queue when the predecessor died.
 */
const RESUME_REWRITE_INTERVALS = 3;

interface SymbolHistory {
  /** States of intervals not yet emitted, oldest first; at most one per interval. */
  open: RateState[];
  /** The state carried into intervals in which the symbol did not change. */
  carried: RateState | undefined;
  /** Start of the last interval emitted for this symbol. */
  emittedThrough: number | undefined;
}

/**
 * Turns the stream of published states into history rows: one row per symbol
 * with a known price per persistence interval, `time` = interval start (UTC), the
 * last state in the interval winning. A symbol that did not change in an interval
 * repeats its last state (that is what Redis showed all along). Pure: the caller
 * decides when an interval is closed (after the settle time, so late states of it
 * have arrived). Memory: per symbol one carried state plus the states of the few
 * intervals not yet closed.
 */
export class HistoryBatcher {
  private readonly symbols = new Map<string, SymbolHistory>();

  constructor(
    private intervalMs: number,
    /** Intervals one `close` may emit per symbol: a clock jump must not produce millions of rows. */
    private readonly maxCatchUpIntervals = 300,
  ) {}

  get interval(): number {
    return this.intervalMs;
  }

  /**
   * Changes the interval (runtime setting); rows already emitted keep theirs. Each
   * symbol continues on the new grid from the interval holding the end of what it
   * emitted, so quiet symbols (carried, not re-recorded) leave no hole.
   */
  setInterval(intervalMs: number): void {
    if (intervalMs === this.intervalMs) return;
    const previous = this.intervalMs;
    this.intervalMs = intervalMs;
    for (const history of this.symbols.values()) {
      if (history.emittedThrough !== undefined) history.emittedThrough = this.intervalStart(history.emittedThrough + previous - 1);
    }
  }

  intervalStart(ts: number): number {
    return Math.floor(ts / this.intervalMs) * this.intervalMs;
  }

  record(state: RateState): void {
    let history = this.symbols.get(state.symbol);
    if (!history) {
      history = { open: [], carried: undefined, emittedThrough: undefined };
      this.symbols.set(state.symbol, history);
    }
    const open = history.open;
    const last = open[open.length - 1];
    if (last && this.intervalStart(last.ts) === this.intervalStart(state.ts)) {
      if (state.ts >= last.ts) open[open.length - 1] = state;
    } else if (!last || state.ts > last.ts) {
      open.push(state);
    }
  }

  remove(symbol: string): void {
    this.symbols.delete(symbol);
  }

  /**
   * Continues a symbol's history from the states a predecessor left in Redis
   * (its last one, and the last one of the interval before, `previous`).
   *
   * The predecessor may have died (SIGKILL, OOM) before it persisted its last
   * intervals: they were still settling in memory. So the rows from
   * `previous`'s interval (at most `RESUME_REWRITE_INTERVALS` back) up to the
   * one before `state`'s are written again with `previous`, exactly what the
   * predecessor watched; re-writing rows it did persist changes nothing (same
   * evaluated_at). `state`'s own interval was watched only up to the death and
   * every interval after it by nobody: they carry `state` flagged `gap` until
   * live states arrive.
   */
  resume(state: RateState, previous?: RateState): void {
    if (this.symbols.has(state.symbol)) return;
    const flags = state.flags.includes('gap') ? state.flags : [...state.flags, 'gap'];
    const flagged = { ...state, flags };
    const current = this.intervalStart(state.ts);
    const usable = previous !== undefined && previous.ts < state.ts && this.intervalStart(previous.ts) < current;
    const first = usable ? Math.max(this.intervalStart(previous.ts), current - RESUME_REWRITE_INTERVALS * this.intervalMs) : current;
    this.symbols.set(state.symbol, {
      open: usable ? [previous, flagged] : [flagged],
      carried: undefined,
      emittedThrough: first - this.intervalMs,
    });
  }

  has(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  /**
   * The row of a state evaluated again at an interval's last millisecond (see
   * history-rewrite.ts), outside the per-interval bookkeeping: the interval may
   * long be emitted. Undefined for any other instant: only the last millisecond
   * is at least as new as every live state of the interval.
   */
  correctionRow(state: RateState): RateRow | undefined {
    const start = this.intervalStart(state.ts);
    return state.ts === start + this.intervalMs - 1 ? toRow(start, state.symbol, state, state.ts) : undefined;
  }

  get symbolCount(): number {
    return this.symbols.size;
  }

  /** Rows of every interval that ended at or before `until`, per symbol oldest first. */
  close(until: number): RateRow[] {
    const rows: RateRow[] = [];
    const lastClosed = this.intervalStart(until) - this.intervalMs;
    for (const [symbol, history] of this.symbols) {
      let first = history.emittedThrough !== undefined ? history.emittedThrough + this.intervalMs : history.open[0] ? this.intervalStart(history.open[0].ts) : undefined;
      if (first === undefined || first > lastClosed) continue;
      first = Math.max(first, lastClosed - (this.maxCatchUpIntervals - 1) * this.intervalMs);
      for (let start = first; start <= lastClosed; start += this.intervalMs) {
        while (history.open.length > 0 && this.intervalStart(history.open[0]!.ts) <= start) history.carried = history.open.shift();
        if (history.carried) rows.push(toRow(start, symbol, history.carried, history.carried.ts));
        history.emittedThrough = start;
      }
    }
    return rows;
  }
}

function toRow(time: number, symbol: string, state: RateState, evaluatedAt: number): RateRow {
  const change = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? null : value);
  return [time, symbol, state.priceText, change(state.change1m), change(state.change5m), change(state.change15m), state.flags.filter(isRateFlag), evaluatedAt];
}
