import { Client } from 'pg';
import { DAY_FILE_BYTES_PER_BAR, historySizing, RAW_BYTES_PER_ROW, ROLLUP_BYTES_PER_ROW, DEFAULT_RAW_RETENTION_DAYS, DEFAULT_ROLLUP_RETENTION_DAYS, DEFAULT_MAX_ALLOCATED_STORAGE_GIB } from '../../lib/sizing';
import { runMigrations } from '../../services/shared/db';
import { createLogger } from '../../services/shared/logger';
import { createTestDatabase } from '../support';
import type { BenchResult } from './run';

/**
 * Bytes per stored row of both history tiers on this server (heap, TOAST and
 * the primary key, after VACUUM), from rows shaped like the collector's: 200
 * symbols, 8-decimal prices, three changes, a flag on every 50th symbol. The
 * sizing table of docs/database.md and lib/sizing.ts come from these figures.
 */
const SYMBOLS = 200;
const RAW_SECONDS = 1_800;
const ROLLUP_MINUTES = 1_440;

async function bytesPerRow(client: Client, parent: string): Promise<{ rows: number; bytes: number; perRow: number }> {
  const { rows } = await client.query<{ bytes: string; rows: string }>(
    `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes, (SELECT count(*) FROM ${parent})::text AS rows
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '${parent}'::regclass`,
  );
  const bytes = Number(rows[0]!.bytes);
  const count = Number(rows[0]!.rows);
  return { rows: count, bytes, perRow: bytes / count };
}

export default async function runStorageBench(): Promise<BenchResult> {
  const db = await createTestDatabase('mdc_bench_storage');
  const client = new Client({ connectionString: db.url });
  try {
    await client.connect();
    await client.query(`ALTER DATABASE "${db.name}" SET mdc.partitioning = 'native'`);
    await runMigrations({ databaseUrl: db.url, logger: createLogger({ serviceName: 'storage-bench', logLevel: 'SILENT' }) });
    // Rows in the current hour's past, so they fall in partitions the migration made.
    await client.query(`
      INSERT INTO price_change_rates (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at)
      SELECT date_trunc('second', now()) - make_interval(secs => s), 'binance', 'S' || lpad(i::text, 4, '0') || 'USDT',
             round((0.0001 + random() * 50000)::numeric, 8), random() * 2 - 1, random() * 4 - 2, random() * 6 - 3,
             CASE WHEN i % 50 = 0 THEN '{backfilled}'::text[] ELSE '{}' END, date_trunc('second', now()) - make_interval(secs => s) + interval '999 ms'
      FROM generate_series(1, ${RAW_SECONDS}) s, generate_series(1, ${SYMBOLS}) i
      WHERE date_trunc('second', now()) - make_interval(secs => s) >= date_trunc('day', now()) - interval '1 day'`);
    await client.query(`
      INSERT INTO price_change_rates_1m (bucket, exchange, symbol, open, high, low, close, change_1m, change_5m, change_15m, flags, rows, open_time, close_time)
      SELECT b, 'binance', 'S' || lpad(i::text, 4, '0') || 'USDT', p, p * 1.01, p * 0.99, p * 1.001, random(), random(), random(),
             CASE WHEN i % 50 = 0 THEN '{backfilled}'::text[] ELSE '{}' END, 60, b, b + interval '59 s'
      FROM generate_series(1, ${ROLLUP_MINUTES}) m, generate_series(1, ${SYMBOLS}) i,
           LATERAL (SELECT date_trunc('minute', now()) - make_interval(mins => m) AS b, round((0.0001 + random() * 50000)::numeric, 8) AS p) x
      WHERE b >= date_trunc('month', now()) - interval '1 month'`);
    await client.query('VACUUM ANALYZE price_change_rates');
    await client.query('VACUUM ANALYZE price_change_rates_1m');
    const raw = await bytesPerRow(client, 'price_change_rates');
    const rollup = await bytesPerRow(client, 'price_change_rates_1m');
    // Day files (0012) of the closed days the rollup rows fall in, as the API builds them on a read.
    await client.query(`
      SELECT count(*) FROM (SELECT DISTINCT symbol FROM price_change_rates_1m) s,
        LATERAL mdc_minute_bar_days('binance', s.symbol, ARRAY(SELECT DISTINCT (bucket AT TIME ZONE 'UTC')::date FROM price_change_rates_1m WHERE symbol = s.symbol)) f`);
    await client.query('VACUUM ANALYZE price_change_rates_1m_days');
    const dayFiles = (await client.query<{ bytes: string; bars: string; files: string }>(
      `SELECT pg_total_relation_size('price_change_rates_1m_days')::text AS bytes, coalesce(sum(bars), 0)::text AS bars, count(*)::text AS files FROM price_change_rates_1m_days`,
    )).rows[0]!;
    const dayFileBars = Number(dayFiles.bars);
    const dayFileBytesPerBar = dayFileBars > 0 ? Number(dayFiles.bytes) / dayFileBars : undefined;

    const gb = (bytes: number) => (bytes / 1e9).toFixed(1);
    const table = ['| symbols | raw rows/day | raw GB/day | rollup rows/day | rollup GB/day | needed at 7 d raw + 730 d rollup (GiB, with 25 % headroom) |', '| --- | --- | --- | --- | --- | --- |'];
    for (const symbols of [200, 1_500, 5_000]) {
      const s = historySizing({ symbols, rawRetentionDays: DEFAULT_RAW_RETENTION_DAYS, rollupRetentionDays: DEFAULT_ROLLUP_RETENTION_DAYS, rawBytesPerRow: raw.perRow, rollupBytesPerRow: rollup.perRow });
      table.push(
        `| ${symbols.toLocaleString('en-US')} | ${(s.rawRowsPerDay / 1e6).toFixed(1)} M | ${gb(s.rawRowsPerDay * raw.perRow)} | ${(s.rollupRowsPerDay / 1e6).toFixed(2)} M | ${gb(s.rollupRowsPerDay * rollup.perRow)} | ${Math.round(s.requiredGiB)} |`,
      );
    }
    return {
      name: 'storage',
      tables: table,
      metrics: {
        rawRowsMeasured: raw.rows,
        rawBytesPerRow: Number(raw.perRow.toFixed(1)),
        rollupRowsMeasured: rollup.rows,
        rollupBytesPerRow: Number(rollup.perRow.toFixed(1)),
        rawBytesPerRowInSizing: RAW_BYTES_PER_ROW,
        rollupBytesPerRowInSizing: ROLLUP_BYTES_PER_ROW,
        dayFilesMeasured: Number(dayFiles.files),
        dayFileBarsMeasured: dayFileBars,
        // Undefined when no day had closed an hour ago inside the generated minutes (a run just after midnight UTC).
        ...(dayFileBytesPerBar === undefined ? {} : { dayFileBytesPerBar: Number(dayFileBytesPerBar.toFixed(1)) }),
        dayFileBytesPerBarInSizing: DAY_FILE_BYTES_PER_BAR,
        defaultMaxAllocatedStorageGiB: DEFAULT_MAX_ALLOCATED_STORAGE_GIB,
      },
      notes: [
        `plain PostgreSQL (project-managed partitions), ${SYMBOLS} symbols; heap + TOAST + primary key after VACUUM, divided by rows`,
        'day files: random 8-decimal prices and changes, the least compressible shape (real prices repeat digits); bytes of the table with TOAST and key over the bars it holds',
        'lib/sizing.ts holds the per-row figures the stack defaults are computed from; update them when these drift',
      ],
    };
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}
