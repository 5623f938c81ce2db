import { Pool } from 'pg';
import { runMigrations } from '../../../services/shared/db';
import { createLogger } from '../../../services/shared/logger';
import { ConfigStore } from '../../../lambdas/api/store';
import { createTestDatabase, type TestDatabase } from '../../support';

const logger = createLogger({ serviceName: 'seed-exchanges-test', logLevel: process.env.LOG_LEVEL ?? 'SILENT' });

describe('ConfigStore.seedExchangesIfUnconfigured (npm start with several exchanges)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let store: ConfigStore;

  beforeAll(async () => {
    database = await createTestDatabase('mdc_seed');
    await runMigrations({ databaseUrl: database.url, logger });
    pool = new Pool({ connectionString: database.url, max: 2 });
    store = new ConfigStore(pool);
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('seeds every unconfigured exchange in one version, then leaves configured ones alone', async () => {
    // Prepare
    const before = await store.currentVersion();

    // Act
    const first = await store.seedExchangesIfUnconfigured(
      [
        { exchange: 'binance', symbols: ['BTCUSDT', 'ETHUSDT', 'BTCUSDT'] },
        { exchange: 'okx', symbols: ['BTCUSDT'] },
        { exchange: 'bybit', symbols: [] },
      ],
      'test',
    );
    const second = await store.seedExchangesIfUnconfigured(
      [
        { exchange: 'binance', symbols: ['SOLUSDT'] },
        { exchange: 'bybit', symbols: ['BTCUSDT', 'XRPUSDT'] },
      ],
      'test',
    );

    // Assert
    expect(first.seeded).toEqual([
      { exchange: 'binance', symbols: 2 },
      { exchange: 'okx', symbols: 1 },
    ]);
    expect(first.snapshot?.version).toBeGreaterThan(before);
    const { rows } = await pool.query<{ versions: string }>("SELECT count(DISTINCT version) AS versions FROM collection_config WHERE exchange IN ('binance', 'okx')");
    expect(Number(rows[0]?.versions)).toBe(1);
    expect(second.seeded).toEqual([{ exchange: 'bybit', symbols: 2 }]);
    const pairs = (second.snapshot?.symbols ?? []).map((s) => `${s.exchange}:${s.symbol}:${s.enabled}`);
    expect(pairs.sort()).toEqual(['binance:BTCUSDT:true', 'binance:ETHUSDT:true', 'bybit:BTCUSDT:true', 'bybit:XRPUSDT:true', 'okx:BTCUSDT:true']);
  });

  it('changes nothing, and draws no version, when every exchange is configured', async () => {
    // Prepare
    const before = await store.currentVersion();

    // Act
    const result = await store.seedExchangesIfUnconfigured([{ exchange: 'okx', symbols: ['ETHUSDT'] }], 'test');

    // Assert
    expect(result).toEqual({ seeded: [] });
    expect(await store.currentVersion()).toBe(before);
  });
});
