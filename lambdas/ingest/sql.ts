import { RATE_COPY_COLUMNS } from './copy';
import type { StatusRecord } from './merge';

export interface SqlStatement {
  text: string;
  values: unknown[];
}

/**
 * The precedence key of compareRatePrecedence (precedence.ts) over a row alias:
 * a row comparison is lexicographic, as the TypeScript comparison is. Text is
 * compared in the "C" collation (byte order, like JavaScript's for ASCII), not the
 * database's default one, and NULL changes become -Infinity because a row
 * comparison with a NULL is NULL (and the row would never be replaced).
 */
export const ratePrecedenceKey = (alias: string): string =>
  `(${alias}.evaluated_at, -cardinality(${alias}.flags), array_to_string(${alias}.flags, ',') COLLATE "C", ${alias}.price::text COLLATE "C", ` +
  `coalesce(${alias}.change_1m, '-Infinity'::float8), coalesce(${alias}.change_5m, '-Infinity'::float8), coalesce(${alias}.change_15m, '-Infinity'::float8))`;

/**
 * The batch's rate rows are COPYed (copy.ts) into this session's temporary
 * table and merged from there by one statement (RATES_MERGE_SQL): COPY is the
 * cheapest way into PostgreSQL, and the merge then reads a plain heap where the
 * former `unnest` of nine array parameters had to parse and expand them first
 * (docs/ingest.md "Write path" has the figures). The table is reused across
 * batches (created once per session, emptied at every commit), not created and
 * dropped per batch: that would churn pg_class and pg_attribute at the ingest
 * rate. Needs the TEMPORARY privilege on the database. The client sorts the rows
 * by key (merge.ts) and COPY keeps that order in the heap, so the merge needs no
 * sort of its own to lock raw rows in one order.
 */
export const RATES_STAGE_TABLE = 'mdc_ingest_rates';
export const RATES_STAGE_SQL = `CREATE TEMP TABLE IF NOT EXISTS ${RATES_STAGE_TABLE} (LIKE price_change_rates) ON COMMIT DELETE ROWS`;
export const RATES_COPY_SQL = `COPY ${RATES_STAGE_TABLE} (${RATE_COPY_COLUMNS}) FROM STDIN`;

const ROLLUP_COLUMNS = 'bucket, exchange, symbol, open, high, low, close, change_1m, change_5m, change_15m, flags, rows, open_time, close_time';

/**
 * The per-minute aggregate of raw rows, as price_change_rates_1m holds it, over
 * `source` (a relation with the raw columns, already restricted to the rows to
 * aggregate). first/last by time are ordered array_aggs: the rows of one minute
 * never share a time (the raw key), so they are exact. Flags are the sorted
 * distinct union in the "C" order (as mdc_flags_union of 0010), over the
 * flattened flags of the minute: calling that SQL function once per row would
 * cost more than the rest of the aggregate.
 */
export const minuteAggregateSql = (source: string): string => `
  SELECT m.bucket, m.exchange, m.symbol, m.open, m.high, m.low, m.close, m.change_1m, m.change_5m, m.change_15m,
         coalesce(f.flags, '{}') AS flags, m.rows, m.open_time, m.close_time
  FROM (
    SELECT date_trunc('minute', time) AS bucket, exchange, symbol,
           (array_agg(price ORDER BY time))[1] AS open, max(price) AS high, min(price) AS low, (array_agg(price ORDER BY time DESC))[1] AS close,
           (array_agg(change_1m ORDER BY time DESC))[1] AS change_1m, (array_agg(change_5m ORDER BY time DESC))[1] AS change_5m,
           (array_agg(change_15m ORDER BY time DESC))[1] AS change_15m,
           count(*)::int AS rows, min(time) AS open_time, max(time) AS close_time
    FROM ${source} GROUP BY 1, 2, 3
  ) AS m
  LEFT JOIN (
    SELECT date_trunc('minute', s.time) AS bucket, s.exchange, s.symbol, array_agg(DISTINCT flag COLLATE "C" ORDER BY flag COLLATE "C") AS flags
    FROM ${source} AS s, unnest(s.flags) AS flag GROUP BY 1, 2, 3
  ) AS f USING (bucket, exchange, symbol)`;

/**
 * How a minute of rows new to the raw table merges into its stored rollup row
 * (see RATES_INSERT_SQL for why this is exact in any order). The conflict target
 * is the rollup's key; `EXCLUDED` is the batch's aggregate of the minute.
 */
const ROLLUP_MERGE_CLAUSE = `  ON CONFLICT (exchange, symbol, bucket) DO UPDATE SET
    open = CASE WHEN EXCLUDED.open_time < r.open_time THEN EXCLUDED.open ELSE r.open END,
    open_time = least(r.open_time, EXCLUDED.open_time),
    high = greatest(r.high, EXCLUDED.high),
    low = least(r.low, EXCLUDED.low),
    close = CASE WHEN EXCLUDED.close_time > r.close_time THEN EXCLUDED.close ELSE r.close END,
    change_1m = CASE WHEN EXCLUDED.close_time > r.close_time THEN EXCLUDED.change_1m ELSE r.change_1m END,
    change_5m = CASE WHEN EXCLUDED.close_time > r.close_time THEN EXCLUDED.change_5m ELSE r.change_5m END,
    change_15m = CASE WHEN EXCLUDED.close_time > r.close_time THEN EXCLUDED.change_15m ELSE r.change_15m END,
    close_time = greatest(r.close_time, EXCLUDED.close_time),
    -- Most minutes have no flags: skip the union (a sort) when it cannot change anything.
    flags = CASE WHEN cardinality(EXCLUDED.flags) = 0 THEN r.flags ELSE mdc_flags_union(r.flags, EXCLUDED.flags) END,
    rows = r.rows + EXCLUDED.rows`;

/**
 * The first statement after the COPY: the rows new to the raw table are
 * inserted (ON CONFLICT DO NOTHING, so RETURNING lists exactly the rows this
 * batch inserted) and merged into their minutes of price_change_rates_1m. Rows
 * whose key is already stored are left to RATES_REPLACE_SQL.
 *
 * (Telling inserted from replaced rows in one upsert by `xmax = 0` in RETURNING
 * does not work here: PostgreSQL 15 refuses system columns in RETURNING of a
 * partitioned table, "cannot retrieve a system column in this context".)
 *
 * The merge of inserted rows into their minute: open/open_time from the earlier
 * of the stored and the batch's first time, close/close_time and the changes from
 * the later of the last times, high = greatest, low = least, flags = sorted
 * union, rows added. Each is commutative and associative, and an inserted time is
 * new to its minute (the raw key is unique), so any split of the rows into
 * batches and any commit order give the same minute. ON CONFLICT DO UPDATE merges
 * into the latest committed version of the minute, after waiting for a concurrent
 * batch that holds it, so two batches on one minute both land. Minutes are
 * written in key order, the order every batch takes their locks in.
 */
export const RATES_INSERT_SQL = `
WITH inserted AS (
  INSERT INTO price_change_rates AS p (${RATE_COPY_COLUMNS})
  SELECT ${RATE_COPY_COLUMNS} FROM ${RATES_STAGE_TABLE}
  ON CONFLICT (exchange, symbol, time) DO NOTHING
  RETURNING p.time, p.exchange, p.symbol, p.price, p.change_1m, p.change_5m, p.change_15m, p.flags
),
merged AS (
  INSERT INTO price_change_rates_1m AS r (${ROLLUP_COLUMNS})
  SELECT ${ROLLUP_COLUMNS} FROM (${minuteAggregateSql('inserted')}) AS minutes ORDER BY exchange, symbol, bucket
${ROLLUP_MERGE_CLAUSE}
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM merged)::int AS minutes_merged`;

/**
 * The merge of minutes aggregated client-side (rollup.ts aggregateMinutes) from
 * rows the batch COPYed straight into price_change_rates, all of them new: one
 * array parameter per column, as in RATES_INSERT_SQL's merge. Flags travel as one
 * comma-joined string per minute (unnest would flatten a 2-D array; flag names
 * hold no comma). Rows in key order, the order every batch locks minutes in.
 */
export const ROLLUP_MINUTES_MERGE_SQL = `
INSERT INTO price_change_rates_1m AS r (${ROLLUP_COLUMNS})
SELECT m.bucket, m.exchange, m.symbol, m.open, m.high, m.low, m.close, m.change_1m, m.change_5m, m.change_15m,
       string_to_array(m.flags, ','), m.rows, m.open_time, m.close_time
FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[],
            $8::float8[], $9::float8[], $10::float8[], $11::text[], $12::int[], $13::timestamptz[], $14::timestamptz[])
  AS m(bucket, exchange, symbol, open, high, low, close, change_1m, change_5m, change_15m, flags, rows, open_time, close_time)
${ROLLUP_MERGE_CLAUSE}`;

/**
 * COPY straight into the raw table: the usual batch holds only new rows (one
 * persistence interval per record), and then this is all the raw write needs.
 * A row whose key is already stored makes it fail with 23505 (waiting first for
 * a concurrent batch that holds the key), and the batch is written again
 * through the staging table (RATES_COPY_SQL and the statements below).
 */
export const RATES_DIRECT_COPY_SQL = `COPY price_change_rates (${RATE_COPY_COLUMNS}) FROM STDIN`;

/**
 * The second statement, run only when the first did not insert every staged
 * row: the staged rows whose key was stored replace it when their precedence is
 * greater (a newer evaluated_at; on equal evaluated_at the content order of
 * precedence.ts), so redelivery and duplicate collectors are harmless and every
 * delivery order stores the same row. A later statement than the insert, so its
 * snapshot includes a row a concurrent batch committed while the insert waited
 * on it. The rows just inserted conflict with themselves at equal precedence and
 * are left alone; every row this returns was replaced (or, if a concurrent
 * delete made room, inserted; its minute is recomputed all the same, which is
 * exact either way). Returns the minutes to recompute, in key order.
 */
export const RATES_REPLACE_SQL = `
WITH replaced AS (
  INSERT INTO price_change_rates AS p (${RATE_COPY_COLUMNS})
  SELECT ${RATE_COPY_COLUMNS} FROM ${RATES_STAGE_TABLE}
  ON CONFLICT (exchange, symbol, time) DO UPDATE SET
    price = EXCLUDED.price,
    change_1m = EXCLUDED.change_1m,
    change_5m = EXCLUDED.change_5m,
    change_15m = EXCLUDED.change_15m,
    flags = EXCLUDED.flags,
    evaluated_at = EXCLUDED.evaluated_at
  WHERE ${ratePrecedenceKey('EXCLUDED')} > ${ratePrecedenceKey('p')}
  RETURNING p.exchange, p.symbol, date_trunc('minute', p.time) AS bucket
),
minutes AS (SELECT DISTINCT exchange, symbol, bucket FROM replaced)
SELECT (SELECT count(*) FROM replaced)::int AS replaced,
       (SELECT coalesce(array_agg(exchange ORDER BY exchange, symbol, bucket), '{}') FROM minutes) AS exchanges,
       (SELECT coalesce(array_agg(symbol ORDER BY exchange, symbol, bucket), '{}') FROM minutes) AS symbols,
       (SELECT coalesce(array_agg(bucket ORDER BY exchange, symbol, bucket), '{}') FROM minutes) AS buckets`;

/**
 * Minutes in which a raw row was REPLACED (a newer evaluation of a stored time,
 * e.g. a late-trade rewrite) cannot be merged: the replaced price may have been
 * the minute's high, and a high cannot be taken back. They are recomputed from
 * the raw table, in two statements, because of concurrency:
 *
 * 1. RATES_ROLLUP_LOCK_SQL locks their rollup rows (key order, the order every
 *    batch locks in). A concurrent batch that already wrote one of them holds
 *    it until it commits, and this statement waits.
 * 2. RATES_ROLLUP_RECOMPUTE_SQL, a later statement, aggregates the minutes from
 *    price_change_rates. Under READ COMMITTED each statement takes a new
 *    snapshot, so it sees the raw rows of every batch that committed while step
 *    1 waited. A batch that commits later must merge its inserted rows into the
 *    same rollup rows, which are locked until this transaction commits, so it
 *    merges on top of the recomputed minute, which did not contain its rows.
 *    Either way every raw row is counted exactly once. In one statement, lock
 *    and aggregate would share the snapshot taken before the wait and overwrite
 *    the minute without the rows committed meanwhile.
 *
 * A minute with no rollup row yet (only possible if the rollup lost it) has
 * nothing to lock; its recompute inserts it, and ON CONFLICT orders that against
 * a concurrent insert.
 */
export const RATES_ROLLUP_LOCK_SQL = `
SELECT 1 FROM price_change_rates_1m AS r
WHERE (r.exchange, r.symbol, r.bucket) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]))
ORDER BY r.exchange, r.symbol, r.bucket
FOR UPDATE`;

export const RATES_ROLLUP_RECOMPUTE_SQL = `
WITH keys AS (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(exchange, symbol, bucket)),
raw AS (
  SELECT p.* FROM keys AS k
  JOIN price_change_rates AS p ON p.exchange = k.exchange AND p.symbol = k.symbol AND p.time >= k.bucket AND p.time < k.bucket + interval '1 minute'
)
INSERT INTO price_change_rates_1m AS r (${ROLLUP_COLUMNS})
SELECT ${ROLLUP_COLUMNS} FROM (${minuteAggregateSql('raw')}) AS minutes ORDER BY exchange, symbol, bucket
ON CONFLICT (exchange, symbol, bucket) DO UPDATE SET
  open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
  change_1m = EXCLUDED.change_1m, change_5m = EXCLUDED.change_5m, change_15m = EXCLUDED.change_15m,
  flags = EXCLUDED.flags, rows = EXCLUDED.rows, open_time = EXCLUDED.open_time, close_time = EXCLUDED.close_time`;

/** Same scheme for `collection_status`: a snapshot never replaces a newer one. */
export const STATUS_UPSERT_SQL = `
INSERT INTO collection_status AS s (collector_id, connection_id, exchange, state, streams, last_message_at, reconnects, errors, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::int[], $8::int[], $9::timestamptz[])
ON CONFLICT (collector_id, connection_id) DO UPDATE SET
  exchange = EXCLUDED.exchange,
  state = EXCLUDED.state,
  streams = EXCLUDED.streams,
  last_message_at = EXCLUDED.last_message_at,
  reconnects = EXCLUDED.reconnects,
  errors = EXCLUDED.errors,
  updated_at = EXCLUDED.updated_at
WHERE s.updated_at < EXCLUDED.updated_at`;

/** Epoch ms as an ISO-8601 UTC string: exact to the millisecond, independent of the session time zone. */
const iso = (ms: number): string => new Date(ms).toISOString();

export function buildStatusUpsert(rows: readonly StatusRecord[]): SqlStatement {
  return {
    text: STATUS_UPSERT_SQL,
    values: [
      rows.map((r) => r.collectorId),
      rows.map((r) => r.connectionId),
      rows.map((r) => r.exchange),
      rows.map((r) => r.state),
      rows.map((r) => r.streams),
      rows.map((r) => (r.lastMessageAt === null ? null : iso(r.lastMessageAt))),
      rows.map((r) => r.reconnects),
      rows.map((r) => r.errors),
      rows.map((r) => iso(r.updatedAt)),
    ],
  };
}

/**
 * Rows of days before today delete those days' stored CSV text (day files,
 * migration 0012) in the batch's transaction, under the lock the builder
 * takes, so a day file never outlives a write to its day.
 */
export const INVALIDATE_DAY_FILES_SQL = 'SELECT mdc_invalidate_minute_days($1::text[], $2::text[], $3::date[])';
