import type { RateRecord, StatusRecord } from './merge';

export interface SqlStatement {
  text: string;
  values: unknown[];
}

/**
 * One statement for any number of rows: each column travels as one array
 * parameter and `unnest` zips them back into rows, so the statement text (and
 * its plan) is the same for 1 or 25,000 rows and no parameter limit applies.
 * A stored row is replaced only by a state of greater precedence (a newer
 * evaluated_at; on equal evaluated_at the content order of precedence.ts), so
 * redelivery and duplicate collectors are harmless and every delivery order
 * stores the same row; `rowCount` is the number of rows inserted or replaced.
 *
 * `flags` is a text[] per row, and unnest would flatten a 2-D array, so each
 * row's flags travel as one comma-joined string (flag names hold no comma).
 */
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

export const RATES_UPSERT_SQL = `
INSERT INTO price_change_rates AS p (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at)
SELECT u.time, u.exchange, u.symbol, u.price, u.change_1m, u.change_5m, u.change_15m, string_to_array(u.flags, ','), u.evaluated_at
FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::numeric[], $5::float8[], $6::float8[], $7::float8[], $8::text[], $9::timestamptz[])
  AS u(time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at)
ON CONFLICT (exchange, symbol, time) DO UPDATE SET
  price = EXCLUDED.price,
  change_1m = EXCLUDED.change_1m,
  change_5m = EXCLUDED.change_5m,
  change_15m = EXCLUDED.change_15m,
  flags = EXCLUDED.flags,
  evaluated_at = EXCLUDED.evaluated_at
WHERE ${ratePrecedenceKey('EXCLUDED')} > ${ratePrecedenceKey('p')}`;

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

export function buildRatesUpsert(rows: readonly RateRecord[]): SqlStatement {
  const n = rows.length;
  const time = new Array<string>(n);
  const exchange = new Array<string>(n);
  const symbol = new Array<string>(n);
  const price = new Array<string>(n);
  const change1m = new Array<number | null>(n);
  const change5m = new Array<number | null>(n);
  const change15m = new Array<number | null>(n);
  const flags = new Array<string>(n);
  const evaluatedAt = new Array<string>(n);
  for (let i = 0; i < n; i += 1) {
    const row = rows[i]!;
    time[i] = iso(row.time);
    exchange[i] = row.exchange;
    symbol[i] = row.symbol;
    // Kept as the exchange's decimal string: numeric stores it exactly, no float round trip.
    price[i] = row.price;
    change1m[i] = row.change1m;
    change5m[i] = row.change5m;
    change15m[i] = row.change15m;
    flags[i] = row.flags.join(',');
    evaluatedAt[i] = iso(row.evaluatedAt);
  }
  return { text: RATES_UPSERT_SQL, values: [time, exchange, symbol, price, change1m, change5m, change15m, flags, evaluatedAt] };
}

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
