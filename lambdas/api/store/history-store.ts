import type { Pool, PoolClient } from 'pg';
import { ApiError } from '../errors';
import { HISTORY_INTERVALS, type HistoryRowDto } from '../schemas';
import { alignDown, bucketWindow, INTERVAL_MS, minuteSegments, rawTierStart, ROLLUP_MS, type HistoryInterval, type HistorySource } from './history-plan';
import { barsToCsv, BAR_CSV_HEADER, copyCsv, MINUTE_DAY_FILES_SQL, minuteBarsCsvSql, RAW_CSV_HEADER, rawRowsCsvSql, type MinuteDayFile } from './history-csv';
import { withReadTransaction } from './read-transaction';

export { INTERVAL_MS };
export type { HistoryInterval, HistorySource };

export interface HistoryPageRequest {
  exchange: string;
  symbol: string;
  /** Inclusive, epoch ms. */
  fromMs: number;
  /** Exclusive, epoch ms. */
  toMs: number;
  interval: HistoryInterval | undefined;
  /** Already within the cost bound (history-plan pageLimit). */
  limit: number;
  cursor: string | undefined;
}

export interface HistoryPage {
  /** Which table answered this page; a range straddling raw retention pages from `rollup` to `raw`. */
  source: HistorySource;
  rows: HistoryRowDto[];
  nextCursor: string | null;
}

/** A page as CSV (header line first); the same source and cursor rules as JSON pages. */
export interface HistoryCsvPage {
  source: HistorySource;
  csv: string;
  rows: number;
  nextCursor: string | null;
}

export interface HistoryStoreOptions {
  /** Statement timeout of every history query (server side, per transaction). */
  statementTimeoutMs: number;
  /** How long the raw retention read from mdc_history_retention() is reused. Default 60 s. */
  retentionCacheMs?: number;
  now?: () => number;
}

/**
 * Keyset cursors, opaque to clients: raw pages continue after the last row's
 * exact time in microseconds (PostgreSQL's resolution, so no row is skipped or
 * repeated at a millisecond boundary) — also when the row was a rollup minute
 * (its bucket start) of a raw query older than raw retention; bucket pages
 * continue at the next window's start. The interval is part of the cursor so one
 * cannot be replayed against a differently shaped query. The source is not: it
 * follows from the position and the retention at the time of the request.
 */
interface Cursor {
  kind: 'raw' | HistoryInterval;
  /** raw: last row time in µs since the epoch; buckets: next window start in ms. */
  position: bigint;
}

const CURSOR_PATTERN = new RegExp(`^(raw|${HISTORY_INTERVALS.join('|')}):([0-9]{1,16})$`);

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.kind}:${cursor.position.toString()}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string, expectedKind: Cursor['kind']): Cursor {
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  // 16 digits: microseconds to the year 2286, inside what bigint and interval hold.
  const match = CURSOR_PATTERN.exec(decoded);
  if (!match || match[1] !== expectedKind) {
    throw new ApiError(400, 'VALIDATION_FAILED', 'cursor: not a nextCursor of this query (same interval); start again without cursor', {
      details: [{ field: 'query.cursor', reason: 'not a nextCursor of a query with this interval' }],
    });
  }
  return { kind: match[1] as Cursor['kind'], position: BigInt(match[2]!) };
}

interface RawRow {
  time: Date;
  time_us: string;
  price: string;
  change_1m: number | null;
  change_5m: number | null;
  change_15m: number | null;
  flags: string[];
}

interface BucketRow {
  /** A timestamptz (bucket SQL) or, from ROLLUP_MINUTES_SQL, absent in favour of bucket_ms. */
  bucket?: Date;
  bucket_ms?: string;
  price: string;
  open: string;
  high: string;
  low: string;
  rows: string | number;
  change_1m: number | null;
  change_5m: number | null;
  change_15m: number | null;
  flags: string[] | null;
}

// time >= from AND time < to against the primary key (exchange, symbol, time):
// one index range scan, partitions outside the range pruned.
const RAW_SQL = `
  SELECT time, (extract(epoch FROM time) * 1000000)::bigint AS time_us, price::text AS price,
         change_1m, change_5m, change_15m, flags
    FROM price_change_rates
   WHERE exchange = $1 AND symbol = $2
     AND time >= $3 AND time < $4
     AND ($5::bigint IS NULL OR time > 'epoch'::timestamptz + $5::bigint * interval '1 microsecond')
   ORDER BY time
   LIMIT $6`;

// Rollup minutes as rows, against its primary key (exchange, symbol, bucket):
// what 1m and raw queries older than raw retention read. The bucket travels as
// epoch ms (int8) rather than a timestamptz: node-postgres parses a timestamptz
// into a Date with a regular expression per row, a fifth of a 43,200-row page.
const ROLLUP_MINUTES_SQL = `
  SELECT (extract(epoch FROM bucket) * 1000)::int8 AS bucket_ms, close::text AS price, open::text AS open, high::text AS high, low::text AS low, rows,
         change_1m, change_5m, change_15m, flags
    FROM price_change_rates_1m
   WHERE exchange = $1 AND symbol = $2
     AND bucket >= $3 AND bucket < $4
     AND ($5::bigint IS NULL OR bucket > 'epoch'::timestamptz + $5::bigint * interval '1 microsecond')
   ORDER BY bucket
   LIMIT $6`;

// Coarser buckets from the minutes: open of the first minute, close and changes
// of the last, max high, min low, sum of rows, union of flags. DISTINCT ON picks
// the first and last minute by the index order instead of sorting arrays.
const ROLLUP_BUCKETS_SQL = `
  WITH m AS (
    SELECT date_bin($5::interval, bucket, 'epoch'::timestamptz) AS b, bucket, open, high, low, close, rows,
           change_1m, change_5m, change_15m, flags
      FROM price_change_rates_1m
     WHERE exchange = $1 AND symbol = $2 AND bucket >= $3 AND bucket < $4
  ), summary AS (
    SELECT b, max(high) AS high, min(low) AS low, sum(rows) AS rows FROM m GROUP BY b
  ), first AS (
    SELECT DISTINCT ON (b) b, open FROM m ORDER BY b, bucket
  ), last AS (
    SELECT DISTINCT ON (b) b, close, change_1m, change_5m, change_15m FROM m ORDER BY b, bucket DESC
  ), flag_union AS (
    SELECT b, array_agg(DISTINCT flag ORDER BY flag) AS flags FROM m CROSS JOIN LATERAL unnest(m.flags) AS flag GROUP BY b
  )
  SELECT summary.b AS bucket, last.close::text AS price, first.open::text AS open, summary.high::text AS high, summary.low::text AS low,
         summary.rows, last.change_1m, last.change_5m, last.change_15m, flag_union.flags
    FROM summary JOIN first USING (b) JOIN last USING (b) LEFT JOIN flag_union USING (b)
   ORDER BY summary.b`;

// date_bin on every partitioning strategy (a TimescaleDB hypertable included: the
// time range prunes chunks, the bucket function does not matter), so the API
// needs no read of schema_partitioning and no privilege beyond the history tables.
const RAW_BUCKETS_SQL = rawBucketSql(`date_bin($5::interval, time, 'epoch'::timestamptz)`);

function rawBucketSql(bucketExpression: string): string {
  // The last row of a bucket carries its price and changes (the state at the
  // bucket's end); open / high / low / rows summarize the rest; flags are the
  // union over the bucket, so a gap or anomaly anywhere in it stays visible.
  return `
  WITH r AS (
    SELECT ${bucketExpression} AS bucket, time, price, change_1m, change_5m, change_15m, flags
      FROM price_change_rates
     WHERE exchange = $1 AND symbol = $2 AND time >= $3 AND time < $4
  ), summary AS (
    SELECT bucket, count(*) AS rows, max(price) AS high, min(price) AS low,
           (array_agg(price ORDER BY time))[1] AS open
      FROM r GROUP BY bucket
  ), last AS (
    SELECT DISTINCT ON (bucket) bucket, price, change_1m, change_5m, change_15m
      FROM r ORDER BY bucket, time DESC
  ), flag_union AS (
    SELECT bucket, array_agg(DISTINCT flag ORDER BY flag) AS flags
      FROM r CROSS JOIN LATERAL unnest(r.flags) AS flag GROUP BY bucket
  )
  SELECT summary.bucket, last.price::text AS price, summary.open::text AS open, summary.high::text AS high,
         summary.low::text AS low, summary.rows, last.change_1m, last.change_5m, last.change_15m, flag_union.flags
    FROM summary JOIN last USING (bucket) LEFT JOIN flag_union USING (bucket)
   ORDER BY summary.bucket`;
}

const bucketTime = (row: BucketRow): number => (row.bucket_ms !== undefined ? Number(row.bucket_ms) : row.bucket!.getTime());

const bucketDto = (row: BucketRow): HistoryRowDto => {
  const timeMs = bucketTime(row);
  return {
  time: new Date(timeMs).toISOString(),
  timeMs,
  price: row.price,
  open: row.open,
  high: row.high,
  low: row.low,
  rows: Number(row.rows),
  change_1m: row.change_1m,
  change_5m: row.change_5m,
  change_15m: row.change_15m,
  flags: row.flags ?? [],
  };
};

export class HistoryStore {
  private retention: { rawRetentionMs: number; readAt: number } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly pool: Pool,
    private readonly options: HistoryStoreOptions = { statementTimeoutMs: 2_000 },
  ) {
    this.now = options.now ?? Date.now;
  }

  async page(request: HistoryPageRequest): Promise<HistoryPage> {
    return withReadTransaction(this.pool, { timeoutMs: this.options.statementTimeoutMs, route: 'GET /v1/history' }, async (client) => {
      const rawStart = rawTierStart(await this.rawCutoff(client));
      return request.interval === undefined ? this.rawPage(client, request, rawStart) : this.bucketPage(client, request, request.interval, rawStart);
    });
  }

  /**
   * The page `page()` would answer, as CSV. Raw rows and 1-minute bars come
   * straight from COPY (no row objects, no JSON: a month of bars in one
   * response); coarser buckets are aggregated as for JSON and written out.
   */
  async csvPage(request: HistoryPageRequest): Promise<HistoryCsvPage> {
    // 1-minute bars may store day files (through mdc_minute_bar_days, which the role may only call): not READ ONLY.
    const options = { timeoutMs: this.options.statementTimeoutMs, route: 'GET /v1/history', readOnly: request.interval !== '1m' };
    return withReadTransaction(this.pool, options, async (client) => {
      const rawStart = rawTierStart(await this.rawCutoff(client));
      if (request.interval === undefined) return this.rawCsvPage(client, request, rawStart);
      if (request.interval === '1m') return this.minuteCsvPage(client, request, rawStart);
      const page = await this.bucketPage(client, request, request.interval, rawStart);
      return { source: page.source, csv: `${BAR_CSV_HEADER}\n${barsToCsv(page.rows)}`, rows: page.rows.length, nextCursor: page.nextCursor };
    });
  }

  private async rawCsvPage(client: PoolClient, request: HistoryPageRequest, rawStart: number): Promise<HistoryCsvPage> {
    const after = request.cursor === undefined ? null : decodeCursor(request.cursor, 'raw').position;
    const firstUs = after === null ? BigInt(request.fromMs) * 1000n : after + 1n;
    if (firstUs < BigInt(rawStart) * 1000n) {
      // As rawPage: the rollup's minutes up to the tier boundary, then a cursor into the raw rows.
      const end = Math.min(request.toMs, rawStart);
      const range = { exchange: request.exchange, symbol: request.symbol, startMs: alignDown(request.fromMs, ROLLUP_MS), endMs: end, afterUs: after, limit: request.limit };
      const rows = await copyCsv(client, minuteBarsCsvSql(client, range), request.limit);
      let nextCursor: string | null = null;
      if (rows.more) nextCursor = encodeCursor({ kind: 'raw', position: rows.lastUs! });
      else if (end < request.toMs) nextCursor = encodeCursor({ kind: 'raw', position: BigInt(end) * 1000n - 1n });
      return { source: 'rollup', csv: `${BAR_CSV_HEADER}\n${rows.body}`, rows: rows.count, nextCursor };
    }
    const range = { exchange: request.exchange, symbol: request.symbol, startMs: request.fromMs, endMs: request.toMs, afterUs: after, limit: request.limit };
    const rows = await copyCsv(client, rawRowsCsvSql(client, range), request.limit);
    return { source: 'raw', csv: `${RAW_CSV_HEADER}\n${rows.body}`, rows: rows.count, nextCursor: rows.more ? encodeCursor({ kind: 'raw', position: rows.lastUs! }) : null };
  }

  /** As bucketPage at 1m (always the rollup), its window of `limit` minutes written by COPY. */
  private async minuteCsvPage(client: PoolClient, request: HistoryPageRequest, rawStart: number): Promise<HistoryCsvPage> {
    const alignedFrom = alignDown(request.fromMs, ROLLUP_MS);
    const start = request.cursor === undefined ? alignedFrom : Number(decodeCursor(request.cursor, '1m').position);
    if (!Number.isSafeInteger(start) || start < alignedFrom || start % ROLLUP_MS !== 0) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'cursor: outside this query\'s range; start again without cursor', { details: [{ field: 'query.cursor', reason: 'outside the query range' }] });
    }
    const window = bucketWindow({ interval: '1m', start, toMs: request.toMs, limit: request.limit, rawStart });
    // Whole closed days from their day files, the rest (partial days, today) from the rollup.
    const segments = minuteSegments(window.start, window.end, this.now());
    const closedDays = segments.flatMap((segment) => (segment.day === undefined ? [] : [segment.day]));
    const files = new Map<string, MinuteDayFile>();
    if (closedDays.length > 0) {
      for (const file of (await client.query<MinuteDayFile>(MINUTE_DAY_FILES_SQL, [request.exchange, request.symbol, closedDays])).rows) files.set(file.day, file);
    }
    const parts: string[] = [];
    let count = 0;
    let rollupFrom: number | undefined;
    const readRollup = async (endMs: number) => {
      if (rollupFrom === undefined) return;
      const range = { exchange: request.exchange, symbol: request.symbol, startMs: rollupFrom, endMs, afterUs: null, limit: request.limit };
      const rows = await copyCsv(client, minuteBarsCsvSql(client, range), request.limit);
      parts.push(rows.body);
      count += rows.count;
      rollupFrom = undefined;
    };
    for (const segment of segments) {
      const file = segment.day === undefined ? undefined : files.get(segment.day);
      if (file === undefined) {
        // A day the database left out (its clock says not closed yet, or outside retention) joins the rollup read.
        rollupFrom ??= segment.startMs;
        continue;
      }
      await readRollup(segment.startMs);
      parts.push(file.csv);
      count += file.bars;
    }
    await readRollup(window.end);
    return { source: 'rollup', csv: `${BAR_CSV_HEADER}\n${parts.join('')}`, rows: count, nextCursor: window.end < request.toMs ? encodeCursor({ kind: '1m', position: BigInt(window.end) }) : null };
  }

  /**
   * Raw rows inside raw retention; before it (the raw rows are gone) the rollup's
   * minutes, as rows with open / high / low / rows. A page has one source: the
   * rollup page ends at the tier boundary and its cursor leads into the raw rows.
   */
  private async rawPage(client: PoolClient, request: HistoryPageRequest, rawStart: number): Promise<HistoryPage> {
    const after = request.cursor === undefined ? null : decodeCursor(request.cursor, 'raw').position;
    const firstUs = after === null ? BigInt(request.fromMs) * 1000n : after + 1n;
    if (firstUs < BigInt(rawStart) * 1000n) {
      const end = Math.min(request.toMs, rawStart);
      const { rows } = await client.query<BucketRow>(ROLLUP_MINUTES_SQL, [request.exchange, request.symbol, new Date(alignDown(request.fromMs, ROLLUP_MS)), new Date(end), after?.toString() ?? null, request.limit + 1]);
      const page = rows.slice(0, request.limit);
      let nextCursor: string | null = null;
      if (rows.length > request.limit) nextCursor = encodeCursor({ kind: 'raw', position: BigInt(bucketTime(page[page.length - 1]!)) * 1000n });
      // The raw rows from the boundary on: "after the last µs before it".
      else if (end < request.toMs) nextCursor = encodeCursor({ kind: 'raw', position: BigInt(end) * 1000n - 1n });
      return { source: 'rollup', rows: page.map(bucketDto), nextCursor };
    }
    const { rows } = await client.query<RawRow>(RAW_SQL, [request.exchange, request.symbol, new Date(request.fromMs), new Date(request.toMs), after?.toString() ?? null, request.limit + 1]);
    const page = rows.slice(0, request.limit);
    const more = rows.length > request.limit;
    return {
      source: 'raw',
      rows: page.map((row) => ({
        time: row.time.toISOString(),
        timeMs: row.time.getTime(),
        price: row.price,
        change_1m: row.change_1m,
        change_5m: row.change_5m,
        change_15m: row.change_15m,
        flags: row.flags,
      })),
      nextCursor: more ? encodeCursor({ kind: 'raw', position: BigInt(page[page.length - 1]!.time_us) }) : null,
    };
  }

  /**
   * One page covers at most `limit` buckets of time, so the aggregation reads a
   * bounded range whatever `from` and `to` are; a page holds fewer rows than
   * `limit` where the symbol was not stored, and `nextCursor` leads on until `to`.
   * A window without any row is skipped to the next stored row.
   */
  private async bucketPage(client: PoolClient, request: HistoryPageRequest, interval: HistoryInterval, rawStart: number): Promise<HistoryPage> {
    const width = INTERVAL_MS[interval];
    const alignedFrom = alignDown(request.fromMs, width);
    const start = request.cursor === undefined ? alignedFrom : Number(decodeCursor(request.cursor, interval).position);
    if (!Number.isSafeInteger(start) || start < alignedFrom || start % width !== 0) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'cursor: outside this query\'s range; start again without cursor', { details: [{ field: 'query.cursor', reason: 'outside the query range' }] });
    }
    let window = bucketWindow({ interval, start, toMs: request.toMs, limit: request.limit, rawStart });
    let rows = await this.bucketRows(client, request, interval, window);
    if (rows.length === 0 && window.end < request.toMs) {
      // Nothing stored in this window: jump to the window of the next stored row
      // (one index probe) rather than hand the client a run of empty pages.
      const next = await this.nextRowTime(client, request, window);
      if (next === undefined) {
        window = { ...window, end: window.source === 'rollup' && interval === '1s' ? Math.min(request.toMs, rawStart) : request.toMs };
      } else {
        window = bucketWindow({ interval, start: Math.max(window.end, alignDown(next, width)), toMs: request.toMs, limit: request.limit, rawStart });
        rows = await this.bucketRows(client, request, interval, window);
      }
    }
    return {
      source: window.source,
      rows: rows.map(bucketDto),
      nextCursor: window.end < request.toMs ? encodeCursor({ kind: interval, position: BigInt(window.end) }) : null,
    };
  }

  private async bucketRows(client: PoolClient, request: HistoryPageRequest, interval: HistoryInterval, window: { source: HistorySource; start: number; end: number }): Promise<BucketRow[]> {
    const width = INTERVAL_MS[interval];
    if (window.source === 'raw') {
      // The first bucket starts at the aligned `from` but holds only rows at or after `from`.
      const rangeStart = Math.max(window.start, request.fromMs);
      return (await client.query<BucketRow>(RAW_BUCKETS_SQL, [request.exchange, request.symbol, new Date(rangeStart), new Date(window.end), `${width / 1000} seconds`])).rows;
    }
    // Rollup minutes are whole: a bucket holds every minute starting inside it.
    const rangeStart = alignDown(window.start, ROLLUP_MS);
    if (width <= ROLLUP_MS) {
      return (await client.query<BucketRow>(ROLLUP_MINUTES_SQL, [request.exchange, request.symbol, new Date(rangeStart), new Date(window.end), null, request.limit])).rows;
    }
    return (await client.query<BucketRow>(ROLLUP_BUCKETS_SQL, [request.exchange, request.symbol, new Date(rangeStart), new Date(window.end), `${width / 1000} seconds`])).rows;
  }

  private async nextRowTime(client: PoolClient, request: HistoryPageRequest, window: { source: HistorySource; end: number }): Promise<number | undefined> {
    const sql =
      window.source === 'raw'
        ? 'SELECT time AS t FROM price_change_rates WHERE exchange = $1 AND symbol = $2 AND time >= $3 AND time < $4 ORDER BY time LIMIT 1'
        : 'SELECT bucket AS t FROM price_change_rates_1m WHERE exchange = $1 AND symbol = $2 AND bucket >= $3 AND bucket < $4 ORDER BY bucket LIMIT 1';
    const { rows } = await client.query<{ t: Date }>(sql, [request.exchange, request.symbol, new Date(window.end), new Date(request.toMs)]);
    return rows[0]?.t.getTime();
  }

  /**
   * The raw tier's cutoff (rows before it are outside raw retention), from
   * mdc_history_retention() as a duration so it can be reused for a minute while
   * the cutoff itself moves on with the clock.
   */
  private async rawCutoff(client: PoolClient): Promise<number> {
    const now = this.now();
    if (this.retention === undefined || now - this.retention.readAt > (this.options.retentionCacheMs ?? 60_000)) {
      const { rows } = await client.query<{ raw_retention_ms: string }>('SELECT (extract(epoch FROM now() - raw_cutoff) * 1000)::bigint AS raw_retention_ms FROM mdc_history_retention()');
      this.retention = { rawRetentionMs: Number(rows[0]!.raw_retention_ms), readAt: now };
    }
    return now - this.retention.rawRetentionMs;
  }
}
