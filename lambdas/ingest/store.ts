import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { classifyPgError } from '../../services/shared/db';
import { errorMessage } from '../../services/shared/errors';
import { encodeRatesCopy } from './copy';
import { IngestDatabaseError } from './errors';
import type { MergedBatch, RateRecord } from './merge';
import { partitionProbeTimes, RetentionCache, splitByRetention } from './retention';
import { buildStatusUpsert, RATES_COPY_SQL, RATES_INSERT_SQL, RATES_REPLACE_SQL, RATES_ROLLUP_LOCK_SQL, RATES_ROLLUP_RECOMPUTE_SQL, RATES_STAGE_SQL } from './sql';

export interface WriteResult {
  /** Rate rows inserted or replaced by a newer state. */
  rowsWritten: number;
  /** Of those, rows that replaced a stored state (their minutes were recomputed). */
  rowsReplaced: number;
  /** Rate rows refused before the write because they are older than raw retention (not stored, not failed). */
  rowsRefused: number;
  /** The raw retention cutoff the batch was checked against (epoch ms), when it had rate rows. */
  rawCutoffMs?: number;
  /** Status rows inserted or replaced by a newer snapshot. */
  statusesWritten: number;
}

export const emptyWriteResult = (): WriteResult => ({ rowsWritten: 0, rowsReplaced: 0, rowsRefused: 0, statusesWritten: 0 });

/**
 * Only refused data (SQLSTATE classes 22 and 23) would be refused again.
 * Everything else (refused, reset, timed out; shutdown; resources; deadlock;
 * 42P01 schema not migrated yet; rotated credentials) may pass on a later
 * delivery, so it is transient.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  return classifyPgError(error) !== 'constraint';
}

/** A row (raw or rollup) for a day or month whose partition does not exist yet. */
function isMissingPartition(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === '23514' && typeof e.message === 'string' && e.message.includes('no partition of relation');
}

/** Raw retention, per pool: a pool rebuilt after a credential rotation fetches its own. */
const retention = new RetentionCache<Pool>();

async function fetchRawCutoff(client: PoolClient): Promise<number> {
  const result = await client.query<{ raw_cutoff: Date }>('SELECT raw_cutoff FROM mdc_history_retention()');
  const cutoff = result.rows[0]?.raw_cutoff;
  // No settings row: nothing is outside retention (the migrations always create it).
  return cutoff instanceof Date ? cutoff.getTime() : Number.NEGATIVE_INFINITY;
}

interface RatesWrite {
  written: number;
  replaced: number;
}

/** COPY into the session's staging table, insert and merge the new rows, replace stored ones and recompute their minutes. */
async function writeRates(client: PoolClient, rates: readonly RateRecord[]): Promise<RatesWrite> {
  await pipeline(Readable.from(encodeRatesCopy(rates)), client.query(copyFrom(RATES_COPY_SQL)));
  const { inserted } = (await client.query<{ inserted: number }>(RATES_INSERT_SQL)).rows[0]!;
  // The usual batch is all new rows: nothing is stored under its keys, nothing to replace.
  if (inserted === rates.length) return { written: inserted, replaced: 0 };
  const replace = (await client.query<{ replaced: number; exchanges: string[]; symbols: string[]; buckets: Date[] }>(RATES_REPLACE_SQL)).rows[0]!;
  if (replace.buckets.length > 0) {
    // Two statements on purpose: see RATES_ROLLUP_LOCK_SQL in sql.ts.
    const keys = [replace.exchanges, replace.symbols, replace.buckets];
    await client.query(RATES_ROLLUP_LOCK_SQL, keys);
    await client.query(RATES_ROLLUP_RECOMPUTE_SQL, keys);
  }
  return { written: inserted + replace.replaced, replaced: replace.replaced };
}

/**
 * Writes the rows in one transaction: all of them are stored or none, so
 * "committed" is a clear line for which records may be acknowledged; the
 * rollup is maintained in the same transaction, so it is exact at every commit.
 */
async function writeInTransaction(client: PoolClient, rates: readonly RateRecord[], batch: MergedBatch): Promise<WriteResult> {
  // One round trip: the staging table exists from then on for this session (a
  // rolled-back transaction that created it takes it away again, hence every time).
  await client.query(rates.length > 0 ? `BEGIN; ${RATES_STAGE_SQL}` : 'BEGIN');
  const result = emptyWriteResult();
  if (rates.length > 0) {
    const write = await writeRates(client, rates);
    result.rowsWritten = write.written;
    result.rowsReplaced = write.replaced;
  }
  if (batch.statuses.length > 0) result.statusesWritten = (await client.query(buildStatusUpsert(batch.statuses))).rowCount ?? 0;
  await client.query('COMMIT');
  return result;
}

/**
 * Stores a merged batch: rate rows older than raw retention are refused first
 * (counted in the result, neither stored nor failed: redelivering them could
 * never store them), the rest and the status rows are written in one
 * transaction. When a row's day (or its rollup month) has no partition, the
 * partitions for the batch's days are created (mdc_ensure_history_partitions,
 * any day inside retention) and the write is tried once more. Throws
 * IngestDatabaseError, with `transient` set from the cause.
 */
export async function writeMerged(pool: Pool, batch: MergedBatch): Promise<WriteResult> {
  if (batch.rates.length === 0 && batch.statuses.length === 0) return emptyWriteResult();
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new IngestDatabaseError(`cannot connect to the database: ${errorMessage(error)}`, true, { cause: error });
  }
  let broken: unknown;
  try {
    let cutoff = batch.rates.length > 0 ? await retention.cutoff(pool, () => fetchRawCutoff(client)) : Number.NEGATIVE_INFINITY;
    let split = splitByRetention(batch.rates, cutoff);
    const attempt = async (): Promise<WriteResult> => {
      if (split.kept.length === 0 && batch.statuses.length === 0) return emptyWriteResult();
      return writeInTransaction(client, split.kept, batch);
    };
    let result: WriteResult;
    try {
      result = await attempt();
    } catch (error) {
      if (!isMissingPartition(error)) throw error;
      await client.query('ROLLBACK');
      // Retention may have changed, or maintenance just dropped the day: check
      // again, then create the partitions of the rows that remain, whatever their
      // day inside retention (maintenance only keeps a window around today).
      retention.invalidate(pool);
      cutoff = await retention.cutoff(pool, () => fetchRawCutoff(client));
      split = splitByRetention(batch.rates, cutoff);
      const probes = partitionProbeTimes(split.kept).map((ms) => new Date(ms).toISOString());
      await client.query('SELECT count(*) FROM mdc_ensure_history_partitions($1::timestamptz[])', [probes]);
      result = await attempt();
    }
    result.rowsRefused = split.refused.length;
    if (batch.rates.length > 0) result.rawCutoffMs = cutoff;
    return result;
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
