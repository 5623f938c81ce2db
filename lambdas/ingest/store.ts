import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { classifyPgError } from '../../services/shared/db';
import { errorMessage } from '../../services/shared/errors';
import { rateCopyChunks } from './copy';
import { IngestDatabaseError } from './errors';
import type { MergedBatch, RateRecord } from './merge';
import { closedDayKeys, partitionProbeTimes, RetentionCache, splitByRetention } from './retention';
import { aggregateMinutes, type MinuteRecord } from './rollup';
import {
  buildStatusUpsert,
  INVALIDATE_DAY_FILES_SQL,
  RATES_COPY_SQL,
  RATES_DIRECT_COPY_SQL,
  ROLLUP_MINUTES_MERGE_SQL,
  RATES_INSERT_SQL,
  RATES_REPLACE_SQL,
  RATES_ROLLUP_LOCK_SQL,
  RATES_ROLLUP_RECOMPUTE_SQL,
  RATES_STAGE_SQL,
} from './sql';

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

async function copyRows(client: PoolClient, sql: string, rates: readonly RateRecord[]): Promise<void> {
  await pipeline(Readable.from(rateCopyChunks(rates)), client.query(copyFrom(sql)));
}

/** A COPY row whose key is already stored (or being stored by a concurrent batch that then committed). */
const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '23505';

const isoOf = (ms: number): string => new Date(ms).toISOString();

/** Minutes aggregated client-side merged into the rollup (ROLLUP_MINUTES_MERGE_SQL). */
async function mergeMinutes(client: PoolClient, minutes: readonly MinuteRecord[]): Promise<void> {
  if (minutes.length === 0) return;
  await client.query(ROLLUP_MINUTES_MERGE_SQL, [
    minutes.map((m) => isoOf(m.bucket)),
    minutes.map((m) => m.exchange),
    minutes.map((m) => m.symbol),
    minutes.map((m) => m.open),
    minutes.map((m) => m.high),
    minutes.map((m) => m.low),
    minutes.map((m) => m.close),
    minutes.map((m) => m.change1m),
    minutes.map((m) => m.change5m),
    minutes.map((m) => m.change15m),
    minutes.map((m) => m.flags.join(',')),
    minutes.map((m) => m.rows),
    minutes.map((m) => isoOf(m.openTime)),
    minutes.map((m) => isoOf(m.closeTime)),
  ]);
}

/**
 * Through the staging table: insert the new rows and merge them into their
 * minutes, replace stored ones of lower precedence and recompute their minutes.
 */
async function writeRatesStaged(client: PoolClient, rates: readonly RateRecord[]): Promise<RatesWrite> {
  await copyRows(client, RATES_COPY_SQL, rates);
  const { inserted } = (await client.query<{ inserted: number }>(RATES_INSERT_SQL)).rows[0]!;
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
 *
 * First optimistically: COPY straight into price_change_rates, then merge the
 * batch's minutes aggregated here. The usual batch (new intervals) is then
 * stored with about the work of a bare COPY. If any key is already stored (a
 * redelivery, a second collector on the symbol, a late-trade rewrite) the COPY
 * fails and the transaction is started again through the staging table, which
 * applies the precedence rule row by row.
 */
async function writeInTransaction(client: PoolClient, rates: readonly RateRecord[], batch: MergedBatch): Promise<WriteResult> {
  await client.query('BEGIN');
  const result = emptyWriteResult();
  if (rates.length > 0) {
    let direct = true;
    try {
      await copyRows(client, RATES_DIRECT_COPY_SQL, rates);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      direct = false;
    }
    if (direct) {
      await mergeMinutes(client, aggregateMinutes(rates));
      result.rowsWritten = rates.length;
    } else {
      // The staging table is created in this transaction if this session has none
      // (a rolled-back transaction that created it takes it away again, hence every time).
      await client.query(`ROLLBACK; BEGIN; ${RATES_STAGE_SQL}`);
      const write = await writeRatesStaged(client, rates);
      result.rowsWritten = write.written;
      result.rowsReplaced = write.replaced;
    }
  }
  if (batch.statuses.length > 0) result.statusesWritten = (await client.query(buildStatusUpsert(batch.statuses))).rowCount ?? 0;
  const closed = closedDayKeys(rates, Date.now());
  if (closed.days.length > 0) await client.query(INVALIDATE_DAY_FILES_SQL, [closed.exchanges, closed.symbols, closed.days]);
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
