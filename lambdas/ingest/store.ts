import type { Pool, PoolClient } from 'pg';
import { classifyPgError } from '../../services/shared/db';
import { errorMessage } from '../../services/shared/errors';
import { IngestDatabaseError } from './errors';
import type { MergedBatch } from './merge';
import { buildRatesUpsert, buildStatusUpsert } from './sql';

export interface WriteResult {
  /** Rate rows inserted or replaced by a newer state. */
  rowsWritten: number;
  /** Status rows inserted or replaced by a newer snapshot. */
  statusesWritten: number;
}

/**
 * Only refused data (SQLSTATE classes 22 and 23) would be refused again.
 * Everything else (refused, reset, timed out; shutdown; resources; deadlock;
 * 42P01 schema not migrated yet; rotated credentials) may pass on a later
 * delivery, so it is transient.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  return classifyPgError(error) !== 'constraint';
}

/** A row for a day whose partition does not exist yet (maintenance fell behind). */
function isMissingPartition(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === '23514' && typeof e.message === 'string' && e.message.includes('no partition of relation');
}

/**
 * Writes the merged batch in one transaction: all of it is stored or none, so
 * "committed" is a clear line for which records may be acknowledged. Throws
 * IngestDatabaseError, with `transient` set from the cause.
 */
async function writeInTransaction(client: PoolClient, batch: MergedBatch): Promise<WriteResult> {
  await client.query('BEGIN');
  let rowsWritten = 0;
  let statusesWritten = 0;
  if (batch.rates.length > 0) rowsWritten = (await client.query(buildRatesUpsert(batch.rates))).rowCount ?? 0;
  if (batch.statuses.length > 0) statusesWritten = (await client.query(buildStatusUpsert(batch.statuses))).rowCount ?? 0;
  await client.query('COMMIT');
  return { rowsWritten, statusesWritten };
}

export async function writeMerged(pool: Pool, batch: MergedBatch): Promise<WriteResult> {
  if (batch.rates.length === 0 && batch.statuses.length === 0) return { rowsWritten: 0, statusesWritten: 0 };
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new IngestDatabaseError(`cannot connect to the database: ${errorMessage(error)}`, true, { cause: error });
  }
  let broken: unknown;
  try {
    try {
      return await writeInTransaction(client, batch);
    } catch (error) {
      if (!isMissingPartition(error)) throw error;
      // Partition maintenance (pg_cron, or nothing on a server without it) fell behind:
      // create the partitions now and write again, instead of sending the batch to the DLQ.
      await client.query('ROLLBACK');
      await client.query('SELECT mdc_run_partition_maintenance()');
      return await writeInTransaction(client, batch);
    }
  } catch (error) {
    const transient = isTransientDatabaseError(error);
    // A connection that failed mid-transaction is discarded, not returned to the pool half-open.
    if (transient) broken = error;
    else await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
    throw new IngestDatabaseError(`writing the batch failed: ${errorMessage(error)}`, transient, { cause: error });
  } finally {
    client.release(broken !== undefined);
  }
}
