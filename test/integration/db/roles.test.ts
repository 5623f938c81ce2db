import { Pool } from 'pg';
import { localRoleLogins } from '../../../localstack/env';
import { provisionRoleLogins, type DatabaseRole } from '../../../services/shared/db';
import { createTestDatabase, migrateWithRoles, openRolePool, queryOnce, roleUrl, type TestDatabase } from '../../support';

type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE' | 'REFERENCES' | 'TRIGGER';
const TABLE_PRIVILEGES: TablePrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

/**
 * Every table, sequence and function of the migrated schema and what each role
 * may do with it. A migration that adds an object without deciding its grants
 * fails the first test: add the object here with the privileges it needs.
 */
const TABLES: Record<string, Record<DatabaseRole, TablePrivilege[]>> = {
  price_change_rates: { mdc_ingest: ['SELECT', 'INSERT', 'UPDATE'], mdc_api: ['SELECT'] },
  price_change_rates_1m: { mdc_ingest: ['SELECT', 'INSERT', 'UPDATE'], mdc_api: ['SELECT'] },
  collection_status: { mdc_ingest: ['SELECT', 'INSERT', 'UPDATE'], mdc_api: ['SELECT'] },
  collection_config: { mdc_ingest: [], mdc_api: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
  collection_settings: { mdc_ingest: [], mdc_api: ['SELECT', 'UPDATE'] },
  config_state: { mdc_ingest: [], mdc_api: ['SELECT', 'UPDATE'] },
  trading_pairs: { mdc_ingest: [], mdc_api: ['SELECT', 'UPDATE'] },
  schema_partitioning: { mdc_ingest: [], mdc_api: ['SELECT'] },
  schema_migrations: { mdc_ingest: [], mdc_api: [] },
  // Day files (0012): reached only through mdc_minute_bar_days and mdc_invalidate_minute_days.
  price_change_rates_1m_days: { mdc_ingest: [], mdc_api: [] },
};
const SEQUENCES: Record<string, Record<DatabaseRole, Array<'USAGE' | 'SELECT' | 'UPDATE'>>> = {
  config_version_seq: { mdc_ingest: [], mdc_api: ['USAGE', 'SELECT', 'UPDATE'] },
};
const FUNCTIONS: Record<string, DatabaseRole[]> = {
  'mdc_choose_partitioning(text,boolean,boolean)': [],
  'mdc_timescaledb_usable(boolean,boolean,text)': [],
  'mdc_price_history_parent()': [],
  'mdc_day_partition_name(date)': [],
  'mdc_ensure_day_partition(date)': [],
  'mdc_maintain_partitions(integer,integer)': [],
  'mdc_rollup_partition_name(date)': [],
  'mdc_ensure_rollup_month_partition(date)': [],
  'mdc_maintain_rollup_partitions(integer)': [],
  'mdc_run_partition_maintenance()': ['mdc_ingest'],
  'mdc_ensure_history_partitions(timestamp with time zone[])': ['mdc_ingest'],
  'mdc_history_retention()': ['mdc_ingest', 'mdc_api'],
  'mdc_flags_union(text[],text[])': ['mdc_ingest'],
  'mdc_flags_union_agg(text[])': ['mdc_ingest'],
  'mdc_maintain_history_tiers()': [],
  'mdc_minute_bar_csv_line(timestamp with time zone,numeric,numeric,numeric,numeric,double precision,double precision,double precision,text[],integer)': ['mdc_api'],
  'mdc_minute_day_lock_key(text,text)': [],
  'mdc_minute_day_files_from()': [],
  'mdc_minute_bar_days(text,text,date[])': ['mdc_api'],
  'mdc_invalidate_minute_days(text[],text[],date[])': ['mdc_ingest'],
};

let db: TestDatabase;
const pools: Partial<Record<DatabaseRole, Pool>> = {};
const as = (role: DatabaseRole): Pool => (pools[role] ??= openRolePool(db, role));
const denied = /permission denied|must be owner/;

beforeAll(async () => {
  db = await createTestDatabase('mdc_roles');
  await migrateWithRoles(db);
});

/** Every access control list of the database: its own, the schema's, each relation's and each function's, and the default privileges. */
const ACLS_SQL = `
  SELECT 'database' AS kind, datname::text AS name, datacl::text AS acl FROM pg_database WHERE datname = current_database()
  UNION ALL SELECT 'schema', nspname::text, nspacl::text FROM pg_namespace WHERE oid = current_schema()::regnamespace
  UNION ALL SELECT 'relation', relname::text, relacl::text FROM pg_class WHERE relnamespace = current_schema()::regnamespace
  UNION ALL SELECT 'function', oid::regprocedure::text, proacl::text FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
  UNION ALL SELECT 'default', defaclobjtype::text, defaclacl::text FROM pg_default_acl
  ORDER BY 1, 2`;

afterAll(async () => {
  await Promise.all(Object.values(pools).map((pool) => pool.end()));
  await db.drop();
});

describe('the access matrix', () => {
  it('covers every table, sequence and function of the schema, and the roles hold exactly what it lists', async () => {
    // Prepare
    const roles: DatabaseRole[] = ['mdc_ingest', 'mdc_api'];

    // Act
    const tables = await queryOnce<{ name: string; kind: string }>(
      db.url,
      `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c
       WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition ORDER BY 1`,
    );
    const functions = await queryOnce<{ signature: string }>(
      db.url,
      "SELECT p.oid::regprocedure::text AS signature FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace ORDER BY 1",
    );
    const held: Record<string, Record<string, string[]>> = {};
    for (const { name, kind } of tables) {
      const privileges = kind === 'S' ? ['USAGE', 'SELECT', 'UPDATE'] : TABLE_PRIVILEGES;
      const check = kind === 'S' ? 'has_sequence_privilege' : 'has_table_privilege';
      held[name] = {};
      for (const role of roles) {
        const [row] = await queryOnce<{ granted: string[] }>(db.url, `SELECT ARRAY(SELECT p FROM unnest($3::text[]) AS p WHERE ${check}($1, $2, p)) AS granted`, [role, name, privileges]);
        held[name]![role] = row!.granted;
      }
    }
    const executable: Record<string, DatabaseRole[]> = {};
    for (const { signature } of functions) {
      const [row] = await queryOnce<{ roles: DatabaseRole[] }>(db.url, 'SELECT ARRAY(SELECT r FROM unnest($2::text[]) AS r WHERE has_function_privilege(r, $1::regprocedure, \'EXECUTE\')) AS roles', [signature, roles]);
      executable[signature.replace(/, /g, ',')] = row!.roles;
    }

    // Assert
    expect(held).toEqual({ ...TABLES, ...SEQUENCES });
    expect(executable).toEqual(FUNCTIONS);
  });

  it('gives the roles nothing on partitions directly: every access goes through the parent', async () => {
    // Act
    const [row] = await queryOnce<{ reachable: string[] }>(
      db.url,
      `SELECT ARRAY(SELECT c.relname::text FROM pg_class c WHERE c.relispartition AND c.relnamespace = current_schema()::regnamespace
         AND (has_table_privilege('mdc_api', c.oid, 'SELECT') OR has_table_privilege('mdc_ingest', c.oid, 'INSERT'))) AS reachable`,
    );

    // Assert
    expect(row!.reachable).toEqual([]);
  });

  it('stays the same when the migrations run again', async () => {
    // Prepare
    const before = await queryOnce(db.url, ACLS_SQL);

    // Act
    const again = await migrateWithRoles(db);

    // Assert
    expect(again.applied).toEqual([]);
    expect(await queryOnce(db.url, ACLS_SQL)).toEqual(before);
    await expect(as('mdc_api').query('SELECT count(*) FROM collection_config')).resolves.toBeDefined();
  });
});

describe('mdc_api', () => {
  it.each([
    ['DROP TABLE price_change_rates', 'drop history'],
    ['DROP TABLE price_change_rates_1m', 'drop the rollup'],
    ['ALTER TABLE price_change_rates ADD COLUMN x int', 'alter history'],
    ['ALTER TABLE price_change_rates_1m DROP COLUMN rows', 'alter the rollup'],
    ['TRUNCATE price_change_rates', 'truncate history'],
    ['TRUNCATE price_change_rates_1m', 'truncate the rollup'],
    ["INSERT INTO price_change_rates (time, exchange, symbol, price, evaluated_at) VALUES (now(), 'binance', 'BTCUSDT', 1, now())", 'write history'],
    [
      "INSERT INTO price_change_rates_1m (bucket, exchange, symbol, open, high, low, close, rows, open_time, close_time) VALUES (date_trunc('minute', now()), 'binance', 'BTCUSDT', 1, 1, 1, 1, 1, now(), now())",
      'write the rollup',
    ],
    ['UPDATE price_change_rates SET price = 1', 'rewrite history'],
    ['UPDATE price_change_rates_1m SET rows = 1', 'rewrite the rollup'],
    ['DELETE FROM price_change_rates', 'delete history'],
    ['DELETE FROM price_change_rates_1m', 'delete the rollup'],
    ["UPDATE collection_status SET state = 'closed'", 'write status'],
    ['DELETE FROM collection_status', 'delete status'],
    ['CREATE TABLE mine (id int)', 'create tables'],
    ['SELECT * FROM mdc_run_partition_maintenance()', 'run partition maintenance'],
    ["SELECT * FROM mdc_ensure_history_partitions(ARRAY[now()])", 'create partitions'],
    ['SELECT * FROM schema_migrations', 'read the migration log'],
    ['CREATE TEMP TABLE scratch (id int)', 'make temporary tables'],
    ["INSERT INTO price_change_rates_1m_days (exchange, symbol, day, csv, bars) VALUES ('binance', 'BTCUSDT', current_date - 3, 'forged', 1)", 'write a day file'],
    ['DELETE FROM price_change_rates_1m_days', 'delete day files'],
    ["SELECT mdc_invalidate_minute_days(ARRAY['binance'], ARRAY['BTCUSDT'], ARRAY[current_date - 3])", 'invalidate day files'],
    ['SELECT * FROM mdc_maintain_history_tiers()', 'run tier maintenance directly'],
  ])('cannot %s (%s)', async (statement) => {
    // Act
    const run = as('mdc_api').query(statement);

    // Assert
    await expect(run).rejects.toMatchObject({ code: '42501', message: expect.stringMatching(denied) });
  });

  it('reads history and status and writes the configuration', async () => {
    // Act
    await as('mdc_api').query("INSERT INTO collection_config (exchange, symbol, streams) VALUES ('binance', 'BTCUSDT', '{aggTrade}')");
    const config = await as('mdc_api').query("DELETE FROM collection_config WHERE symbol = 'BTCUSDT' RETURNING symbol");
    const history = await as('mdc_api').query('SELECT count(*)::int AS n FROM price_change_rates, mdc_history_retention()');
    const rollup = await as('mdc_api').query('SELECT count(*)::int AS n FROM price_change_rates_1m');
    const version = await as('mdc_api').query("SELECT nextval('config_version_seq') > 0 AS ok");

    // Assert
    expect(config.rows).toEqual([{ symbol: 'BTCUSDT' }]);
    expect(history.rows).toEqual([{ n: 0 }]);
    expect(rollup.rows).toEqual([{ n: 0 }]);
    expect(version.rows).toEqual([{ ok: true }]);
  });
});

describe('mdc_ingest', () => {
  it.each([
    ['SELECT * FROM collection_config', 'read the configuration'],
    ["INSERT INTO collection_config (exchange, symbol) VALUES ('binance', 'BTCUSDT')", 'write the configuration'],
    ['UPDATE collection_settings SET raw_retention_days = 1', 'change retention'],
    ["DELETE FROM collection_config WHERE symbol = 'BTCUSDT'", 'delete the configuration'],
    ['SELECT * FROM collection_settings', 'read the settings'],
    ['SELECT * FROM config_state', 'read the config state'],
    ['UPDATE config_state SET version = version', 'write the config state'],
    ['SELECT * FROM trading_pairs', 'read the pairs'],
    ['UPDATE trading_pairs SET collect = true', 'change the pairs'],
    ['TRUNCATE price_change_rates', 'truncate history'],
    ["SELECT nextval('config_version_seq')", 'draw config versions'],
    ['DELETE FROM price_change_rates', 'delete history'],
    ['DROP TABLE price_change_rates_1m', 'drop the rollup'],
    ['CREATE TABLE mine (id int)', 'create tables'],
    ["INSERT INTO price_change_rates_1m_days (exchange, symbol, day, csv, bars) VALUES ('binance', 'BTCUSDT', current_date - 3, 'forged', 1)", 'write a day file'],
    ["SELECT * FROM mdc_minute_bar_days('binance', 'BTCUSDT', ARRAY[current_date - 3])", 'build day files'],
  ])('cannot %s (%s)', async (statement) => {
    // Act
    const run = as('mdc_ingest').query(statement);

    // Assert
    await expect(run).rejects.toMatchObject({ code: '42501', message: expect.stringMatching(denied) });
  });

  it('writes history, the rollup and status, stages in a temporary table, and creates partitions through the owner', async () => {
    // Prepare
    const client = await as('mdc_ingest').connect();

    // Act
    try {
      await client.query('BEGIN');
      await client.query("SELECT * FROM mdc_ensure_history_partitions(ARRAY[now() - interval '2 days'])");
      await client.query('CREATE TEMP TABLE staged (LIKE price_change_rates) ON COMMIT DROP');
      await client.query(
        "INSERT INTO staged (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at) VALUES (date_trunc('second', now()) - interval '2 days', 'binance', 'BTCUSDT', 1, NULL, NULL, NULL, '{}', now())",
      );
      await client.query('INSERT INTO price_change_rates SELECT * FROM staged ON CONFLICT (exchange, symbol, time) DO UPDATE SET price = EXCLUDED.price');
      await client.query(
        "INSERT INTO price_change_rates_1m (bucket, exchange, symbol, open, high, low, close, flags, rows, open_time, close_time) SELECT date_trunc('minute', time), exchange, symbol, price, price, price, price, mdc_flags_union(flags, '{}'), 1, time, time FROM staged",
      );
      await client.query(
        "INSERT INTO collection_status (collector_id, connection_id, exchange, state, streams, reconnects, errors, updated_at) VALUES ('c', 'k', 'binance', 'open', 1, 0, 0, now())",
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }

    // Assert
    const [counts] = await queryOnce<{ raw: number; rollup: number; status: number }>(
      db.url,
      'SELECT (SELECT count(*)::int FROM price_change_rates) AS raw, (SELECT count(*)::int FROM price_change_rates_1m) AS rollup, (SELECT count(*)::int FROM collection_status) AS status',
    );
    expect(counts).toEqual({ raw: 1, rollup: 1, status: 1 });
  });

  it('runs partition maintenance through the owner', async () => {
    // Act
    const result = await as('mdc_ingest').query('SELECT * FROM mdc_run_partition_maintenance()');

    // Assert
    expect(Array.isArray(result.rows)).toBe(true);
  });
});

describe('provisioning the logins', () => {
  it('migrates several databases of the server at once, roles and logins included', async () => {
    // Prepare
    const others = await Promise.all(Array.from({ length: 4 }, () => createTestDatabase('mdc_roles_parallel')));

    // Act
    try {
      const results = await Promise.allSettled(others.map((other) => migrateWithRoles(other)));

      // Assert
      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      const [row] = await queryOnce<{ ok: boolean }>(roleUrl(others[0]!, 'mdc_api'), 'SELECT has_table_privilege(current_user, \'collection_config\', \'INSERT\') AS ok');
      expect(row).toEqual({ ok: true });
    } finally {
      await Promise.all(others.map((other) => other.drop()));
    }
  });

  it('succeeds while other migrations of the server set the same passwords at the same moment', async () => {
    // Prepare: roles are server-wide; parallel ALTER ROLE of one role makes the later one fail with
    // "tuple concurrently updated" unless it retries.
    const owners = Array.from({ length: 6 }, () => new Pool({ connectionString: db.url, max: 1 }));

    // Act
    const results = await Promise.allSettled(owners.flatMap((pool) => [provisionRoleLogins(pool, localRoleLogins()), provisionRoleLogins(pool, localRoleLogins())]));
    await Promise.all(owners.map((pool) => pool.end()));

    // Assert
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    await expect(as('mdc_ingest').query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });
});
