import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { HistoryRowDto } from '../schemas';

/**
 * History as CSV, for quants who load it into a dataframe: a month of 1-minute
 * bars (43,200 rows) in one response. The database writes the CSV itself
 * (COPY ... TO STDOUT), so the function neither parses rows into objects nor
 * serializes JSON: both cost far more than the index scan (docs/api.md "CSV").
 */
export const RAW_CSV_HEADER = 'time,price,change_1m,change_5m,change_15m,flags';
export const BAR_CSV_HEADER = 'time,open,high,low,close,change_1m,change_5m,change_15m,flags,rows';

/** ISO-8601 UTC with microseconds: exact, and what the keyset cursor continues from. */
const isoUs = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface CsvRange {
  exchange: string;
  symbol: string;
  /** Inclusive, ms. */
  startMs: number;
  /** Exclusive, ms. */
  endMs: number;
  /** Rows strictly after this time (µs since the epoch), for raw keyset pages. */
  afterUs: bigint | null;
  limit: number;
}

/** A timestamptz literal from epoch ms: only integers reach the statement text. */
const at = (ms: number) => {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`not an epoch ms: ${ms}`);
  return `to_timestamp(${ms} / 1000.0)`;
};

// COPY takes no bind parameters: exchange and symbol are validated by the route
// schema ([a-z0-9] / [A-Z0-9]) and quoted by escapeLiteral, times are integers.
function where(client: PoolClient, column: string, range: CsvRange): string {
  const after = range.afterUs === null ? '' : ` AND ${column} > 'epoch'::timestamptz + ${range.afterUs.toString()} * interval '1 microsecond'`;
  return `exchange = ${client.escapeLiteral(range.exchange)} AND symbol = ${client.escapeLiteral(range.symbol)} AND ${column} >= ${at(range.startMs)} AND ${column} < ${at(range.endMs)}${after}`;
}

export const rawRowsCsvSql = (client: PoolClient, range: CsvRange): string => `
  COPY (SELECT ${isoUs('time')}, price, change_1m, change_5m, change_15m, nullif(array_to_string(flags, '|'), '')
          FROM price_change_rates WHERE ${where(client, 'time', range)} ORDER BY time LIMIT ${range.limit + 1})
  TO STDOUT WITH (FORMAT csv)`;

/**
 * Bars through mdc_minute_bar_csv_line (migration 0012), the one encoder of a
 * bar line that the stored day files use too, so a month read partly from day
 * files and partly from the rollup is one format. Text COPY of a single column
 * writes the line as is: it holds no tab, newline or backslash to escape.
 */
export const minuteBarsCsvSql = (client: PoolClient, range: CsvRange): string => `
  COPY (SELECT mdc_minute_bar_csv_line(bucket, open, high, low, close, change_1m, change_5m, change_15m, flags, rows)
          FROM price_change_rates_1m WHERE ${where(client, 'bucket', range)} ORDER BY bucket LIMIT ${range.limit + 1})
  TO STDOUT`;

/** Stored (or built now) text of whole closed days, by mdc_minute_bar_days; days it leaves out are read from the rollup. */
export const MINUTE_DAY_FILES_SQL = 'SELECT day::text AS day, csv, bars FROM mdc_minute_bar_days($1, $2, $3::date[])';

export interface MinuteDayFile {
  /** `YYYY-MM-DD`. */
  day: string;
  csv: string;
  bars: number;
}

export interface CsvRows {
  /** The lines, without header, each ending in a newline; at most `limit`. */
  body: string;
  count: number;
  /** True when the query had more than `limit` rows. */
  more: boolean;
  /** µs since the epoch of the last line's time, when there is one. */
  lastUs: bigint | undefined;
}

/** Runs a COPY of at most `limit + 1` rows and keeps `limit`. */
export async function copyCsv(client: PoolClient, sql: string, limit: number): Promise<CsvRows> {
  const chunks: Buffer[] = [];
  const stream = client.query(copyTo(sql));
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  let text = Buffer.concat(chunks).toString('utf8');
  let count = 0;
  let end = -1;
  let lastStart = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    count += 1;
    if (count === limit + 1) break;
    lastStart = end + 1;
    end = i;
  }
  const more = count > limit;
  if (more) text = text.slice(0, end + 1);
  const kept = more ? limit : count;
  return { body: text, count: kept, more, lastUs: kept > 0 ? isoToUs(text.slice(lastStart, text.indexOf(',', lastStart))) : undefined };
}

/** `2026-01-02T03:04:05.123456Z` -> µs since the epoch. */
export function isoToUs(iso: string): bigint {
  const ms = Date.parse(`${iso.slice(0, 23)}Z`);
  if (!Number.isFinite(ms) || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(iso)) throw new RangeError(`not a COPY time: ${iso}`);
  return BigInt(ms) * 1000n + BigInt(iso.slice(23, 26));
}

const cell = (value: string | number | null | undefined): string => (value === null || value === undefined ? '' : String(value));

/** Bucket rows already read (coarser intervals, 1s) as the same CSV. */
export function barsToCsv(rows: readonly HistoryRowDto[]): string {
  let out = '';
  for (const row of rows) {
    const iso = `${row.time.slice(0, 23)}000Z`;
    out += `${iso},${cell(row.open)},${cell(row.high)},${cell(row.low)},${row.price},${cell(row.change_1m)},${cell(row.change_5m)},${cell(row.change_15m)},${row.flags.join('|')},${cell(row.rows)}\n`;
  }
  return out;
}
