-- Closed days of 1-minute bars kept as CSV text (docs/database.md "Day files").
--
-- A month of one symbol's bars (43,200 rows) costs PostgreSQL 60-90 ms to turn
-- into text however it is asked (COPY csv or binary, to_char or not: measured
-- here, most of it numeric and float8 output). A minute of a day that ended an
-- hour ago almost never changes again: only a late batch, a redrive from the
-- DLQ or a backfill touches it. So the text of each closed day is kept once it
-- has been read, and a month is read back as 30 stored strings (~10 ms).
--
-- Correctness rests on two rules, both kept in the database:
--   * a day is stored only once it ended more than an hour ago, longer than any
--     ingest transaction lives (Lambda timeout, statement timeouts), so a write
--     that still took the day for "today" has committed before it can be stored;
--   * ingest, writing a row of an earlier day, deletes the day's entry under a
--     transaction advisory lock on (symbol, day), and the builder takes the same
--     lock before it reads the rollup: the two serialize, and an entry never
--     outlives a write to its day.
-- Files are kept for the last 92 days (a quarter: what quants read most), which
-- bounds their storage (docs/database.md "Sizing"); older months are read from
-- the rollup as before, about 90 ms for a month.
-- The text is the exact line format of GET /v1/history?format=csv&interval=1m
-- (mdc_minute_bar_csv_line, also used by the COPY path): a migration that
-- changes the format must TRUNCATE price_change_rates_1m_days.

CREATE TABLE price_change_rates_1m_days (
  exchange  text        NOT NULL,
  symbol    text        NOT NULL,
  day       date        NOT NULL,
  -- The day's lines in bucket order, each ending in a newline; '' for a day without bars.
  csv       text        NOT NULL,
  bars      integer     NOT NULL,
  built_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT price_change_rates_1m_days_pkey PRIMARY KEY (exchange, symbol, day)
);

-- lz4 decompresses several times faster than the default pglz; servers built
-- without it keep pglz.
DO $compression$
BEGIN
  ALTER TABLE price_change_rates_1m_days ALTER COLUMN csv SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 not available on this server: day files use pglz';
END
$compression$;

-- One CSV line of a bar (no newline): time as ISO-8601 UTC with microseconds,
-- prices and changes as PostgreSQL writes them, flags joined by '|', empty
-- for NULL. Inlined by the planner (a single SQL expression).
CREATE FUNCTION mdc_minute_bar_csv_line(
  bucket timestamptz, open numeric, high numeric, low numeric, close numeric,
  change_1m double precision, change_5m double precision, change_15m double precision, flags text[], bar_rows integer
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
      || ',' || open::text || ',' || high::text || ',' || low::text || ',' || close::text
      || ',' || coalesce(change_1m::text, '') || ',' || coalesce(change_5m::text, '') || ',' || coalesce(change_15m::text, '')
      || ',' || array_to_string(flags, '|') || ',' || bar_rows::text
$$;

-- The lock both sides take: one per (exchange, symbol, day), in the two-key
-- advisory space (the project's other advisory locks use single bigint keys).
CREATE FUNCTION mdc_minute_day_lock_key(exchange text, symbol text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT hashtext(exchange || '/' || symbol) $$;

-- How far back day files are kept (and built).
CREATE FUNCTION mdc_minute_day_files_from() RETURNS date
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT greatest((now() AT TIME ZONE 'UTC')::date - 92, ((SELECT r.rollup_cutoff FROM mdc_history_retention() r) AT TIME ZONE 'UTC')::date + 1)
$$;

-- The stored text of the closed days among `days` for one symbol, building and
-- storing the missing ones. Days that are not closed (ended less than an hour
-- ago) or before mdc_minute_day_files_from() are left out: the caller reads
-- those from the rollup. SECURITY DEFINER: the API, which may not write history, can only
-- make the database store what the rollup already says.
CREATE FUNCTION mdc_minute_bar_days(p_exchange text, p_symbol text, p_days date[])
RETURNS TABLE (day date, csv text, bars integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET TimeZone = 'UTC' AS $$
DECLARE
  wanted date;
  first_day date := mdc_minute_day_files_from();
  lock_key integer := mdc_minute_day_lock_key(p_exchange, p_symbol);
BEGIN
  FOR wanted IN
    SELECT DISTINCT d FROM unnest(p_days) AS d
     WHERE d IS NOT NULL
       AND (d + 1)::timestamp AT TIME ZONE 'UTC' <= now() - interval '1 hour'
       AND d >= first_day
     ORDER BY d
  LOOP
    SELECT f.csv, f.bars INTO csv, bars FROM price_change_rates_1m_days f
     WHERE f.exchange = p_exchange AND f.symbol = p_symbol AND f.day = wanted;
    IF NOT FOUND THEN
      -- Waits for an ingest transaction writing this day; the read below then sees its commit.
      PERFORM pg_advisory_xact_lock(lock_key, wanted - date '2000-01-01');
      SELECT f.csv, f.bars INTO csv, bars FROM price_change_rates_1m_days f
       WHERE f.exchange = p_exchange AND f.symbol = p_symbol AND f.day = wanted;
      IF NOT FOUND THEN
        SELECT coalesce(string_agg(mdc_minute_bar_csv_line(b.bucket, b.open, b.high, b.low, b.close, b.change_1m, b.change_5m, b.change_15m, b.flags, b.rows) || E'\n', '' ORDER BY b.bucket), ''),
               count(*)::integer
          INTO csv, bars
          FROM price_change_rates_1m b
         WHERE b.exchange = p_exchange AND b.symbol = p_symbol
           AND b.bucket >= wanted::timestamp AT TIME ZONE 'UTC' AND b.bucket < (wanted + 1)::timestamp AT TIME ZONE 'UTC';
        INSERT INTO price_change_rates_1m_days (exchange, symbol, day, csv, bars)
        VALUES (p_exchange, p_symbol, wanted, csv, bars)
        ON CONFLICT ON CONSTRAINT price_change_rates_1m_days_pkey DO NOTHING;
      END IF;
    END IF;
    day := wanted;
    RETURN NEXT;
  END LOOP;
END
$$;

-- Ingest, before it commits rows of days before today: the stored text of those
-- days goes, under the builder's lock (sorted, so two batches never deadlock).
CREATE FUNCTION mdc_invalidate_minute_days(p_exchanges text[], p_symbols text[], p_days date[])
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  removed integer;
BEGIN
  PERFORM pg_advisory_xact_lock(k.lock_key, k.day - date '2000-01-01')
     FROM (SELECT DISTINCT mdc_minute_day_lock_key(e, s) AS lock_key, d AS day
             FROM unnest(p_exchanges, p_symbols, p_days) AS u (e, s, d)) AS k
    ORDER BY k.lock_key, k.day;
  DELETE FROM price_change_rates_1m_days f
   USING unnest(p_exchanges, p_symbols, p_days) AS u (e, s, d)
   WHERE f.exchange = u.e AND f.symbol = u.s AND f.day = u.d;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END
$$;

-- Maintenance keeps doing what it did (0010's body, renamed) and drops the day
-- files of days before mdc_minute_day_files_from() (92 days, or rollup retention).
ALTER FUNCTION mdc_run_partition_maintenance() RENAME TO mdc_maintain_history_tiers;

CREATE FUNCTION mdc_run_partition_maintenance()
RETURNS TABLE (action text, partition_name text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET TimeZone = 'UTC' AS $$
DECLARE
  removed integer;
BEGIN
  RETURN QUERY SELECT * FROM mdc_maintain_history_tiers();
  DELETE FROM price_change_rates_1m_days WHERE day < mdc_minute_day_files_from();
  GET DIAGNOSTICS removed = ROW_COUNT;
  IF removed > 0 THEN
    action := 'drop day files'; partition_name := removed || ' days'; RETURN NEXT;
  END IF;
END
$$;

-- Privileges (0011's matrix): the roles reach the table only through the functions.
REVOKE EXECUTE ON FUNCTION mdc_minute_bar_csv_line(timestamptz, numeric, numeric, numeric, numeric, double precision, double precision, double precision, text[], integer),
  mdc_minute_day_lock_key(text, text), mdc_minute_day_files_from(), mdc_minute_bar_days(text, text, date[]), mdc_invalidate_minute_days(text[], text[], date[]),
  mdc_run_partition_maintenance(), mdc_maintain_history_tiers() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mdc_minute_bar_csv_line(timestamptz, numeric, numeric, numeric, numeric, double precision, double precision, double precision, text[], integer),
  mdc_minute_bar_days(text, text, date[]) TO mdc_api;
GRANT EXECUTE ON FUNCTION mdc_invalidate_minute_days(text[], text[], date[]), mdc_run_partition_maintenance() TO mdc_ingest;
REVOKE EXECUTE ON FUNCTION mdc_maintain_history_tiers() FROM mdc_ingest;
