import type { Pool } from 'pg';
import { CollectorError } from '../errors';
import type { Logger } from '../logger';
import { openDatabase, type DatabaseTarget } from './connection';

/** The schema has no partition maintenance yet: the migrations have not run. */
export class PartitionMaintenanceUnavailableError extends CollectorError {
  constructor(message: string) {
    super('PARTITION_MAINTENANCE_UNAVAILABLE', message);
  }
}

export type PartitioningStrategy = 'timescaledb' | 'pg_partman' | 'native';

export interface PartitionMaintenanceResult {
  strategy: PartitioningStrategy;
  /** What maintenance did, e.g. { action: 'created', partition: 'price_change_rates_p20250102' }. */
  actions: Array<{ action: string; partition: string }>;
}

/**
 * Runs mdc_run_partition_maintenance() on a pool; undefined when the schema does
 * not have it yet (a database migrated only part way, or another schema).
 */
export async function runPartitionMaintenanceOn(pool: Pool, logger: Logger): Promise<PartitionMaintenanceResult | undefined> {
  const { rows: present } = await pool.query<{ ready: boolean }>(
    "SELECT to_regprocedure('mdc_run_partition_maintenance()') IS NOT NULL AND to_regclass('price_change_rates') IS NOT NULL AS ready",
  );
  if (!present[0]?.ready) return undefined;
  const { rows: strategy } = await pool.query<{ strategy: PartitioningStrategy; reason: string }>(
    "SELECT strategy, reason FROM schema_partitioning WHERE table_name = 'price_change_rates'",
  );
  const { rows } = await pool.query<{ action: string; partition_name: string }>('SELECT action, partition_name FROM mdc_run_partition_maintenance()');
  const result: PartitionMaintenanceResult = {
    strategy: strategy[0]!.strategy,
    actions: rows.map((row) => ({ action: row.action, partition: row.partition_name })),
  };
  // The reason says, among others, why TimescaleDB was not used where it is installed.
  logger.info('partition maintenance done', { strategy: result.strategy, reason: strategy[0]!.reason, actions: result.actions });
  return result;
}

/**
 * Creates upcoming partitions and applies retention to price_change_rates, by
 * whichever strategy the migration chose. Safe to call often and concurrently
 * (the SQL side serializes); the ingest Lambda or an hourly schedule calls it.
 */
export async function runPartitionMaintenance(target: DatabaseTarget): Promise<PartitionMaintenanceResult> {
  const db = openDatabase(target, 'partition-maintenance');
  try {
    const result = await runPartitionMaintenanceOn(db.pool, db.logger);
    if (!result) {
      throw new PartitionMaintenanceUnavailableError('price_change_rates or mdc_run_partition_maintenance() is missing; run the migrations first (npm run migrate)');
    }
    return result;
  } finally {
    await db.close();
  }
}
