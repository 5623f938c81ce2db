-- Hourly partition maintenance (new days ahead, retention) through pg_cron where
-- the server offers it: Amazon RDS with the stack's parameter group preloads
-- pg_cron with cron.database_name = this database. Elsewhere nothing is
-- scheduled here: TimescaleDB runs its own policies, and the ingest Lambda runs
-- mdc_run_partition_maintenance() itself when a row finds no partition.
DO $schedule$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron')
     AND current_setting('cron.database_name', true) = current_database() THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_cron;
      -- cron.schedule with a job name replaces an existing job of that name.
      PERFORM cron.schedule('mdc-partition-maintenance', '17 * * * *', 'SELECT mdc_run_partition_maintenance()');
    EXCEPTION WHEN OTHERS THEN
      -- pg_cron listed but not loaded (not in shared_preload_libraries): say so and
      -- rely on the ingest fallback rather than failing the deploy.
      RAISE WARNING 'pg_cron is available but scheduling partition maintenance failed: %', SQLERRM;
    END;
  END IF;
END
$schedule$;
