-- How price_change_rates is partitioned was decided when its migration ran
-- (0006); recording the decision lets maintenance, operators and tests read it
-- instead of re-deriving it from catalogs that differ per platform.
CREATE TABLE schema_partitioning (
  table_name text        PRIMARY KEY,
  strategy   text        NOT NULL CHECK (strategy IN ('timescaledb', 'pg_partman', 'native')),
  reason     text        NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now()
);

-- The decision alone, as a pure function, so it can be tested on a server that
-- lacks TimescaleDB. `requested` is the custom setting mdc.partitioning
-- (auto | timescaledb | pg_partman | native); a forced choice that is not
-- available stops the migration instead of silently picking something else.
CREATE FUNCTION mdc_choose_partitioning(requested text, timescaledb_available boolean, pg_partman_available boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  CASE coalesce(nullif(requested, ''), 'auto')
    WHEN 'auto' THEN
      IF timescaledb_available THEN RETURN 'timescaledb'; END IF;
      IF pg_partman_available THEN RETURN 'pg_partman'; END IF;
      RETURN 'native';
    WHEN 'timescaledb' THEN
      IF NOT timescaledb_available THEN
        RAISE EXCEPTION 'mdc.partitioning = timescaledb, but the timescaledb extension is not usable on this server'
          USING HINT = 'Install TimescaleDB (and add it to shared_preload_libraries), or unset mdc.partitioning to choose automatically.';
      END IF;
      RETURN 'timescaledb';
    WHEN 'pg_partman' THEN
      IF NOT pg_partman_available THEN
        RAISE EXCEPTION 'mdc.partitioning = pg_partman, but the pg_partman extension is not available on this server'
          USING HINT = 'Install pg_partman (Debian: postgresql-<major>-partman), or unset mdc.partitioning to choose automatically.';
      END IF;
      RETURN 'pg_partman';
    WHEN 'native' THEN
      RETURN 'native';
    ELSE
      RAISE EXCEPTION 'mdc.partitioning = % is not one of auto, timescaledb, pg_partman, native', requested
        USING HINT = 'Fix the value with ALTER DATABASE ... SET mdc.partitioning, or RESET it.';
  END CASE;
END
$$;

-- price_change_rates as partman expects it: schema-qualified, unquoted.
CREATE FUNCTION mdc_price_history_parent() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT n.nspname || '.' || c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = to_regclass('price_change_rates')
$$;

CREATE FUNCTION mdc_day_partition_name(day date) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'price_change_rates_p' || to_char(day, 'YYYYMMDD')
$$;

-- One partition per UTC day, [day 00:00 UTC, next day 00:00 UTC), in the parent's
-- schema. Returns false when it already exists.
CREATE FUNCTION mdc_ensure_day_partition(day date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  parent_schema text := (SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = 'price_change_rates'::regclass);
  partition_name text := mdc_day_partition_name(day);
BEGIN
  IF to_regclass(format('%s.%I', parent_schema, partition_name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %s.%I PARTITION OF price_change_rates FOR VALUES FROM (%L) TO (%L)',
    parent_schema, partition_name,
    day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
  RETURN true;
END
$$;

-- Project-managed partitions (no TimescaleDB, no pg_partman): creates yesterday's
-- (late rows around midnight), today's and premake_days ahead, and drops day
-- partitions whose whole day is older than retention_days. There is no default
-- partition on purpose: rows outside every partition would pile up in it, and
-- PostgreSQL then refuses to create a partition whose range holds such rows, so
-- a default would turn "maintenance did not run" into "maintenance cannot run".
-- Without one, such an insert fails loudly and SQS redelivers it once the
-- partition exists. Only partitions named by mdc_day_partition_name are touched.
CREATE FUNCTION mdc_maintain_partitions(premake_days integer, retention_days integer)
RETURNS TABLE (action text, partition_name text) LANGUAGE plpgsql AS $$
DECLARE
  today date := (now() AT TIME ZONE 'UTC')::date;
  cutoff timestamptz := now() - make_interval(days => retention_days);
  day date;
  old record;
BEGIN
  IF premake_days < 0 OR retention_days < 1 THEN
    RAISE EXCEPTION 'mdc_maintain_partitions(premake_days => %, retention_days => %): premake must be >= 0 and retention >= 1', premake_days, retention_days;
  END IF;
  -- Ingest Lambdas and schedules may run this at the same time; CREATE TABLE
  -- IF NOT EXISTS alone still races on the catalog, so serialize.
  PERFORM pg_advisory_xact_lock(hashtext('mdc_maintain_partitions'));

  FOR day IN SELECT d::date FROM generate_series(today - 1, today + premake_days, interval '1 day') AS d LOOP
    IF mdc_ensure_day_partition(day) THEN
      action := 'created'; partition_name := mdc_day_partition_name(day); RETURN NEXT;
    END IF;
  END LOOP;

  FOR old IN
    SELECT c.oid::regclass AS rel, c.relname::text AS relname, to_date(substring(c.relname FROM '_p(\d{8})$'), 'YYYYMMDD') AS day
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'price_change_rates'::regclass AND c.relname ~ '^price_change_rates_p\d{8}$'
    ORDER BY 3
  LOOP
    IF ((old.day + 1)::timestamp AT TIME ZONE 'UTC') <= cutoff THEN
      EXECUTE format('DROP TABLE %s', old.rel);
      action := 'dropped'; partition_name := old.relname; RETURN NEXT;
    END IF;
  END LOOP;
END
$$;

-- The one maintenance entry point for every strategy, reading retention and
-- premake from collection_settings so a changed setting takes effect on the next
-- run. Called by runPartitionMaintenance (services/shared/db) after migrations and
-- from a schedule; on RDS it can equally be scheduled with pg_cron. Day
-- boundaries are UTC whatever the caller's session time zone.
CREATE FUNCTION mdc_run_partition_maintenance()
RETURNS TABLE (action text, partition_name text) LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
DECLARE
  chosen text := (SELECT strategy FROM schema_partitioning WHERE table_name = 'price_change_rates');
  settings collection_settings;
  retention interval;
  ext_schema text;
  parent text;
  current_drop_after text;
BEGIN
  IF chosen IS NULL THEN
    RAISE EXCEPTION 'price_change_rates has no partitioning strategy recorded' USING HINT = 'Run the migrations first (npm run migrate).';
  END IF;
  SELECT * INTO STRICT settings FROM collection_settings;
  retention := make_interval(days => settings.retention_days);

  IF chosen = 'native' THEN
    RETURN QUERY SELECT * FROM mdc_maintain_partitions(settings.partition_premake_days, settings.retention_days);

  ELSIF chosen = 'pg_partman' THEN
    SELECT n.nspname INTO STRICT ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman';
    parent := mdc_price_history_parent();
    EXECUTE format('UPDATE %I.part_config SET retention = $1, retention_keep_table = false, premake = $2 '
                   'WHERE parent_table = $3 AND (retention IS DISTINCT FROM $1 OR premake IS DISTINCT FROM $2 OR retention_keep_table)', ext_schema)
      USING settings.retention_days || ' days', settings.partition_premake_days, parent;
    -- Only our partition set: other sets in the database keep their own schedule.
    EXECUTE format('SELECT %I.run_maintenance(p_parent_table := $1, p_analyze := false)', ext_schema) USING parent;
    action := 'pg_partman.run_maintenance'; partition_name := parent; RETURN NEXT;

  ELSIF chosen = 'timescaledb' THEN
    IF coalesce(current_setting('timescaledb.license', true), '') = 'apache' THEN
      -- The Apache-2 edition has no background policies: drop expired chunks here.
      EXECUTE 'SELECT count(*) FROM drop_chunks(''price_change_rates'', older_than => $1)' USING retention;
      action := 'timescaledb.drop_chunks'; partition_name := 'price_change_rates'; RETURN NEXT;
    ELSE
      -- The retention policy runs in Timescale's scheduler; only follow a changed setting.
      EXECUTE 'SELECT config->>''drop_after'' FROM timescaledb_information.jobs '
              'WHERE proc_name = ''policy_retention'' AND hypertable_name = ''price_change_rates'''
        INTO current_drop_after;
      IF current_drop_after IS NULL OR current_drop_after::interval <> retention THEN
        EXECUTE 'SELECT remove_retention_policy(''price_change_rates'', if_exists => true)';
        EXECUTE 'SELECT add_retention_policy(''price_change_rates'', drop_after => $1)' USING retention;
        action := 'timescaledb.retention_policy'; partition_name := retention::text; RETURN NEXT;
      END IF;
    END IF;
  END IF;
END
$$;
