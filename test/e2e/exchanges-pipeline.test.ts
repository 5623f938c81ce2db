import { Client } from 'pg';
import { Collector, loadCollectorConfig } from '../../services/collector';
import { runMigrations } from '../../services/shared/db';
import { startSimulator, type SimulatorHandle } from '../../services/simulator';
import { createTestDatabase, exchangeCollectorEnv, lockChannels, openTestRedis, sleep, sqsEndpoint, startTestIngest, type TestDatabase, type TestIngest, type TestRedis } from '../support';

const EXCHANGES = [{ exchange: 'binance' }, { exchange: 'okx' }, { exchange: 'bybit' }] as const;

/**
 * What `npm start` runs, on real services: a simulator and a collector per
 * exchange, one history queue, the ingest handler, one database. Each exchange's
 * rows land under its own id, with the pair named the same on all three.
 */
describe('three exchanges through one pipeline', () => {
  const region = 'us-east-1';
  const endpoint = sqsEndpoint();
  const sims: SimulatorHandle[] = [];
  const collectors: Collector[] = [];
  let redis: TestRedis;
  let db: TestDatabase;
  let ingest: TestIngest;
  let releaseChannels: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await Promise.all(collectors.map((collector) => collector.stop()));
    await ingest?.stop();
    await Promise.all(sims.map((sim) => sim.stop()));
    await redis?.cleanup();
    await db?.drop();
    await releaseChannels?.();
  });

  it('stores one row per pair per second for every exchange, and the latest rates in Redis under each', async () => {
    // Prepare
    releaseChannels = await lockChannels('okx-bybit');
    db = await createTestDatabase('mdc_e2e_ex');
    await runMigrations({ databaseUrl: db.url });
    redis = await openTestRedis();
    ingest = await startTestIngest({ endpoint, region, databaseUrl: db.url, name: `e2e-ex-${Date.now()}` });
    for (const { exchange } of EXCHANGES) {
      const sim = await startSimulator({ exchange, port: 0, symbols: 30, rate: 300, seed: 31, logLevel: 'ERROR' });
      sims.push(sim);
      collectors.push(
        new Collector({
          config: loadCollectorConfig(exchangeCollectorEnv(exchange, sim, {
            REDIS_URL: redis.url,
            SYMBOLS: 'ALL',
            COLLECTOR_ID: `e2e-${exchange}`,
            SQS_QUEUE_URL: ingest.queueUrl,
            AWS_ENDPOINT_URL: endpoint,
            AWS_REGION: region,
            SPILL_DIR: `${process.env.TMPDIR ?? '/tmp'}/mdc-e2e-ex-spill-${exchange}-${Date.now()}`,
          })),
        }),
      );
    }

    // Act: 12 s of collection, then a graceful stop and the queue drained.
    await Promise.all(collectors.map((collector) => collector.start()));
    await sleep(12_000);
    const latest = await Promise.all(EXCHANGES.map(({ exchange }) => redis.client.keys(`rates:${exchange}:*USDT`)));
    const heartbeats = await Promise.all(EXCHANGES.map(({ exchange }) => redis.client.hget(`status:collector:e2e-${exchange}`, 'exchange')));
    await Promise.all(collectors.map((collector) => collector.stop()));
    const client = new Client({ connectionString: db.url });
    await client.connect();
    let idleRounds = 0;
    let lastCount = -1;
    while (idleRounds < 3) {
      await sleep(1000);
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM price_change_rates');
      idleRounds = Number(rows[0]!.n) === lastCount ? idleRounds + 1 : 0;
      lastCount = Number(rows[0]!.n);
    }

    // Assert
    const { rows } = await client.query<{ exchange: string; symbol: string; rows: string; first: Date; last: Date }>(
      'SELECT exchange, symbol, count(*) AS rows, min(time) AS first, max(time) AS last FROM price_change_rates GROUP BY exchange, symbol',
    );
    await client.end();
    for (const [index, { exchange }] of EXCHANGES.entries()) {
      const mine = rows.filter((r) => r.exchange === exchange);
      expect(mine.length).toBeGreaterThanOrEqual(25);
      expect(mine.every((r) => /^[A-Z0-9]+$/.test(r.symbol))).toBe(true);
      expect(mine.filter((r) => Number(r.rows) !== (r.last.getTime() - r.first.getTime()) / 1000 + 1)).toEqual([]);
      expect(Math.max(...mine.map((r) => Number(r.rows)))).toBeGreaterThanOrEqual(8);
      expect(latest[index]!.length).toBeGreaterThanOrEqual(25);
    }
    // The same pair under all three exchanges, side by side.
    const pairsOf = (exchange: string) => new Set(rows.filter((r) => r.exchange === exchange).map((r) => r.symbol));
    const common = [...pairsOf('binance')].filter((symbol) => pairsOf('okx').has(symbol) && pairsOf('bybit').has(symbol));
    expect(common.length).toBeGreaterThan(10);
    // Each collector's heartbeat names its exchange (the API's /v1/status reads them).
    expect(heartbeats).toEqual(['binance', 'okx', 'bybit']);
  }, 120_000);
});
