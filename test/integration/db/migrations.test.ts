import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrationsFromDir, MigrationChangedError, MigrationConnectionLostError, migrationChecksum, REPOSITORY_MIGRATIONS_DIR, runMigrations } from '../../../services/shared/db';
import { createLogger } from '../../../services/shared/logger';
import { createTestDatabase, type TestDatabase, queryOnce } from '../../support';

const logger = createLogger({ serviceName: 'migrate-test', logLevel: 'SILENT' });
const allFiles = loadMigrationsFromDir(REPOSITORY_MIGRATIONS_DIR).map((migration) => migration.fileName);


describe('runMigrations on the repository migrations', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase('mdc_migrate');
  });

  afterEach(async () => {
    await db.drop();
  });

  it('applies every file to a fresh database and creates the tables', async () => {
    // Prepare
    const tables = ['trading_pairs', 'collection_config', 'collection_settings', 'collection_status', 'price_change_rates', 'schema_migrations'];

    // Act
    const result = await runMigrations({ databaseUrl: db.url, logger });

    // Assert
    expect(result.applied).toEqual(allFiles);
    expect(result.skipped).toBe(0);
    const rows = await queryOnce<{ name: string; present: boolean }>(db.url, 'SELECT name, to_regclass(name) IS NOT NULL AS present FROM unnest($1::text[]) AS name', [tables]);
    expect(rows.filter((row) => !row.present)).toEqual([]);
    const recorded = await queryOnce<{ file_name: string; checksum: string }>(db.url, 'SELECT file_name, checksum FROM schema_migrations ORDER BY version');
    expect(recorded.map((row) => row.file_name)).toEqual(allFiles);
    expect(recorded.every((row) => /^[0-9a-f]{64}$/.test(row.checksum))).toBe(true);
  });

  it('applies nothing on a second run', async () => {
    // Prepare
    await runMigrations({ databaseUrl: db.url, logger });

    // Act
    const result = await runMigrations({ databaseUrl: db.url, logger });

    // Assert
    expect(result.applied).toEqual([]);
    expect(result.skipped).toBe(allFiles.length);
  });

  it('applies each migration exactly once when two runners start together', async () => {
    // Prepare
    const run = () => runMigrations({ databaseUrl: db.url, logger });

    // Act
    const [first, second] = await Promise.all([run(), run()]);

    // Assert
    expect([...first.applied, ...second.applied].sort()).toEqual(allFiles);
    expect([first.applied.length, second.applied.length].sort()).toEqual([0, allFiles.length]);
    const counts = await queryOnce<{ n: string }>(db.url, 'SELECT count(*) AS n FROM schema_migrations');
    expect(Number(counts[0]!.n)).toBe(allFiles.length);
  });

  it('extends a pre-existing trading_pairs that has rows and already one of the new columns', async () => {
    // Prepare: the platform's table as it may already exist, with a row.
    await queryOnce(
      db.url,
      `CREATE TABLE trading_pairs (exchange text NOT NULL, symbol text NOT NULL, base_asset text NOT NULL, quote_asset text NOT NULL,
         status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT '2020-01-01T00:00:00Z', PRIMARY KEY (exchange, symbol));
       INSERT INTO trading_pairs (exchange, symbol, base_asset, quote_asset, status) VALUES ('binance', 'BTCUSDT', 'BTC', 'USDT', 'TRADING')`,
    );

    // Act
    await runMigrations({ databaseUrl: db.url, logger });

    // Assert
    const rows = await queryOnce<{ symbol: string; collect: boolean; first_collected_at: Date | null; updated_at: Date }>(
      db.url,
      'SELECT symbol, collect, first_collected_at, updated_at FROM trading_pairs',
    );
    expect(rows).toEqual([{ symbol: 'BTCUSDT', collect: false, first_collected_at: null, updated_at: new Date('2020-01-01T00:00:00Z') }]);
  });

  it('rejects a negative price and a malformed symbol with CHECK constraints', async () => {
    // Prepare
    await runMigrations({ databaseUrl: db.url, logger });
    const insert = `INSERT INTO price_change_rates (time, exchange, symbol, price, evaluated_at) VALUES (now(), 'binance', $1, $2, now())`;

    // Act
    const results = await Promise.allSettled([queryOnce(db.url, insert, ['BTCUSDT', '-1']), queryOnce(db.url, insert, ['btc-usdt', '1']), queryOnce(db.url, insert, ['BTCUSDT', '1'])]);

    // Assert
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: '23514', constraint: 'price_change_rates_price_positive' });
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23514', constraint: 'price_change_rates_symbol_format' });
  });
});

describe('runMigrations on a directory of its own', () => {
  let db: TestDatabase;
  let dir: string;

  beforeEach(async () => {
    db = await createTestDatabase('mdc_migrate');
    dir = mkdtempSync(join(tmpdir(), 'mdc-migrations-'));
  });

  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('refuses to run when an applied file was edited, naming the file', async () => {
    // Prepare
    writeFileSync(join(dir, '0001_widgets.sql'), 'CREATE TABLE widgets (id int PRIMARY KEY);\n');
    await runMigrations({ databaseUrl: db.url, logger, migrationsDir: dir });
    writeFileSync(join(dir, '0001_widgets.sql'), 'CREATE TABLE widgets (id int PRIMARY KEY, name text);\n');
    writeFileSync(join(dir, '0002_gadgets.sql'), 'CREATE TABLE gadgets (id int PRIMARY KEY);\n');

    // Act
    const run = runMigrations({ databaseUrl: db.url, logger, migrationsDir: dir });

    // Assert
    await expect(run).rejects.toThrow(MigrationChangedError);
    await expect(runMigrations({ databaseUrl: db.url, logger, migrationsDir: dir })).rejects.toThrow(/0001_widgets\.sql.*new migration/);
    const gadgets = await queryOnce<{ present: boolean }>(db.url, "SELECT to_regclass('gadgets') IS NOT NULL AS present");
    expect(gadgets[0]!.present).toBe(false);
  });

  it('rolls back a failing migration, names file and line, and keeps the earlier ones', async () => {
    // Prepare
    writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE ok (id int);\n');
    writeFileSync(join(dir, '0002_broken.sql'), 'CREATE TABLE half (id int);\nSELEKT 1;\n');

    // Act
    const run = runMigrations({ databaseUrl: db.url, logger, migrationsDir: dir });

    // Assert
    await expect(run).rejects.toThrow(/0002_broken\.sql failed at line 2 and was rolled back/);
    const rows = await queryOnce<{ ok: boolean; half: boolean; recorded: string[] }>(
      db.url,
      "SELECT to_regclass('ok') IS NOT NULL AS ok, to_regclass('half') IS NOT NULL AS half, ARRAY(SELECT file_name FROM schema_migrations) AS recorded",
    );
    expect(rows[0]).toEqual({ ok: true, half: false, recorded: ['0001_ok.sql'] });
  });

  it('accepts an applied file whose earlier revision the new one declares it supersedes', async () => {
    // Prepare
    const first = 'CREATE TABLE widgets (id int PRIMARY KEY);\n';
    writeFileSync(join(dir, '0001_widgets.sql'), first);
    await runMigrations({ databaseUrl: db.url, logger, migrationsDir: dir });
    writeFileSync(join(dir, '0001_widgets.sql'), `-- supersedes-checksum: ${migrationChecksum(first)}\nCREATE TABLE IF NOT EXISTS widgets (id int PRIMARY KEY);\n`);
    writeFileSync(join(dir, '0002_gadgets.sql'), 'CREATE TABLE gadgets (id int PRIMARY KEY);\n');

    // Act
    const result = await runMigrations({ databaseUrl: db.url, logger, migrationsDir: dir });

    // Assert
    expect(result.applied).toEqual(['0002_gadgets.sql']);
  });

  it('turns a connection the server terminates mid-migration into an error naming the server and the file', async () => {
    // Prepare: what TimescaleDB's loader does when it is installed but not preloaded.
    writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE ok (id int);\n');
    writeFileSync(join(dir, '0002_fatal.sql'), 'CREATE TABLE half (id int);\nSELECT pg_terminate_backend(pg_backend_pid());\n');
    const { port, pathname } = new URL(db.url);

    // Act
    const run = runMigrations({ databaseUrl: db.url, logger, migrationsDir: dir });

    // Assert
    await expect(run).rejects.toThrow(MigrationConnectionLostError);
    await expect(runMigrations({ databaseUrl: db.url, logger, migrationsDir: dir })).rejects.toThrow(
      new RegExp(`server 127\\.0\\.0\\.1:${port}${pathname} terminated the migration's connection while applying 0002_fatal\\.sql \\(rolled back, not applied\\)`),
    );
    const rows = await queryOnce<{ half: boolean; recorded: string[] }>(db.url, "SELECT to_regclass('half') IS NOT NULL AS half, ARRAY(SELECT file_name FROM schema_migrations) AS recorded");
    expect(rows[0]).toEqual({ half: false, recorded: ['0001_ok.sql'] });
  });
});
