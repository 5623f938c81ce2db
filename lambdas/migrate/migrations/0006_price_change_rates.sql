-- supersedes-checksum: c49c13199e45816639a060d25902fc8716ac2c4aedd3548ee3142e4cc6db63a7
--   That revision tried CREATE EXTENSION timescaledb whenever the package was
--   installed; where it is installed but not preloaded, TimescaleDB's loader
--   raises FATAL and the connection dies. Where that revision succeeded, this
--   one makes the same decision, so those databases need nothing re-applied.
-- Rate history, partitioned by time. Which mechanism is decided here, on the
-- server the migration runs on, so one set of files serves all platforms:
--   (a) TimescaleDB usable        -> hypertable, 1-day chunks, compression and retention policies
--   (b) else pg_partman available -> native daily partitions managed by pg_partman (Amazon RDS)
--   (c) else                      -> native daily partitions managed by mdc_maintain_partitions
-- mdc.partitioning (a custom setting: ALTER DATABASE ... SET mdc.partitioning = 'native')
-- forces a choice. See docs/database.md.
--
-- Indexes: the primary key (exchange, symbol, time) serves both query shapes the
-- API needs, "a symbol's range by time" (equality on the first two columns, range
-- on the third) and "latest per symbol" (the same index read backwards with
-- LIMIT 1), so no further index is created: each one would slow every insert.

-- TimescaleDB works only when its library is preloaded: CREATE EXTENSION on a
-- server where it is installed but not in shared_preload_libraries (the state
-- right after installing the package) makes its loader raise FATAL, which ends
-- the session, and no exception handler can catch that. So decide from the
-- setting before trying. A pure function, so it is testable without TimescaleDB.
CREATE FUNCTION mdc_timescaledb_usable(installed boolean, created boolean, shared_preload_libraries text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT installed AND (created OR 'timescaledb' = ANY (
    SELECT btrim(library, ' "') FROM unnest(string_to_array(coalesce(shared_preload_libraries, ''), ',')) AS library))
$$;

-- pg_partman computes day boundaries in the session time zone; keep them in UTC.
SET LOCAL TimeZone = 'UTC';

DO $migration$
DECLARE
  requested text := current_setting('mdc.partitioning', true);
  timescaledb_installed boolean := EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb');
  timescaledb_available boolean := mdc_timescaledb_usable(timescaledb_installed,
    EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'), current_setting('shared_preload_libraries', true));
  pg_partman_available boolean := EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman');
  chosen text;
  reason text;
  settings collection_settings;
  partman_schema text;
  partman_version text;
  parent text;
  columns constant text := $columns$
    time         timestamptz      NOT NULL,
    exchange     text             NOT NULL,
    symbol       text             NOT NULL,
    price        numeric          NOT NULL,
    change_1m    double precision NULL,
    change_5m    double precision NULL,
    change_15m   double precision NULL,
    flags        text[]           NOT NULL DEFAULT '{}',
    -- When the stored state was evaluated; the ingest upsert replaces a row only
    -- with a newer evaluation, so redeliveries and retries never go backwards.
    evaluated_at timestamptz      NOT NULL,
    CONSTRAINT price_change_rates_pkey PRIMARY KEY (exchange, symbol, time),
    CONSTRAINT price_change_rates_price_positive CHECK (price > 0),
    CONSTRAINT price_change_rates_symbol_format CHECK (symbol ~ '^[A-Z0-9]{2,20}$'),
    CONSTRAINT price_change_rates_exchange_format CHECK (exchange ~ '^[a-z0-9]{2,20}$')
  $columns$;
BEGIN
  SELECT * INTO STRICT settings FROM collection_settings;
  chosen := mdc_choose_partitioning(requested, timescaledb_available, pg_partman_available);
  reason := CASE
    WHEN coalesce(nullif(requested, ''), 'auto') <> 'auto' THEN 'forced by mdc.partitioning = ' || requested
    WHEN chosen = 'timescaledb' THEN 'timescaledb extension available'
    WHEN chosen = 'pg_partman' AND timescaledb_installed THEN 'pg_partman available; timescaledb installed but not in shared_preload_libraries'
    WHEN chosen = 'native' AND timescaledb_installed THEN 'timescaledb installed but not in shared_preload_libraries, pg_partman not available'
    WHEN chosen = 'pg_partman' THEN 'pg_partman available, timescaledb not'
    ELSE 'neither timescaledb nor pg_partman available'
  END;

  IF chosen = 'timescaledb' THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS timescaledb;
    EXCEPTION WHEN OTHERS THEN
      -- Installed but not in shared_preload_libraries (or not permitted): fall
      -- back unless TimescaleDB was explicitly requested.
      IF requested = 'timescaledb' THEN RAISE; END IF;
      reason := 'timescaledb available but CREATE EXTENSION failed (' || SQLERRM || ')';
      chosen := mdc_choose_partitioning(requested, false, pg_partman_available);
    END;
  END IF;

  IF chosen = 'timescaledb' THEN
    -- Written from Timescale's documentation (2.x); not exercised by this
    -- project's tests, which run without TimescaleDB. The pre-2.13 signature of
    -- create_hypertable and the compression API (superseded by hypercore in
    -- 2.18 but still supported) work across all 2.x releases.
    EXECUTE format('CREATE TABLE price_change_rates (%s)', columns);
    PERFORM create_hypertable('price_change_rates', 'time',
      chunk_time_interval => INTERVAL '1 day', create_default_indexes => false);
    IF coalesce(current_setting('timescaledb.license', true), '') = 'apache' THEN
      -- Compression and policies are Community-edition features; retention then
      -- runs through mdc_run_partition_maintenance (drop_chunks).
      reason := reason || '; Apache-2 edition: no compression, retention by drop_chunks';
    ELSE
      EXECUTE 'ALTER TABLE price_change_rates SET (timescaledb.compress, '
              'timescaledb.compress_segmentby = ''exchange, symbol'', timescaledb.compress_orderby = ''time DESC'')';
      PERFORM add_compression_policy('price_change_rates', compress_after => INTERVAL '7 days', if_not_exists => true);
      PERFORM add_retention_policy('price_change_rates', drop_after => make_interval(days => settings.retention_days), if_not_exists => true);
    END IF;

  ELSE
    EXECUTE format('CREATE TABLE price_change_rates (%s) PARTITION BY RANGE (time)', columns);
    parent := mdc_price_history_parent();

    IF chosen = 'pg_partman' THEN
      IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_partman') THEN
        CREATE SCHEMA IF NOT EXISTS partman;
        CREATE EXTENSION pg_partman SCHEMA partman;
      END IF;
      SELECT n.nspname, e.extversion INTO STRICT partman_schema, partman_version
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman';

      IF split_part(partman_version, '.', 1)::int >= 5 THEN
        -- pg_partman 5 (Amazon RDS on recent engines): 'range' with an interval,
        -- and the default partition can be declined.
        EXECUTE format('SELECT %I.create_parent(p_parent_table := $1, p_control := ''time'', p_interval := ''1 day'', '
                       'p_type := ''range'', p_premake := $2, p_default_table := false)', partman_schema)
          USING parent, settings.partition_premake_days;
      ELSE
        -- pg_partman 4.x (Debian's postgresql-15-partman): 'native' with 'daily';
        -- it always creates a default partition, dropped for the reason given at
        -- mdc_maintain_partitions. 4.x maintenance works without it.
        EXECUTE format('SELECT %I.create_parent(p_parent_table := $1, p_control := ''time'', p_type := ''native'', '
                       'p_interval := ''daily'', p_premake := $2)', partman_schema)
          USING parent, settings.partition_premake_days;
        EXECUTE format('DROP TABLE IF EXISTS %s', parent || '_default');
      END IF;
      -- infinite_time_partitions: keep creating days ahead even while no rows
      -- arrive, so a collector outage never leaves today without a partition.
      EXECUTE format('UPDATE %I.part_config SET retention = $1, retention_keep_table = false, '
                     'infinite_time_partitions = true WHERE parent_table = $2', partman_schema)
        USING settings.retention_days || ' days', parent;
      reason := reason || ' (pg_partman ' || partman_version || ')';
    ELSE
      PERFORM mdc_maintain_partitions(settings.partition_premake_days, settings.retention_days);
    END IF;
  END IF;

  INSERT INTO schema_partitioning (table_name, strategy, reason) VALUES ('price_change_rates', chosen, reason);
  RAISE NOTICE 'price_change_rates: % partitioning (%)', chosen, reason;
END
$migration$;
