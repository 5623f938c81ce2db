-- Least privilege (docs/database.md "Roles"). The role migrations run as owns
-- every object and is used by migrate only (the RDS master user on AWS, `mdc`
-- locally). The functions connect as:
--   mdc_ingest  writes the history tiers and collection_status; calls the
--               partition and retention functions; nothing of the config
--   mdc_api     reads history and status, reads and writes the config tables;
--               cannot write history, change the schema or call maintenance
-- The roles are created NOLOGIN here; migrate gives them LOGIN and the
-- password of their Secrets Manager secret (services/shared/db/roles.ts). RDS
-- multi-user rotation alternates each with a `<role>_clone` login that it makes
-- a member of the role, so privileges granted to the role reach both.
--
-- Every later migration that adds a table, sequence or function grants it here
-- or decides not to; test/integration/db/roles.test.ts holds the access matrix
-- and fails on anything it does not list.

-- Roles belong to the whole server, so several databases of one server (the
-- test suite makes many at once) may create them concurrently.
DO $roles$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['mdc_ingest', 'mdc_api'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created by a concurrent migration of another database
      END;
    END IF;
  END LOOP;
END
$roles$;

-- Nobody but the roles below (and the owner) may connect or make temporary
-- tables; PostgreSQL grants both to PUBLIC by default.
DO $database$
BEGIN
  EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO mdc_api', current_database());
  -- Ingest COPYs each batch into a temporary table before merging it.
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO mdc_ingest', current_database());
  EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO mdc_ingest, mdc_api', current_schema());
END
$database$;

-- History and status: ingest writes (ON CONFLICT DO UPDATE reads the stored row,
-- hence SELECT), the API reads.
GRANT SELECT, INSERT, UPDATE ON price_change_rates, price_change_rates_1m, collection_status TO mdc_ingest;
GRANT SELECT ON price_change_rates, price_change_rates_1m, collection_status TO mdc_api;

-- Configuration: the API's alone. FOR UPDATE needs UPDATE; setval on the version
-- sequence (reconciliation after a restore) needs UPDATE on it.
GRANT SELECT, INSERT, UPDATE, DELETE ON collection_config TO mdc_api;
GRANT SELECT, UPDATE ON collection_settings, config_state, trading_pairs TO mdc_api;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE config_version_seq TO mdc_api;
GRANT SELECT ON schema_partitioning TO mdc_api;

-- Functions: PostgreSQL lets PUBLIC execute every new function. Take that away
-- from the project's functions, and from those the owner creates later.
DO $functions$
DECLARE
  routine record;
BEGIN
  FOR routine IN
    SELECT p.oid::regprocedure AS signature, p.prokind
    FROM pg_proc p
    WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'mdc\_%'
  LOOP
    EXECUTE format('REVOKE EXECUTE ON %s %s FROM PUBLIC', CASE routine.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, routine.signature);
  END LOOP;
END
$functions$;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- SECURITY DEFINER (0010): they create and drop partitions as the owner.
GRANT EXECUTE ON FUNCTION mdc_ensure_history_partitions(timestamptz[]), mdc_run_partition_maintenance(), mdc_history_retention() TO mdc_ingest;
-- The rollup merge unions flag sets.
GRANT EXECUTE ON FUNCTION mdc_flags_union(text[], text[]), mdc_flags_union_agg(text[]) TO mdc_ingest;
GRANT EXECUTE ON FUNCTION mdc_history_retention() TO mdc_api;
