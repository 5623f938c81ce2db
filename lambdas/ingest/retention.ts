import type { RateRecord } from './merge';

/** Rows of a batch split at the raw retention cutoff (pure). */
export interface RetentionSplit {
  kept: RateRecord[];
  /** Rows with time < cutoff: outside raw retention, never stored. */
  refused: RateRecord[];
}

export function splitByRetention(rows: readonly RateRecord[], rawCutoffMs: number): RetentionSplit {
  const kept: RateRecord[] = [];
  const refused: RateRecord[] = [];
  for (const row of rows) (row.time < rawCutoffMs ? refused : kept).push(row);
  return { kept, refused };
}

/** UTC day of an epoch-ms time, as the ms of its midnight. */
const dayOf = (ms: number): number => ms - (((ms % 86_400_000) + 86_400_000) % 86_400_000);

/**
 * One time per distinct UTC day of the rows, for mdc_ensure_history_partitions:
 * the latest row time of each day rather than its midnight, because the function
 * ignores times before the raw cutoff, and on the cutoff's own day midnight is
 * before it while the rows that still need the day's partition are after it.
 * Sorted, so the function creates partitions in one order.
 */
export function partitionProbeTimes(rows: readonly RateRecord[]): number[] {
  const latest = new Map<number, number>();
  for (const row of rows) {
    const day = dayOf(row.time);
    const seen = latest.get(day);
    if (seen === undefined || row.time > seen) latest.set(day, row.time);
  }
  return [...latest.values()].sort((a, b) => a - b);
}

export interface DayKeys {
  exchanges: string[];
  symbols: string[];
  /** `YYYY-MM-DD`, UTC. */
  days: string[];
}

/**
 * The distinct (exchange, symbol, UTC day) of rows from days before `nowMs`'s
 * day: the days whose stored CSV text a write must invalidate. Rows of today
 * need nothing, since no day file exists for a day until an hour after it ends.
 */
export function closedDayKeys(rows: readonly RateRecord[], nowMs: number): DayKeys {
  const today = dayOf(nowMs);
  const keys: DayKeys = { exchanges: [], symbols: [], days: [] };
  const seen = new Set<string>();
  for (const row of rows) {
    const day = dayOf(row.time);
    if (day >= today) continue;
    const key = `${row.exchange}\u0000${row.symbol}\u0000${day}`;
    if (seen.has(key)) continue;
    seen.add(key);
    keys.exchanges.push(row.exchange);
    keys.symbols.push(row.symbol);
    keys.days.push(new Date(day).toISOString().slice(0, 10));
  }
  return keys;
}

export interface RetentionCacheOptions {
  /** How long a fetched cutoff is trusted; default one minute. */
  ttlMs?: number;
  /** Monotonic clock in ms (tests pass their own). */
  now?: () => number;
}

interface Entry {
  cutoffMs: number;
  fetchedAt: number;
}

/**
 * The raw retention cutoff (`mdc_history_retention()`), fetched at most about
 * once a minute per pool. Keyed by the pool object, so a pool rebuilt after a
 * credential rotation (a new generation) fetches its own. Between fetches the
 * cutoff advances with the local monotonic clock, as now() - retention does on
 * the server, so a cached value never lets a row that has just left retention
 * through for a minute. A missing-partition failure invalidates it (retention may
 * have been changed, or maintenance dropped the day).
 */
export class RetentionCache<K extends object> {
  private readonly entries = new WeakMap<K, Entry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: RetentionCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  async cutoff(key: K, fetch: () => Promise<number>): Promise<number> {
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry && now - entry.fetchedAt < this.ttlMs) return entry.cutoffMs + (now - entry.fetchedAt);
    const cutoffMs = await fetch();
    this.entries.set(key, { cutoffMs, fetchedAt: this.now() });
    return cutoffMs;
  }

  invalidate(key: K): void {
    this.entries.delete(key);
  }
}
