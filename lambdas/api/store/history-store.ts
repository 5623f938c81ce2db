import type { Pool } from 'pg';
import { ApiError } from '../errors';
import type { HistoryRowDto } from '../schemas';

export type HistoryInterval = '1s' | '1m' | '5m' | '1h';

export const INTERVAL_MS: Record<HistoryInterval, number> = { '1s': 1000, '1m': 60_000, '5m': 300_000, '1h': 3_600_000 };

/**
 * The most time one bucket page aggregates, whatever `limit` says: a day of rows
 * (86,400 at the default 1 s persistence), so one request's work is bounded
 * (about 0.15 s on a small instance) and a reader cannot tie up the database
 * with `interval=1h&limit=5000` (208 days of rows).
 */
export const MAX_BUCKET_WINDOW_MS = 86_400_000;

export interface HistoryPageRequest {
  exchange: string;
  symbol: string;
  /** Inclusive, epoch ms. */
  fromMs: number;
  /** Exclusive, epoch ms. */
  toMs: number;
  interval: HistoryInterval | undefined;
  limit: number;
  cursor: string | undefined;
}

export interface HistoryPage {
  rows: HistoryRowDto[];
  nextCursor: string | null;
}

/**
 * Keyset cursors, opaque to clients: raw pages continue after the last row's
 * exact time in microseconds (PostgreSQL's resolution, so no row is skipped or
 * repeated at a millisecond boundary); bucket pages continue at the next
 * window's start. The interval is part of the cursor so one cannot be replayed
 * against a differently shaped query.
 */
interface Cursor {
  kind: 'raw' | HistoryInterval;
  /** raw: last row time in µs since the epoch; buckets: next window start in ms. */
  position: bigint;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.kind}:${cursor.position.toString()}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string, expectedKind: Cursor['kind']): Cursor {
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  // 16 digits: microseconds to the year 2286, inside what bigint and interval hold.
  const match = /^(raw|1s|1m|5m|1h):([0-9]{1,16})$/.exec(decoded);
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
  bucket: Date;
  price: string;
  open: string;
  high: string;
  low: string;
  rows: string;
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

function bucketSql(bucketExpression: string): string {
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

export class HistoryStore {
  private bucketExpression: Promise<string> | undefined;

  constructor(private readonly pool: Pool) {}

  async page(request: HistoryPageRequest): Promise<HistoryPage> {
    return request.interval === undefined ? this.rawPage(request) : this.bucketPage(request, request.interval);
  }

  private async rawPage(request: HistoryPageRequest): Promise<HistoryPage> {
    const after = request.cursor === undefined ? null : decodeCursor(request.cursor, 'raw').position.toString();
    const { rows } = await this.pool.query<RawRow>(RAW_SQL, [request.exchange, request.symbol, new Date(request.fromMs), new Date(request.toMs), after, request.limit + 1]);
    const page = rows.slice(0, request.limit);
    const more = rows.length > request.limit;
    return {
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
  private async bucketPage(request: HistoryPageRequest, interval: HistoryInterval): Promise<HistoryPage> {
    const width = INTERVAL_MS[interval];
    const alignedFrom = Math.floor(request.fromMs / width) * width;
    const start = request.cursor === undefined ? alignedFrom : Number(decodeCursor(request.cursor, interval).position);
    if (!Number.isSafeInteger(start) || start < alignedFrom || start % width !== 0) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'cursor: outside this query\'s range; start again without cursor', { details: [{ field: 'query.cursor', reason: 'outside the query range' }] });
    }
    const sql = bucketSql(await this.bucketExpressionFor());
    let windowStart = start;
    const windowSpan = Math.max(width, Math.min(request.limit * width, MAX_BUCKET_WINDOW_MS));
    let windowEnd = Math.min(request.toMs, windowStart + windowSpan);
    let rows = await this.bucketRows(sql, request, windowStart, windowEnd, width);
    if (rows.length === 0 && windowEnd < request.toMs) {
      // Nothing stored in this window: jump to the window of the next stored row
      // (one index probe) rather than hand the client a run of empty pages.
      const next = await this.nextRowTime(request, windowEnd);
      if (next === undefined) {
        windowEnd = request.toMs;
      } else {
        windowStart = Math.floor(next / width) * width;
        windowEnd = Math.min(request.toMs, windowStart + windowSpan);
        rows = await this.bucketRows(sql, request, windowStart, windowEnd, width);
      }
    }
    return {
      rows: rows.map((row) => ({
        time: row.bucket.toISOString(),
        timeMs: row.bucket.getTime(),
        price: row.price,
        open: row.open,
        high: row.high,
        low: row.low,
        rows: Number(row.rows),
        change_1m: row.change_1m,
        change_5m: row.change_5m,
        change_15m: row.change_15m,
        flags: row.flags ?? [],
      })),
      nextCursor: windowEnd < request.toMs ? encodeCursor({ kind: interval, position: BigInt(windowEnd) }) : null,
    };
  }

  private async bucketRows(sql: string, request: HistoryPageRequest, windowStart: number, windowEnd: number, width: number): Promise<BucketRow[]> {
    // The first bucket starts at the aligned `from` but holds only rows at or after `from`.
    const rangeStart = Math.max(windowStart, request.fromMs);
    const { rows } = await this.pool.query<BucketRow>(sql, [request.exchange, request.symbol, new Date(rangeStart), new Date(windowEnd), `${width / 1000} seconds`]);
    return rows;
  }

  private async nextRowTime(request: HistoryPageRequest, afterMs: number): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ time: Date }>(
      'SELECT time FROM price_change_rates WHERE exchange = $1 AND symbol = $2 AND time >= $3 AND time < $4 ORDER BY time LIMIT 1',
      [request.exchange, request.symbol, new Date(afterMs), new Date(request.toMs)],
    );
    return rows[0]?.time.getTime();
  }

  /** time_bucket on a TimescaleDB hypertable, date_bin otherwise; both align buckets to the epoch for these widths. */
  private bucketExpressionFor(): Promise<string> {
    this.bucketExpression ??= this.pool
      .query<{ strategy: string }>(`SELECT strategy FROM schema_partitioning WHERE table_name = 'price_change_rates'`)
      .then(({ rows }) => (rows[0]?.strategy === 'timescaledb' ? 'time_bucket($5::interval, time)' : `date_bin($5::interval, time, 'epoch'::timestamptz)`))
      .catch((error: unknown) => {
        this.bucketExpression = undefined;
        throw error;
      });
    return this.bucketExpression;
  }
}
