import type { RateRecord } from './merge';

/**
 * The rows of a batch in PostgreSQL's COPY text format, for
 * `COPY mdc_ingest_rates (RATE_COPY_COLUMNS) FROM STDIN`: one line per row,
 * columns separated by a tab, `\N` for NULL, arrays as `{a,b}`.
 *
 * Text, not binary: binary COPY would need numeric and timestamptz encoded
 * client-side (numeric's base-10000 digits from the exchange's decimal string),
 * while the text form of every column is what the schema already validated
 * (decimal strings, ISO times, shortest-round-trip floats), so PostgreSQL parses
 * exactly what the upsert's parameters used to carry.
 */
export const RATE_COPY_COLUMNS = 'time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at';

/** Epoch ms as an ISO-8601 UTC string: exact to the millisecond, independent of the session time zone. */
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A batch holds a few distinct times (one per persistence interval) over
 * thousands of symbols: formatting each once halves the encoding time. Bounded
 * by the batch, and dropped with it.
 */
type IsoCache = Map<number, string>;
const isoCached = (cache: IsoCache, ms: number): string => {
  let text = cache.get(ms);
  if (text === undefined) {
    text = iso(ms);
    if (cache.size < 10_000) cache.set(ms, text);
  }
  return text;
};

// The schema restricts symbols, exchanges and flags to [A-Za-z0-9_] and prices to
// digits and a dot, so escaping is never needed for validated rows; it is kept so
// a record from elsewhere cannot break the stream's framing.
const COPY_SPECIAL = /[\\\t\n\r]/;
const copyEscape = (s: string): string => (COPY_SPECIAL.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s);

const ARRAY_SPECIAL = /[{}",\\\s]|^NULL$/i;
const arrayElement = (s: string): string => (s === '' || ARRAY_SPECIAL.test(s) ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : s);

const float = (v: number | null): string => (v === null ? '\\N' : String(v));

export function encodeRateCopyLine(row: RateRecord, cache: IsoCache = new Map()): string {
  const flags = row.flags.length === 0 ? '{}' : `{${row.flags.map(arrayElement).join(',')}}`;
  return `${isoCached(cache, row.time)}\t${copyEscape(row.exchange)}\t${copyEscape(row.symbol)}\t${copyEscape(row.price)}\t${float(row.change1m)}\t${float(row.change5m)}\t${float(row.change15m)}\t${copyEscape(flags)}\t${isoCached(cache, row.evaluatedAt)}\n`;
}

/**
 * The rows as COPY text in chunks of about `chunkBytes` (each a whole number of
 * lines), so the stream is written in a few large writes rather than one per row
 * or one string of the whole batch. Lazy: the write path streams it, so the
 * client encodes the next chunk while the server parses the previous one.
 */
export function* rateCopyChunks(rows: readonly RateRecord[], chunkBytes = 256 * 1024): Generator<string> {
  let lines: string[] = [];
  let size = 0;
  const cache: IsoCache = new Map();
  for (const row of rows) {
    const line = encodeRateCopyLine(row, cache);
    lines.push(line);
    size += line.length;
    if (size >= chunkBytes) {
      yield lines.join('');
      lines = [];
      size = 0;
    }
  }
  if (lines.length > 0) yield lines.join('');
}

/** rateCopyChunks, all at once. */
export function encodeRatesCopy(rows: readonly RateRecord[], chunkBytes = 256 * 1024): string[] {
  return [...rateCopyChunks(rows, chunkBytes)];
}
