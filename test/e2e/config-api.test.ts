import Redis from 'ioredis';
import { Pool } from 'pg';
import { readAppliedCommits, reconcileSnapshot, SnapshotPublisher } from '../../lambdas/api';
import { ConfigStore } from '../../lambdas/api/store';
import { resolveLocalKeys, signedFetch, startLocalApi, type RunningLocalApi } from '../../localstack/api';
import { Collector, loadCollectorConfig } from '../../services/collector';
import { runMigrations } from '../../services/shared/db';
import { createLogger } from '../../services/shared/logger';
import { startSimulator, type SimulatorHandle } from '../../services/simulator';
import { createTestDatabase, openTestRedis, queryOnce, e2eCollectorEnv, sqsEndpoint, startTestIngest, type TestDatabase, type TestIngest, type TestRedis } from '../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const region = 'us-east-1';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The config API as an operator uses it on `npm start`: SigV4-signed requests to
 * the local gateway, the handler against real PostgreSQL and Redis, a running
 * collector fed by the simulator, history through SQS and the ingest handler.
 */
describe('config API end to end', () => {
  const endpoint = sqsEndpoint();
  let db: TestDatabase;
  let redis: TestRedis;
  let sim: SimulatorHandle;
  let collector: Collector;
  let api: RunningLocalApi;
  let ingest: TestIngest;
  let symbols: string[];

  const reader = () => ({ credentials: { accessKeyId: api.keys.reader.accessKeyId, secretAccessKey: api.keys.reader.secretAccessKey }, region });
  const admin = () => ({ credentials: { accessKeyId: api.keys.admin.accessKeyId, secretAccessKey: api.keys.admin.secretAccessKey }, region });
  const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const collectorSymbols = () => collector.status().symbols as number;

  beforeAll(async () => {
    db = await createTestDatabase('mdc_api_e2e');
    await runMigrations({ databaseUrl: db.url });
    redis = await openTestRedis();
    sim = await startSimulator({ port: 0, symbols: 30, rate: 600, seed: 11, logLevel: 'ERROR' });
    symbols = ((await (await fetch(`${sim.restUrl}/api/v3/exchangeInfo`)).json()) as { symbols: Array<{ symbol: string }> }).symbols.map((s) => s.symbol);

    // What npm start does before the collector starts: seed the config with 10 of the symbols and publish it.
    const pool = new Pool({ connectionString: db.url, max: 1 });
    const publisher = new Redis(redis.url);
    const snapshot = await new ConfigStore(pool).seedIfUnconfigured('binance', symbols.slice(0, 10), 'e2e');
    await new SnapshotPublisher(publisher).publish(snapshot!);
    publisher.disconnect();
    await pool.end();

    ingest = await startTestIngest({ endpoint, region, databaseUrl: db.url, name: `api-e2e-${Date.now()}` });
    collector = new Collector({
      config: loadCollectorConfig(e2eCollectorEnv({ sim, redisUrl: redis.url, collectorId: 'api-e2e', queueUrl: ingest.queueUrl, sqsEndpoint: endpoint, region })),
      // Its heartbeat is back soon after Redis loses its data (the restore case below).
      heartbeatIntervalMs: 500,
    });
    await collector.start();
    api = await startLocalApi({
      port: 0,
      databaseUrl: db.url,
      redisUrl: redis.url,
      region,
      keys: resolveLocalKeys({}),
      logger: createLogger({ serviceName: 'api-e2e', logLevel: 'ERROR' }),
      reconcileIntervalMs: 0,
    });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await collector?.stop();
    await ingest?.stop();
    await sim?.stop();
    await redis?.cleanup();
    await db?.drop();
  });

  it('refuses unsigned and wrongly signed requests and a reader\'s write with 403, and serves a signed reader', async () => {
    // Act
    const unsigned = await fetch(`${api.url}/v1/symbols`);
    const wrongSecret = await signedFetch(`${api.url}/v1/symbols`, {}, { credentials: { accessKeyId: api.keys.reader.accessKeyId, secretAccessKey: 'not-the-secret' }, region });
    const readerWrite = await signedFetch(`${api.url}/v1/symbols/binance/${symbols[20]}`, { method: 'PUT', ...json({ enabled: true }) }, reader());
    const list = await signedFetch(`${api.url}/v1/symbols?enabled=true`, {}, reader());

    // Assert
    expect([unsigned.status, wrongSecret.status, readerWrite.status]).toEqual([403, 403, 403]);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('MISSING_AUTHENTICATION_TOKEN');
    expect(((await wrongSecret.json()) as { error: { code: string } }).error.code).toBe('INVALID_SIGNATURE');
    expect(((await readerWrite.json()) as { error: { code: string } }).error.code).toBe('ACCESS_DENIED');
    expect(list.status).toBe(200);
    expect(((await list.json()) as { symbols: unknown[] }).symbols).toHaveLength(10);
    expect(collectorSymbols()).toBe(10);
  });

  it('makes the running collector subscribe a symbol enabled through the API, and its rates appear in Redis and the API', async () => {
    // Prepare
    const added = symbols[20]!;
    expect(await redis.client.exists(`rates:binance:${added}`)).toBe(0);

    // Act
    const put = await signedFetch(`${api.url}/v1/symbols/binance/${added}`, { method: 'PUT', ...json({ enabled: true }) }, admin());

    // Assert
    expect(put.status).toBe(201);
    expect(put.headers.get('x-config-published')).toBe('true');
    const version = Number(put.headers.get('x-config-version'));
    await waitFor('the collector to apply the new version', () => ((collector.status().config as { version: number }).version === version ? true : undefined));
    expect(collectorSymbols()).toBe(11);
    await waitFor(`rates:binance:${added} in Redis`, async () => ((await redis.client.exists(`rates:binance:${added}`)) === 1 ? true : undefined));
    const rate = await signedFetch(`${api.url}/v1/rates/binance/${added}`, {}, reader());
    expect(rate.status).toBe(200);
    expect(await rate.json()).toMatchObject({ exchange: 'binance', symbol: added, price: expect.any(String) });
  });

  it('changes a collector setting in place through PATCH /v1/settings', async () => {
    // Prepare
    const current = await signedFetch(`${api.url}/v1/settings`, {}, reader());
    const etag = current.headers.get('etag')!;

    // Act
    const patch = await signedFetch(`${api.url}/v1/settings`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'if-match': etag }, body: JSON.stringify({ persistIntervalMs: 2000 }) }, admin());

    // Assert
    expect(patch.status).toBe(200);
    await waitFor('the persistence interval to change', () => ((collector.status().sqs as { intervalMs: number }).intervalMs === 2000 ? true : undefined));
  });

  it('serves the persisted history rows of a collected symbol', async () => {
    // Prepare: rows reach PostgreSQL through SQS and the ingest handler.
    const symbol = symbols[0]!;
    await waitFor(
      'history rows',
      async () => {
        const [row] = await queryOnce<{ n: string }>(db.url, 'SELECT count(*) AS n FROM price_change_rates WHERE symbol = $1', [symbol]);
        return Number(row!.n) >= 3 ? true : undefined;
      },
      30_000,
    );
    const stored = await queryOnce<{ time: Date; price: string }>(db.url, 'SELECT time, price::text AS price FROM price_change_rates WHERE symbol = $1 ORDER BY time', [symbol]);

    // Act
    const from = stored[0]!.time.getTime();
    const to = stored[stored.length - 1]!.time.getTime() + 1;
    const history = await signedFetch(`${api.url}/v1/history/binance/${symbol}?from=${from}&to=${to}`, {}, reader());

    // Assert
    expect(history.status).toBe(200);
    const body = (await history.json()) as { rows: Array<{ timeMs: number; price: string }>; nextCursor: string | null };
    expect(body.rows.map((r) => [r.timeMs, r.price])).toEqual(stored.map((r) => [r.time.getTime(), r.price]));
    expect(body.nextCursor).toBeNull();
  });

  it('makes the collector unsubscribe a symbol deleted through the API', async () => {
    // Prepare
    const removed = symbols[0]!;
    const current = await signedFetch(`${api.url}/v1/symbols/binance/${removed}`, {}, reader());

    // Act
    const deleted = await signedFetch(`${api.url}/v1/symbols/binance/${removed}`, { method: 'DELETE', headers: { 'if-match': current.headers.get('etag')! } }, admin());

    // Assert
    expect(deleted.status).toBe(200);
    await waitFor('the collector to drop the symbol', () => (collectorSymbols() === 10 ? true : undefined));
    const streams = (collector.status().connections as Array<{ streams: number }>).reduce((sum, c) => sum + c.streams, 0);
    expect(streams).toBe(10);
  });

  it('brings the collector back to the database\'s configuration after the database is restored to an older version and Redis lost its data', async () => {
    // Prepare: the collector holds the current version; the backup is from 2 writes ago.
    const config = () => collector.status().config as { version: number; epoch: number };
    const [state] = await queryOnce<{ version: string }>(db.url, 'SELECT version FROM config_state');
    const held = state!.version;
    await waitFor('the collector to hold the current version', () => (config().version === Number(held) ? true : undefined));
    const restoredTo = Number(held) - 2;
    await queryOnce(db.url, 'UPDATE config_state SET version = $1', [restoredTo]);
    await queryOnce(db.url, `SELECT setval('config_version_seq', $1)`, [restoredTo]);
    await redis.client.flushdb();
    await waitFor('the collector\'s heartbeat after the flush', async () => ((await redis.client.hget('status:collector:api-e2e', 'configVersion')) === held ? true : undefined));
    const before = (await (await signedFetch(`${api.url}/v1/status`, {}, reader())).json()) as { config: { inSync: boolean; collectorsDiverged: string[] } };

    // Act: the scheduled reconciliation, then an operator's write.
    const pool = new Pool({ connectionString: db.url, max: 1 });
    const reconciled = await reconcileSnapshot({ store: new ConfigStore(pool), publisher: new SnapshotPublisher(redis.client), appliedCommits: () => readAppliedCommits(redis.client) });
    await pool.end();
    const added = symbols[25]!;
    const put = await signedFetch(`${api.url}/v1/symbols/binance/${added}`, { method: 'PUT', ...json({ enabled: true }) }, admin());

    // Assert
    expect(before.config).toMatchObject({ inSync: false, collectorsDiverged: ['api-e2e'] });
    expect(reconciled).toMatchObject({ diverged: true, republished: true, databaseEpoch: 1, collectorsDiverged: ['api-e2e'] });
    const version = Number(put.headers.get('x-config-version'));
    await waitFor('the collector to apply the write in the new epoch', () => (config().version === version && config().epoch === 1 ? true : undefined));
    await waitFor(`rates:binance:${added} in Redis`, async () => ((await redis.client.exists(`rates:binance:${added}`)) === 1 ? true : undefined));
  });
});
