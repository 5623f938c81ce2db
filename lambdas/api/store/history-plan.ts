/**
 * What a history page reads, decided before any I/O: which table (raw or the
 * 1-minute rollup), which time range, and whether the request stays inside the
 * per-request cost bound. Pure, so the tier boundary and the bounds are unit
 * tested without a database.
 */
import { costLimitExceeded } from '../errors';
import type { HISTORY_INTERVALS } from '../schemas';

export type HistoryInterval = (typeof HISTORY_INTERVALS)[number];

export const INTERVAL_MS: Record<HistoryInterval, number> = {
  '1s': 1000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/** Width of a rollup row (price_change_rates_1m). */
export const ROLLUP_MS = 60_000;

export type HistorySource = 'raw' | 'rollup';

/**
 * Cost bound of one page, in 1-minute rollup rows read: 31 days of one symbol
 * (44,640 rows, a month of bars). A rollup row is ~60 raw rows' worth of work
 * saved, and a page of this many rows costs about what a day of raw buckets did
 * before (docs/api.md "Cost bounds"). Raw pages are bounded by `limit` (at most
 * 5,000 rows, one index range scan), 1s buckets by limit seconds.
 */
export const MAX_ROLLUP_ROWS_PER_PAGE = 44_640;

/** The largest `limit` an interval allows under the rollup bound (1m: 44,640, so the schema's 5,000 decides). */
export function maxLimitFor(interval: HistoryInterval | undefined, schemaMax: number): number {
  if (interval === undefined || interval === '1s') return schemaMax;
  return Math.min(schemaMax, Math.floor((MAX_ROLLUP_ROWS_PER_PAGE * ROLLUP_MS) / INTERVAL_MS[interval]));
}

/**
 * The page size a request gets: its `limit`, or the default clipped to what the
 * interval allows. An explicit limit beyond the bound is refused (400
 * COST_LIMIT_EXCEEDED, naming the largest allowed) rather than silently cut, so
 * a client learns the bound instead of wondering why pages are short.
 */
export function pageLimit(interval: HistoryInterval | undefined, requested: number | undefined, defaults: { defaultLimit: number; schemaMax: number }): number {
  const max = maxLimitFor(interval, defaults.schemaMax);
  if (requested === undefined) return Math.min(defaults.defaultLimit, max);
  if (requested > max) {
    throw costLimitExceeded(
      'query.limit',
      `interval=${interval} allows at most limit=${max}: a page may read at most ${MAX_ROLLUP_ROWS_PER_PAGE} one-minute rollup rows (31 days); lower limit or use a coarser interval`,
    );
  }
  return requested;
}

/**
 * The first instant the raw table serves: the first whole minute inside raw
 * retention. Rollup minutes before it, raw rows from it: the two never overlap
 * and leave no gap, whatever the cutoff's sub-minute phase.
 */
export function rawTierStart(rawCutoffMs: number): number {
  return Math.ceil(rawCutoffMs / ROLLUP_MS) * ROLLUP_MS;
}

export const alignDown = (ms: number, width: number): number => Math.floor(ms / width) * width;

export interface BucketWindow {
  source: HistorySource;
  /** First bucket start read (inclusive), ms. */
  start: number;
  /** Exclusive end, ms; also the next page's start when it is before `to`. */
  end: number;
}

/**
 * The window a bucketed page aggregates, from `start` (a bucket start). At 1m
 * and coarser always the rollup; at 1s the raw table inside raw retention and
 * the rollup's 1-minute bars before it (the raw rows are gone there), the
 * window ending at the tier boundary so one page has one source.
 */
export function bucketWindow(options: { interval: HistoryInterval; start: number; toMs: number; limit: number; rawStart: number }): BucketWindow {
  const width = INTERVAL_MS[options.interval];
  if (options.interval !== '1s') return { source: 'rollup', start: options.start, end: Math.min(options.toMs, options.start + options.limit * width) };
  if (options.start < options.rawStart) {
    // Minute bars: a window of `limit` whole minutes (so consecutive pages never
    // share a minute), and an old range pages as fast as 1m does.
    const start = alignDown(options.start, ROLLUP_MS);
    return { source: 'rollup', start, end: Math.min(options.toMs, options.rawStart, start + options.limit * ROLLUP_MS) };
  }
  return { source: 'raw', start: options.start, end: Math.min(options.toMs, options.start + options.limit * width) };
}

export const DAY_MS = 86_400_000;

/**
 * How long after a UTC day ends its minutes are treated as final and may be
 * read from stored day files (mdc_minute_bar_days, migration 0012, which
 * applies the same rule with the database clock): longer than any ingest
 * transaction lives, so a write that took the day for "today" has committed.
 */
export const DAY_FILE_GRACE_MS = 3_600_000;

/** A part of a 1-minute window: a whole closed UTC day (`day` set, read from its day file) or a range read from the rollup. */
export interface MinuteSegment {
  startMs: number;
  endMs: number;
  /** `YYYY-MM-DD` when the segment is a whole UTC day that ended more than DAY_FILE_GRACE_MS before now. */
  day?: string;
}

/**
 * Splits a 1-minute window [start, end) into whole closed days and the rest
 * (the partial days at either end, today, days not yet over the grace). The
 * rest is merged into as few ranges as possible, so a window that holds no
 * closed day is one rollup read, as before day files.
 */
export function minuteSegments(startMs: number, endMs: number, nowMs: number): MinuteSegment[] {
  const segments: MinuteSegment[] = [];
  const pushRange = (from: number, to: number) => {
    if (to <= from) return;
    const last = segments[segments.length - 1];
    if (last !== undefined && last.day === undefined && last.endMs === from) last.endMs = to;
    else segments.push({ startMs: from, endMs: to });
  };
  let cursor = startMs;
  for (let day = Math.ceil(startMs / DAY_MS) * DAY_MS; day + DAY_MS <= endMs; day += DAY_MS) {
    if (day + DAY_MS + DAY_FILE_GRACE_MS > nowMs) break;
    pushRange(cursor, day);
    segments.push({ startMs: day, endMs: day + DAY_MS, day: new Date(day).toISOString().slice(0, 10) });
    cursor = day + DAY_MS;
  }
  pushRange(cursor, endMs);
  return segments;
}
