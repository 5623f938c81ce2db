import { runMigrations, runPartitionMaintenance } from '../../../services/shared/db';
import { createLogger } from '../../../services/shared/logger';
import { createTestDatabase, type TestDatabase, queryOnce } from '../../support';

const logger = createLogger({ serviceName: 'partitioning-test', logLevel: 'SILENT' });


const partitionsSql = `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'price_change_rates'::regclass ORDER BY 1`;
const partitionNames = async (url: string) => (await queryOnce<{ name: string }>(url, partitionsSql)).map((row) => row.name);

/** Day names (YYYYMMDD, UTC) from `from` to `to` days relative to today. */
function utcDays(from: number, to: number): string[] {
  const days: string[] = [];
  for (let offset = from; offset <= to; offset += 1) {
    days.push(new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10).replace(/-/g, ''));
  }
  return days;
}

async function databaseWithStrategy(strategy: 'native' | 'auto'): Promise<TestDatabase> {
  const db = await createTestDatabase('mdc_partitions');
  // The custom setting the migration reads; set per database so it reaches
  // every connection the runner opens.
  if (strategy === 'native') await queryOnce(db.url, `ALTER DATABASE "${db.name}" SET mdc.partitioning = 'native'`);
  return db;
}

describe('partitioning decision', () => {
  let db: TestDatabase;

  afterEach(async () => {
    await db.drop();
  });

  it('chooses by availability and refuses a forced strategy that is unavailable', async () => {
    // Prepare
    db = await databaseWithStrategy('auto');
    await runMigrations({ databaseUrl: db.url, logger });

    // Act
    const [row] = await queryOnce<Record<string, string>>(
      db.url,
      `SELECT mdc_choose_partitioning('auto', true, true) AS both, mdc_choose_partitioning(NULL, false, true) AS partman,
              mdc_choose_partitioning('', false, false) AS neither, mdc_choose_partitioning('native', true, true) AS forced`,
    );
    const forcedTimescale = queryOnce(db.url, "SELECT mdc_choose_partitioning('timescaledb', false, true)");

    // Assert
    expect(row).toEqual({ both: 'timescaledb', partman: 'pg_partman', neither: 'native', forced: 'native' });
    await expect(forcedTimescale).rejects.toThrow(/timescaledb extension is not usable/);
  });

  it('uses TimescaleDB only where it is preloaded or already created', async () => {
    // Prepare
    db = await databaseWithStrategy('auto');
    await runMigrations({ databaseUrl: db.url, logger });

    // Act
    const [row] = await queryOnce<Record<string, boolean>>(
      db.url,
      `SELECT mdc_timescaledb_usable(true, false, '') AS installed_only,
              mdc_timescaledb_usable(true, false, 'pg_stat_statements, timescaledb') AS preloaded,
              mdc_timescaledb_usable(true, false, '"timescaledb",pg_cron') AS quoted,
              mdc_timescaledb_usable(true, true, NULL) AS created,
              mdc_timescaledb_usable(false, false, 'timescaledb') AS absent,
              mdc_timescaledb_usable(true, false, 'timescaledb_toolkit') AS other_library`,
    );

    // Assert
    expect(row).toEqual({ installed_only: false, preloaded: true, quoted: true, created: true, absent: false, other_library: false });
  });

  it('does not choose TimescaleDB here because the extension is absent, and records why', async () => {
    // Prepare
    db = await databaseWithStrategy('auto');
    const [availability] = await queryOnce<{ timescaledb: boolean }>(db.url, "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS timescaledb");

    // Act
    await runMigrations({ databaseUrl: db.url, logger });

    // Assert
    expect(availability).toEqual({ timescaledb: false });
    const [decision] = await queryOnce<{ strategy: string; reason: string }>(db.url, "SELECT strategy, reason FROM schema_partitioning WHERE table_name = 'price_change_rates'");
    expect(decision!.strategy).not.toBe('timescaledb');
    expect(decision!.reason).toMatch(/timescaledb not|neither timescaledb/);
  });
});

describe('project-managed partitions (plain PostgreSQL)', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await databaseWithStrategy('native');
  });

  afterEach(async () => {
    await db.drop();
  });

  it('creates today and the days ahead, with no default partition, and stores rows', async () => {
    // Prepare
    const expected = utcDays(-1, 7).map((day) => `price_change_rates_p${day}`);

    // Act
    const result = await runMigrations({ databaseUrl: db.url, logger });

    // Assert
    expect(result.partitions?.strategy).toBe('native');
    expect(await partitionNames(db.url)).toEqual(expected);
    await queryOnce(db.url, "INSERT INTO price_change_rates (time, exchange, symbol, price, evaluated_at) VALUES (now(), 'binance', 'BTCUSDT', 1, now())");
    await expect(queryOnce(db.url, "INSERT INTO price_change_rates (time, exchange, symbol, price, evaluated_at) VALUES (now() + interval '60 days', 'binance', 'BTCUSDT', 1, now())")).rejects.toThrow(
      /no partition/,
    );
  });

  it('drops a partition older than the retention setting and keeps recent ones', async () => {
    // Prepare
    await runMigrations({ databaseUrl: db.url, logger });
    await queryOnce(db.url, 'UPDATE collection_settings SET raw_retention_days = 30');
    await queryOnce(db.url, "SELECT mdc_ensure_day_partition((now() AT TIME ZONE 'UTC')::date - 200), mdc_ensure_day_partition((now() AT TIME ZONE 'UTC')::date - 10)");
    await queryOnce(db.url, "INSERT INTO price_change_rates (time, exchange, symbol, price, evaluated_at) VALUES (now() - interval '200 days', 'binance', 'BTCUSDT', 1, now())");
    const [old, recent] = utcDays(-200, -200).concat(utcDays(-10, -10)).map((day) => `price_change_rates_p${day}`);

    // Act
    const result = await runPartitionMaintenance({ databaseUrl: db.url, logger });

    // Assert
    expect(result).toEqual({ strategy: 'native', actions: [{ action: 'dropped', partition: old }] });
    const names = await partitionNames(db.url);
    expect(names).not.toContain(old);
    expect(names).toContain(recent);
  });

  it('follows a shorter raw_retention_days from collection_settings', async () => {
    // Prepare
    await runMigrations({ databaseUrl: db.url, logger });
    await queryOnce(db.url, "SELECT mdc_ensure_day_partition((now() AT TIME ZONE 'UTC')::date - 10)");
    await queryOnce(db.url, 'UPDATE collection_settings SET raw_retention_days = 5');

    // Act
    const result = await runPartitionMaintenance({ databaseUrl: db.url, logger });

    // Assert
    expect(result.actions).toEqual([{ action: 'dropped', partition: `price_change_rates_p${utcDays(-10, -10)[0]}` }]);
  });
});

const rollupPartitionsSql = `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'price_change_rates_1m'::regclass ORDER BY 1`;
const rollupPartitionNames = async (url: string) => (await queryOnce<{ name: string }>(url, rollupPartitionsSql)).map((row) => row.name);

/** YYYYMMDD (UTC) of `offset` days from now, and YYYYMM of its month. */
const dayOf = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
const monthOf = (offset: number) => dayOf(offset).slice(0, 6);
const rateAt = (daysAgo: number) =>
  `INSERT INTO price_change_rates (time, exchange, symbol, price, evaluated_at) VALUES (now() - interval '${daysAgo} days', 'binance', 'BTCUSDT', 1, now())`;

describe.each(['native', 'pg_partman'] as const)('every day inside retention is writable (%s)', (strategy) => {
  let db: TestDatabase;
  const rawName = (offset: number) => (strategy === 'native' ? `price_change_rates_p${dayOf(offset)}` : `price_change_rates_p${dayOf(offset).replace(/^(\d{4})(\d{2})(\d{2})$/, '$1_$2_$3')}`);
  const rollupName = (offset: number) => (strategy === 'native' ? `price_change_rates_1m_p${monthOf(offset)}` : `price_change_rates_1m_p${monthOf(offset).replace(/^(\d{4})(\d{2})$/, '$1_$2')}`);

  beforeEach(async () => {
    db = await createTestDatabase('mdc_partitions');
    await queryOnce(db.url, `ALTER DATABASE "${db.name}" SET mdc.partitioning = '${strategy}'`);
    await runMigrations({ databaseUrl: db.url, logger });
    await queryOnce(db.url, 'UPDATE collection_settings SET raw_retention_days = 90');
  });

  afterEach(async () => {
    await db.drop();
  });

  it('creates the raw day and rollup month of rows 30 and 80 days old on demand, and nothing for rows outside retention', async () => {
    // Prepare
    await expect(queryOnce(db.url, rateAt(30))).rejects.toThrow(/no partition/);

    // Act
    await queryOnce(db.url, "SELECT * FROM mdc_ensure_history_partitions(ARRAY[now() - interval '30 days', now() - interval '80 days', now() - interval '95 days', now() - interval '800 days'])");

    // Assert
    const raw = await partitionNames(db.url);
    expect(raw).toEqual(expect.arrayContaining([rawName(-30), rawName(-80)]));
    expect(raw).not.toContain(rawName(-95));
    const rollup = await rollupPartitionNames(db.url);
    expect(rollup).toEqual(expect.arrayContaining([rollupName(-30), rollupName(-80), rollupName(-95)]));
    expect(rollup).not.toContain(rollupName(-800));
    await queryOnce(db.url, rateAt(30));
    await queryOnce(db.url, rateAt(80));
    await expect(queryOnce(db.url, rateAt(95))).rejects.toThrow(/no partition/);
  });

  it('keeps the ensured partitions through maintenance while they are inside retention', async () => {
    // Prepare
    await queryOnce(db.url, "SELECT * FROM mdc_ensure_history_partitions(ARRAY[now() - interval '80 days'])");

    // Act
    await runPartitionMaintenance({ databaseUrl: db.url, logger });

    // Assert
    expect(await partitionNames(db.url)).toContain(rawName(-80));
    expect(await rollupPartitionNames(db.url)).toContain(rollupName(-80));
  });

  it('drops rollup months older than rollup_retention_days and keeps younger ones', async () => {
    // Prepare
    await queryOnce(db.url, "SELECT * FROM mdc_ensure_history_partitions(ARRAY[now() - interval '200 days', now() - interval '400 days'])");
    expect(await rollupPartitionNames(db.url)).toEqual(expect.arrayContaining([rollupName(-200), rollupName(-400)]));
    await queryOnce(db.url, 'UPDATE collection_settings SET rollup_retention_days = 300');

    // Act
    await runPartitionMaintenance({ databaseUrl: db.url, logger });

    // Assert
    const rollup = await rollupPartitionNames(db.url);
    expect(rollup).toContain(rollupName(-200));
    expect(rollup).not.toContain(rollupName(-400));
  });

  it('reports the retention cutoffs from the settings', async () => {
    // Act
    const [row] = await queryOnce<{ raw_days: number; rollup_days: number }>(
      db.url,
      "SELECT round(extract(epoch FROM now() - raw_cutoff) / 86400) AS raw_days, round(extract(epoch FROM now() - rollup_cutoff) / 86400) AS rollup_days FROM mdc_history_retention()",
    );

    // Assert
    expect({ raw: Number(row!.raw_days), rollup: Number(row!.rollup_days) }).toEqual({ raw: 90, rollup: 730 });
  });
});

describe('pg_partman partitions', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await databaseWithStrategy('auto');
  });

  afterEach(async () => {
    await db.drop();
  });

  it('registers price_change_rates with pg_partman: daily, retention from settings, no default partition', async () => {
    // Prepare
    const today = `price_change_rates_p${new Date().toISOString().slice(0, 10).replace(/-/g, '_')}`;

    // Act
    const result = await runMigrations({ databaseUrl: db.url, logger });

    // Assert
    expect(result.partitions?.strategy).toBe('pg_partman');
    const [config] = await queryOnce<Record<string, unknown>>(
      db.url,
      "SELECT retention, retention_keep_table, infinite_time_partitions FROM partman.part_config WHERE parent_table = 'public.price_change_rates'",
    );
    expect(config).toEqual({ retention: '7 days', retention_keep_table: false, infinite_time_partitions: true });
    const names = await partitionNames(db.url);
    expect(names).toContain(today);
    expect(names.filter((name) => name.endsWith('_default'))).toEqual([]);
    await queryOnce(db.url, "INSERT INTO price_change_rates (time, exchange, symbol, price, evaluated_at) VALUES (now(), 'binance', 'BTCUSDT', 1, now())");
  });

  it('drops an expired partition through partman maintenance', async () => {
    // Prepare
    await runMigrations({ databaseUrl: db.url, logger });
    await queryOnce(db.url, "SELECT partman.create_partition_time('public.price_change_rates', ARRAY[now() - interval '200 days'])");
    const old = `price_change_rates_p${new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '_')}`;
    expect(await partitionNames(db.url)).toContain(old);
    await queryOnce(db.url, 'UPDATE collection_settings SET raw_retention_days = 30');

    // Act
    const result = await runPartitionMaintenance({ databaseUrl: db.url, logger });

    // Assert
    expect(result.strategy).toBe('pg_partman');
    expect(await partitionNames(db.url)).not.toContain(old);
    const [config] = await queryOnce<{ retention: string }>(db.url, "SELECT retention FROM partman.part_config WHERE parent_table = 'public.price_change_rates'");
    expect(config).toEqual({ retention: '30 days' });
  });
});
