import { Client } from 'pg';
import { Collector, loadCollectorConfig } from '../../services/collector';
import { runMigrations } from '../../services/shared/db';
import { startSimulator, type SimulatorHandle } from '../../services/simulator';
import { createTestDatabase, e2eCollectorEnv, openTestRedis, sqsEndpoint, startTestIngest, TcpProxy, type TestDatabase, type TestIngest, type TestRedis } from '../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The whole history path on real services: simulator -> collector -> SQS (fauxqs)
 * -> ingest handler (through the event-source runner) -> PostgreSQL, across a
 * collector restart and a 30 s SQS outage.
 */
describe('history pipeline end to end', () => {
  const region = 'us-east-1';
  const endpoint = sqsEndpoint();
  let sim: SimulatorHandle;
  let redis: TestRedis;
  let db: TestDatabase;
  let ingest: TestIngest;
  const collectors: Collector[] = [];

  afterAll(async () => {
    for (const collector of collectors) await collector.stop();
    await ingest?.stop();
    await sim?.stop();
    await redis?.cleanup();
    await db?.drop();
  });

  it('stores exactly one row per symbol per second for 100 symbols, across a SIGTERM restart and a 30 s SQS outage', async () => {
    // Prepare
    db = await createTestDatabase('mdc_e2e');
    await runMigrations({ databaseUrl: db.url });
    redis = await openTestRedis();
    ingest = await startTestIngest({ endpoint, region, databaseUrl: db.url, name: `e2e-${Date.now()}` });
    sim = await startSimulator({ port: 0, symbols: 100, rate: 1000, seed: 77, logLevel: 'ERROR' });
    const target = new URL(endpoint);
    const sqsProxy = new TcpProxy(target.hostname, Number(target.port || 4566));
    const proxyPort = await sqsProxy.start();
    const startCollector = async (id: string, sqsUrl: string) => {
      const collector = new Collector({
        config: loadCollectorConfig(e2eCollectorEnv({ sim, redisUrl: redis.url, collectorId: id, queueUrl: ingest.queueUrl, sqsEndpoint: sqsUrl, region })),
      });
      collectors.push(collector);
      await collector.start();
      return collector;
    };

    // Act: 20 s, a graceful stop and a restart after 2 s, then 30 s without SQS, then 12 s.
    const first = await startCollector('e2e-a', endpoint);
    await sleep(20_000);
    await first.stop();
    await sleep(2000);
    const second = await startCollector('e2e-b', `http://127.0.0.1:${proxyPort}`);
    await sleep(5000);
    await sqsProxy.stop();
    await sleep(30_000);
    const spilled = (second.status().sqs as { spillBytes: number }).spillBytes;
    await sqsProxy.start(proxyPort);
    // The sender probes SQS at most 5 s apart while it is away, then drains the spill.
    await sleep(12_000);
    await second.stop();
    await sqsProxy.stop();
    // The ingest runner drains what is left.
    let idleRounds = 0;
    let lastCount = -1;
    const client = new Client({ connectionString: db.url });
    await client.connect();
    while (idleRounds < 3) {
      await sleep(1000);
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM price_change_rates');
      idleRounds = Number(rows[0]!.n) === lastCount ? idleRounds + 1 : 0;
      lastCount = Number(rows[0]!.n);
    }

    // Assert: per symbol, one row for every second from its first to its last, none twice.
    const { rows } = await client.query<{ symbol: string; rows: string; first: Date; last: Date; gaps: string }>(
      `SELECT symbol, count(*) AS rows, min(time) AS first, max(time) AS last,
              count(*) FILTER (WHERE 'gap' = ANY(flags)) AS gaps
         FROM price_change_rates GROUP BY symbol`,
    );
    const statuses = await client.query('SELECT DISTINCT collector_id FROM collection_status');
    await client.end();
    expect(spilled).toBeGreaterThan(0);
    expect(rows).toHaveLength(100);
    const incomplete = rows.filter((r) => Number(r.rows) !== (r.last.getTime() - r.first.getTime()) / 1000 + 1);
    expect(incomplete).toEqual([]);
    const spanSeconds = Math.min(...rows.map((r) => (r.last.getTime() - r.first.getTime()) / 1000 + 1));
    expect(spanSeconds).toBeGreaterThanOrEqual(64);
    // Seconds no collector watched are filled from the last state, flagged gap (symbols
    // whose first state after the restart already falls in such a second need none).
    expect(rows.reduce((sum, r) => sum + Number(r.gaps), 0)).toBeGreaterThan(0);
    expect(statuses.rows.map((r) => r.collector_id).sort()).toEqual(['e2e-a', 'e2e-b']);
  }, 180_000);
});
