import type { APIGatewayProxyResult } from 'aws-lambda';
import Redis from 'ioredis';
import { SymbolSource, type DesiredConfiguration } from '../../../services/collector/symbols';
import { runMigrations } from '../../../services/shared/db';
import { DependencyCache } from '../../../services/shared/lifecycle';
import { createLogger } from '../../../services/shared/logger';
import { connectDependencies, createApiHandler, createReconciler, type ApiDependencies, type ApiHandler } from '../../../lambdas/api';
import { ADMIN_ARN, apiEvent, createTestDatabase, openTestRedis, queryOnce, READER_ARN, type ApiEventInput, type TestDatabase, type TestRedis } from '../../support';

const logger = createLogger({ serviceName: 'config-restore-test', logLevel: process.env.LOG_LEVEL ?? 'SILENT' });
const COLLECTOR_ID = 'c-restore';

async function waitFor(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A database restored to an older configuration while Redis lost its data: the
 * collector holds a version the restored database has not reached, so by
 * versions alone it would ignore every change until the database caught up.
 */
describe('config after a database restore with Redis lost', () => {
  let database: TestDatabase;
  let redis: TestRedis;
  let deps: ApiDependencies & { close(): Promise<void> };
  let handle: ApiHandler;
  let collectorRedis: Redis;
  let source: SymbolSource;
  let applied: DesiredConfiguration[];

  const fixed = (value: ApiDependencies) => new DependencyCache<ApiDependencies>({ create: async () => value, close: async () => undefined });
  const call = async (input: ApiEventInput) => {
    const result: APIGatewayProxyResult = await handle(apiEvent(input));
    return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body) as Record<string, unknown> };
  };
  const enable = (symbol: string) => call({ method: 'PUT', path: `/v1/symbols/binance/${symbol}`, body: { enabled: true } });
  /** The fields of the collector's heartbeat the API compares (Collector.heartbeat writes them every 5 s). */
  const heartbeat = () =>
    redis.client.hset(`status:collector:${COLLECTOR_ID}`, {
      collectorId: COLLECTOR_ID,
      exchange: 'binance',
      state: 'running',
      heartbeatAt: new Date().toISOString(),
      configVersion: String(source.version ?? ''),
      configEpoch: String(source.epoch ?? ''),
      configUpdatedAt: source.updatedAt ?? '',
    });

  beforeAll(async () => {
    database = await createTestDatabase('mdc_restore');
    await runMigrations({ databaseUrl: database.url, logger });
    redis = await openTestRedis();
  });

  afterAll(async () => {
    await redis.cleanup();
    await database.drop();
  });

  beforeEach(async () => {
    deps = connectDependencies({ databaseUrl: database.url, redisUrl: redis.url, logger, metrics: { addMetric: () => undefined } });
    handle = createApiHandler({ dependencies: fixed(deps), principals: { readers: [READER_ARN], admins: [ADMIN_ARN] }, maxBodyBytes: 16_384, logger });
    collectorRedis = new Redis(redis.url);
    applied = [];
    source = new SymbolSource({ exchange: 'binance', redis: collectorRedis, fallbackSymbols: async () => [], pollIntervalMs: 100, onChange: (config) => void applied.push(config) });
    await source.start();
  });

  afterEach(async () => {
    await source.stop();
    collectorRedis.disconnect();
    await deps.close();
    await queryOnce(database.url, 'TRUNCATE collection_config');
    await queryOnce(database.url, 'UPDATE config_state SET version = 0, epoch = 0');
    await redis.client.flushdb();
  });

  it('makes the collector apply the restored database\'s configuration after reconciliation and the next write', async () => {
    // Prepare: version 1 is what the backup holds; the collector goes on to apply version 3.
    const first = await enable('BTCUSDT');
    await enable('ETHUSDT');
    const third = await enable('SOLUSDT');
    const held = Number(third.body.version);
    await waitFor(`the collector to apply version ${held}`, () => source.version === held);
    // The restore: the rows, config_state and the version sequence as they were at version 1, with its epoch. Redis is lost too.
    await queryOnce(database.url, `DELETE FROM collection_config WHERE symbol <> 'BTCUSDT'`);
    await queryOnce(database.url, `UPDATE config_state SET version = $1`, [first.body.version]);
    await queryOnce(database.url, `SELECT setval('config_version_seq', $1)`, [first.body.version]);
    await redis.client.flushdb();
    await heartbeat();
    const before = await call({ method: 'GET', path: '/v1/status', caller: READER_ARN });

    // Act
    const reconciled = await createReconciler({ dependencies: fixed(deps), logger })();
    const write = await enable('ADAUSDT');

    // Assert
    expect(before.body.config).toMatchObject({ version: first.body.version, epoch: 0, inSync: false, collectorsDiverged: [COLLECTOR_ID] });
    expect(reconciled).toMatchObject({ diverged: true, republished: true, databaseEpoch: 1, collectorsDiverged: [COLLECTOR_ID] });
    expect(reconciled.databaseVersion).toBeGreaterThan(held);
    expect(write.headers['X-Config-Published']).toBe('true');
    const written = Number(write.body.version);
    await waitFor(`the collector to apply version ${written} of epoch 1`, () => source.version === written && source.epoch === 1);
    expect(applied.at(-1)!.symbols).toEqual(['ADAUSDT', 'BTCUSDT']);
    await heartbeat();
    const after = await call({ method: 'GET', path: '/v1/status', caller: READER_ARN });
    expect(after.body.config).toEqual({ version: written, epoch: 1, publishedVersion: written, publishedEpoch: 1, inSync: true, collectorsDiverged: [] });
  });

  it('applies the restored configuration when a write reaches the collector\'s version again before reconciliation', async () => {
    // Prepare
    const first = await enable('BTCUSDT');
    const second = await enable('ETHUSDT');
    await waitFor('the collector to apply the second write', () => source.version === Number(second.body.version));
    await queryOnce(database.url, `DELETE FROM collection_config WHERE symbol <> 'BTCUSDT'`);
    await queryOnce(database.url, `UPDATE config_state SET version = $1, epoch = 0`, [first.body.version]);
    await queryOnce(database.url, `SELECT setval('config_version_seq', $1)`, [first.body.version]);
    await redis.client.flushdb();
    await heartbeat();

    // Act: the write lands in an empty Redis at the very version the collector holds, with other changes; the next scheduled reconciliation notices.
    await enable('XRPUSDT');
    const reconciled = await createReconciler({ dependencies: fixed(deps), logger })();

    // Assert
    expect(reconciled).toMatchObject({ diverged: true, republished: true });
    await waitFor('the collector to apply the new epoch', () => source.epoch === reconciled.databaseEpoch && source.version === reconciled.databaseVersion);
    expect(applied.at(-1)!.symbols).toEqual(['BTCUSDT', 'XRPUSDT']);
  });
});
