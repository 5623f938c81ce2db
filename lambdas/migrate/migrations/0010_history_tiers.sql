-- History in two tiers (docs/database.md "History tiers" and "Sizing"):
--   price_change_rates     raw rows, one per symbol per persistence interval, kept raw_retention_days
--   price_change_rates_1m  one row per symbol per minute, kept rollup_retention_days (years)
-- The rollup is maintained by the ingest write (lambdas/ingest), in the same
-- transaction as the raw rows, so it is exact at every commit; this migration
-- creates it, partitions it like the raw table and fills it from the raw rows
-- already stored.
--
-- Also: every day inside retention can get its partition on demand
-- (mdc_ensure_history_partitions), and the functions the ingest and API roles
-- call run as the owner (SECURITY DEFINER): creating or dropping a partition
-- needs the parent's owner, and those roles must not own anything.

SET LOCAL TimeZone = 'UTC';
-- SECURITY DEFINER functions must not resolve names through a caller's
-- search_path; they take this one (the schema being migrated) FROM CURRENT.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- 90 days of raw rows at ~1,500 symbols is ~2.4 TB on plain PostgreSQL, far
-- past the stack's storage: raw rows are now kept a week, minutes two years
-- (the arithmetic is in docs/database.md "Sizing").
-- A deployment still on the old default moves to the new one; a value someone
-- chose stays (the constraint below may then ask for a larger rollup retention).
ALTER TABLE collection_settings RENAME COLUMN retention_days TO raw_retention_days;
ALTER TABLE collection_settings ALTER COLUMN raw_retention_days SET DEFAULT 7;
UPDATE collection_settings SET raw_retention_days = 7 WHERE raw_retention_days = 90;
ALTER TABLE collection_settings
  ADD COLUMN rollup_retention_days integer NOT NULL DEFAULT 730 CHECK (rollup_retention_days BETWEEN 1 AND 7300),
  ADD CONSTRAINT collection_settings_rollup_outlives_raw CHECK (rollup_retention_days >= raw_retention_days);

-- The union of flag sets as a sorted, duplicate-free array ("C" order, as
-- JavaScript sorts ASCII), so a minute's flags do not depend on the order its
-- rows arrived in.
CREATE FUNCTION mdc_flags_union(a text[], b text[]) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT flag COLLATE "C" ORDER BY flag COLLATE "C"), '{}') FROM unnest(coalesce(a, '{}') || coalesce(b, '{}')) AS flag
$$;
CREATE AGGREGATE mdc_flags_union_agg(text[]) (SFUNC = mdc_flags_union, STYPE = text[], INITCOND = '{}', PARALLEL = SAFE);

CREATE FUNCTION mdc_rollup_partition_name(month date) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'price_change_rates_1m_p' || to_char(month, 'YYYYMM')
$$;

-- One partition per UTC calendar month of price_change_rates_1m (project-managed
-- strategy). Returns false when it already exists.
CREATE FUNCTION mdc_ensure_rollup_month_partition(month date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  parent_schema text := (SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = 'price_change_rates_1m'::regclass);
  first_day date := date_trunc('month', month)::date;
  partition_name text := mdc_rollup_partition_name(first_day);
BEGIN
  IF to_regclass(format('%s.%I', parent_schema, partition_name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %s.%I PARTITION OF price_change_rates_1m FOR VALUES FROM (%L) TO (%L)',
    parent_schema, partition_name,
    first_day::timestamp AT TIME ZONE 'UTC', (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC');
  RETURN true;
END
$$;

-- Project-managed rollup months: the previous, current and next two months
-- exist; months wholly older than retention_days are dropped.
CREATE FUNCTION mdc_maintain_rollup_partitions(retention_days integer)
RETURNS TABLE (action text, partition_name text) LANGUAGE plpgsql AS $$
DECLARE
  this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  cutoff timestamptz := now() - make_interval(days => retention_days);
  month date;
  old record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('mdc_maintain_partitions'));
  FOR month IN SELECT m::date FROM generate_series(this_month - interval '1 month', this_month + interval '2 months', interval '1 month') AS m LOOP
    IF mdc_ensure_rollup_month_partition(month) THEN
      action := 'created'; partition_name := mdc_rollup_partition_name(month); RETURN NEXT;
    END IF;
  END LOOP;
  FOR old IN
    SELECT c.oid::regclass AS rel, c.relname::text AS relname, to_date(substring(c.relname FROM '_p(\d{6})$'), 'YYYYMM') AS month
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'price_change_rates_1m'::regclass AND c.relname ~ '^price_change_rates_1m_p\d{6}$'
    ORDER BY 3
  LOOP
    IF ((old.month + interval '1 month')::timestamp AT TIME ZONE 'UTC') <= cutoff THEN
      EXECUTE format('DROP TABLE %s', old.rel);
      action := 'dropped'; partition_name := old.relname; RETURN NEXT;
    END IF;
  END LOOP;
END
$$;

DO $migration$
DECLARE
  chosen text := (SELECT strategy FROM schema_partitioning WHERE table_name = 'price_change_rates');
  settings collection_settings;
  partman_schema text;
  partman_version text;
  parent text;
  columns constant text := $columns$
    bucket      timestamptz      NOT NULL,
    exchange    text             NOT NULL,
    symbol      text             NOT NULL,
    open        numeric          NOT NULL,
    high        numeric          NOT NULL,
    low         numeric          NOT NULL,
    close       numeric          NOT NULL,
    -- Those of the minute's latest raw row (the one at close_time).
    change_1m   double precision NULL,
    change_5m   double precision NULL,
    change_15m  double precision NULL,
    flags       text[]           NOT NULL DEFAULT '{}',
    rows        integer          NOT NULL CHECK (rows > 0),
    -- Times of the minute's earliest and latest raw rows: they make merging a
    -- batch's rows into a stored minute order-independent (open and close go
    -- to whichever side holds the earlier / later time).
    open_time   timestamptz      NOT NULL,
    close_time  timestamptz      NOT NULL,
    CONSTRAINT price_change_rates_1m_pkey PRIMARY KEY (exchange, symbol, bucket),
    CONSTRAINT price_change_rates_1m_times_in_bucket CHECK (open_time >= bucket AND close_time < bucket + interval '1 minute' AND open_time <= close_time)
  $columns$;
BEGIN
  IF chosen IS NULL THEN
    RAISE EXCEPTION 'price_change_rates has no partitioning strategy recorded; 0006 must run first';
  END IF;
  SELECT * INTO STRICT settings FROM collection_settings;

  IF chosen = 'timescaledb' THEN
    -- Written from Timescale's documentation (2.x); this project's tests run
    -- without TimescaleDB. A continuous aggregate would be TimescaleDB's own
    -- tool, but its refresh window misses rewrites of old minutes (a backfill)
    -- and it would give this platform other semantics than the others; the
    -- rollup is the same ingest-maintained table everywhere.
    EXECUTE format('CREATE TABLE price_change_rates_1m (%s)', columns);
    PERFORM create_hypertable('price_change_rates_1m', 'bucket', chunk_time_interval => INTERVAL '30 days', create_default_indexes => false);
    IF coalesce(current_setting('timescaledb.license', true), '') <> 'apache' THEN
      EXECUTE 'ALTER TABLE price_change_rates_1m SET (timescaledb.compress, '
              'timescaledb.compress_segmentby = ''exchange, symbol'', timescaledb.compress_orderby = ''bucket DESC'')';
      -- Compressed only once no raw row can change its minutes any more.
      PERFORM add_compression_policy('price_change_rates_1m', compress_after => make_interval(days => settings.raw_retention_days + 2), if_not_exists => true);
      PERFORM add_retention_policy('price_change_rates_1m', drop_after => make_interval(days => settings.rollup_retention_days), if_not_exists => true);
    END IF;

  ELSE
    EXECUTE format('CREATE TABLE price_change_rates_1m (%s) PARTITION BY RANGE (bucket)', columns);
    IF chosen = 'pg_partman' THEN
      SELECT n.nspname, e.extversion INTO STRICT partman_schema, partman_version
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman';
      parent := (SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'price_change_rates_1m'::regclass);
      IF split_part(partman_version, '.', 1)::int >= 5 THEN
        EXECUTE format('SELECT %I.create_parent(p_parent_table := $1, p_control := ''bucket'', p_interval := ''1 month'', '
                       'p_type := ''range'', p_premake := 2, p_default_table := false)', partman_schema)
          USING parent;
      ELSE
        EXECUTE format('SELECT %I.create_parent(p_parent_table := $1, p_control := ''bucket'', p_type := ''native'', '
                       'p_interval := ''monthly'', p_premake := 2)', partman_schema)
          USING parent;
        EXECUTE format('DROP TABLE IF EXISTS %s', parent || '_default');
      END IF;
      EXECUTE format('UPDATE %I.part_config SET retention = $1, retention_keep_table = false, '
                     'infinite_time_partitions = true WHERE parent_table = $2', partman_schema)
        USING settings.rollup_retention_days || ' days', parent;
    ELSE
      PERFORM mdc_maintain_rollup_partitions(settings.rollup_retention_days);
    END IF;
  END IF;

  INSERT INTO schema_partitioning (table_name, strategy, reason)
  VALUES ('price_change_rates_1m', chosen, 'follows price_change_rates; monthly partitions');
END
$migration$;

-- Rows outside these cutoffs are outside retention: ingest refuses them and the
-- API answers older ranges from the rollup (or not at all).
CREATE FUNCTION mdc_history_retention() RETURNS TABLE (raw_cutoff timestamptz, rollup_cutoff timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT now() - make_interval(days => raw_retention_days), now() - make_interval(days => rollup_retention_days) FROM collection_settings
$$;

-- Creates the partitions that rows at `times` need: the raw day for every time
-- inside raw retention, the rollup month for every time inside rollup
-- retention, both no further ahead than the premake window (a row from further
-- in the future is a clock error, not data to make room for). Times outside are
-- ignored: ingest refuses those rows. Ingest calls this when a write finds no
-- partition (a redrive, a drained spill, a backfill of an old day), so every day
-- inside retention is writable whatever maintenance has done. TimescaleDB
-- creates chunks on insert: nothing to do there.
CREATE FUNCTION mdc_ensure_history_partitions(times timestamptz[])
RETURNS TABLE (action text, partition_name text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET TimeZone = 'UTC' AS $$
DECLARE
  chosen text := (SELECT strategy FROM schema_partitioning WHERE table_name = 'price_change_rates');
  settings collection_settings;
  horizon timestamptz;
  raw_days date[];
  rollup_months date[];
  day date;
  partman_schema text;
  partman_major integer;
  created boolean;
BEGIN
  IF chosen IS NULL OR chosen = 'timescaledb' THEN
    RETURN;
  END IF;
  SELECT * INTO STRICT settings FROM collection_settings;
  horizon := now() + make_interval(days => settings.partition_premake_days + 1);
  SELECT coalesce(array_agg(DISTINCT (t AT TIME ZONE 'UTC')::date ORDER BY (t AT TIME ZONE 'UTC')::date), '{}') INTO raw_days
  FROM unnest(times) AS t WHERE t >= now() - make_interval(days => settings.raw_retention_days) AND t < horizon;
  SELECT coalesce(array_agg(DISTINCT date_trunc('month', t AT TIME ZONE 'UTC')::date ORDER BY date_trunc('month', t AT TIME ZONE 'UTC')::date), '{}') INTO rollup_months
  FROM unnest(times) AS t WHERE t >= now() - make_interval(days => settings.rollup_retention_days) AND t < horizon;
  IF cardinality(raw_days) = 0 AND cardinality(rollup_months) = 0 THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('mdc_maintain_partitions'));

  IF chosen = 'native' THEN
    FOREACH day IN ARRAY raw_days LOOP
      IF mdc_ensure_day_partition(day) THEN
        action := 'created'; partition_name := mdc_day_partition_name(day); RETURN NEXT;
      END IF;
    END LOOP;
    FOREACH day IN ARRAY rollup_months LOOP
      IF mdc_ensure_rollup_month_partition(day) THEN
        action := 'created'; partition_name := mdc_rollup_partition_name(day); RETURN NEXT;
      END IF;
    END LOOP;
  ELSE
    SELECT n.nspname, split_part(e.extversion, '.', 1)::int INTO STRICT partman_schema, partman_major
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman';
    -- pg_partman 4 analyzes the whole parent after creating by default; on a
    -- table of billions of rows that would stall the write that asked.
    IF cardinality(raw_days) > 0 THEN
      EXECUTE format('SELECT %I.create_partition_time(p_parent_table := $1, p_partition_times := $2%s)', partman_schema,
                     CASE WHEN partman_major < 5 THEN ', p_analyze := false' ELSE '' END)
        INTO created USING mdc_price_history_parent(), ARRAY(SELECT d::timestamp AT TIME ZONE 'UTC' FROM unnest(raw_days) AS d);
      IF created THEN
        action := 'pg_partman.create_partition_time'; partition_name := mdc_price_history_parent(); RETURN NEXT;
      END IF;
    END IF;
    IF cardinality(rollup_months) > 0 THEN
      EXECUTE format('SELECT %I.create_partition_time(p_parent_table := $1, p_partition_times := $2%s)', partman_schema,
                     CASE WHEN partman_major < 5 THEN ', p_analyze := false' ELSE '' END)
        INTO created USING mdc_price_history_parent() || '_1m', ARRAY(SELECT d::timestamp AT TIME ZONE 'UTC' FROM unnest(rollup_months) AS d);
      IF created THEN
        action := 'pg_partman.create_partition_time'; partition_name := mdc_price_history_parent() || '_1m'; RETURN NEXT;
      END IF;
    END IF;
  END IF;
END
$$;

-- Maintenance of both tiers; replaces 0005's version (same entry point, now
-- also for the rollup and running as the owner).
CREATE OR REPLACE FUNCTION mdc_run_partition_maintenance()
RETURNS TABLE (action text, partition_name text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET TimeZone = 'UTC' AS $$
DECLARE
  chosen text := (SELECT strategy FROM schema_partitioning WHERE table_name = 'price_change_rates');
  settings collection_settings;
  tier record;
  ext_schema text;
  current_drop_after text;
BEGIN
  IF chosen IS NULL THEN
    RAISE EXCEPTION 'price_change_rates has no partitioning strategy recorded' USING HINT = 'Run the migrations first (npm run migrate).';
  END IF;
  SELECT * INTO STRICT settings FROM collection_settings;

  IF chosen = 'native' THEN
    RETURN QUERY SELECT * FROM mdc_maintain_partitions(settings.partition_premake_days, settings.raw_retention_days);
    RETURN QUERY SELECT * FROM mdc_maintain_rollup_partitions(settings.rollup_retention_days);
    RETURN;
  END IF;

  FOR tier IN
    SELECT * FROM (VALUES ('price_change_rates', settings.raw_retention_days, settings.partition_premake_days),
                          ('price_change_rates_1m', settings.rollup_retention_days, 2)) AS t (table_name, retention_days, premake)
  LOOP
    IF chosen = 'pg_partman' THEN
      SELECT n.nspname INTO STRICT ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman';
      partition_name := (SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tier.table_name::regclass);
      EXECUTE format('UPDATE %I.part_config SET retention = $1, retention_keep_table = false, premake = $2 '
                     'WHERE parent_table = $3 AND (retention IS DISTINCT FROM $1 OR premake IS DISTINCT FROM $2 OR retention_keep_table)', ext_schema)
        USING tier.retention_days || ' days', tier.premake, partition_name;
      -- Only our partition sets: other sets in the database keep their own schedule.
      EXECUTE format('SELECT %I.run_maintenance(p_parent_table := $1, p_analyze := false)', ext_schema) USING partition_name;
      action := 'pg_partman.run_maintenance'; RETURN NEXT;

    ELSIF coalesce(current_setting('timescaledb.license', true), '') = 'apache' THEN
      -- The Apache-2 edition has no background policies: drop expired chunks here.
      EXECUTE 'SELECT count(*) FROM drop_chunks($1::regclass, older_than => $2)' USING tier.table_name, make_interval(days => tier.retention_days);
      action := 'timescaledb.drop_chunks'; partition_name := tier.table_name; RETURN NEXT;

    ELSE
      -- The retention policy runs in Timescale's scheduler; only follow a changed setting.
      EXECUTE 'SELECT config->>''drop_after'' FROM timescaledb_information.jobs '
              'WHERE proc_name = ''policy_retention'' AND hypertable_name = $1'
        INTO current_drop_after USING tier.table_name;
      IF current_drop_after IS NULL OR current_drop_after::interval <> make_interval(days => tier.retention_days) THEN
        EXECUTE 'SELECT remove_retention_policy($1::regclass, if_exists => true)' USING tier.table_name;
        EXECUTE 'SELECT add_retention_policy($1::regclass, drop_after => $2)' USING tier.table_name, make_interval(days => tier.retention_days);
        action := 'timescaledb.retention_policy'; partition_name := tier.table_name || ' ' || make_interval(days => tier.retention_days)::text; RETURN NEXT;
      END IF;
    END IF;
  END LOOP;
END
$$;

-- The minutes of the raw rows already stored (a deployment upgraded with
-- history): their month partitions first, then one aggregate pass.
SELECT count(*) FROM mdc_ensure_history_partitions(ARRAY(SELECT DISTINCT date_trunc('month', time) FROM price_change_rates));
INSERT INTO price_change_rates_1m (bucket, exchange, symbol, open, high, low, close, change_1m, change_5m, change_15m, flags, rows, open_time, close_time)
SELECT date_trunc('minute', time), exchange, symbol,
       (array_agg(price ORDER BY time))[1], max(price), min(price), (array_agg(price ORDER BY time DESC))[1],
       (array_agg(change_1m ORDER BY time DESC))[1], (array_agg(change_5m ORDER BY time DESC))[1], (array_agg(change_15m ORDER BY time DESC))[1],
       mdc_flags_union_agg(flags), count(*)::int, min(time), max(time)
FROM price_change_rates
WHERE time >= (SELECT rollup_cutoff FROM mdc_history_retention())
GROUP BY 1, 2, 3;
