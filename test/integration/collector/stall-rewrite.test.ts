import { Client } from 'pg';
import { Collector, loadCollectorConfig } from '../../../services/collector';
import { runMigrations } from '../../../services/shared/db';
import { startSimulator, type SimulatorHandle } from '../../../services/simulator';
import { createTestDatabase, e2eCollectorEnv, openTestRedis, sqsEndpoint, startTestIngest, type TestDatabase, type TestIngest, type TestRedis } from '../../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

interface StoredRow {
  symbol: string;
  time: number;
  evaluatedAt: number;
  price: string;
  flags: string[];
}

/** The price of the definition at `t`: the simulator's last trade at or before it. */
function referencePrice(trades: ReadonlyArray<{ p: string; T: number }>, t: number): string | undefined {
  let low = 0;
  let high = trades.length - 1;
  let found: string | undefined;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (trades[mid]!.T <= t) {
      found = trades[mid]!.p;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/**
 * Issue 11 §7: a silent exchange connection (the simulator's stall fault) left
 * ~9 s of rows holding the last price with a current `evaluated_at` and no flag,
 * and the trades the gap backfill fetched afterwards never corrected them. Run on
 * real services (SQS endpoint, ingest, PostgreSQL), every row of the stall
 * window must equal the simulator's trade record at its `evaluated_at`, or be
 * flagged.
 */
describe('collector history across a stalled connection', () => {
  const region = 'us-east-1';
  const endpoint = sqsEndpoint();
  let sim: SimulatorHandle | undefined;
  let redis: TestRedis | undefined;
  let db: TestDatabase | undefined;
  let ingest: TestIngest | undefined;
  let collector: Collector | undefined;

  afterEach(async () => {
    await collector?.stop();
    await ingest?.stop();
    await sim?.stop();
    await redis?.cleanup();
    await db?.drop();
  });

  it('rewrites the rows of the stall window from the backfilled trades once the gap closes', async () => {
    // Prepare: no warm start, so rows are unflagged unless something is wrong with them.
    db = await createTestDatabase('mdc_stall');
    await runMigrations({ databaseUrl: db.url });
    redis = await openTestRedis();
    ingest = await startTestIngest({ endpoint, region, databaseUrl: db.url, name: `stall-${Date.now()}` });
    const simulator = await startSimulator({ port: 0, symbols: 30, rate: 600, seed: 21, logLevel: 'ERROR' });
    sim = simulator;
    const env = { ...e2eCollectorEnv({ sim: simulator, redisUrl: redis.url, collectorId: 'stall-rewrite', queueUrl: ingest.queueUrl, sqsEndpoint: endpoint, region }), WARM_START: 'false' };
    const running = new Collector({ config: loadCollectorConfig(env) });
    collector = running;
    await running.start();
    await waitFor(() => running.readiness().ready, 15_000, 'the collector to be ready');
    await sleep(4000);
    const connections = () => running.status().connections as Array<{ state: string; reconnects: number }>;
    const counters = () => running.status().counters as { gaps: number; heldTrades: number };

    // Act: every connection goes silent until the collector replaces it and backfills the gap.
    const stallAt = running.clock.now();
    await fetch(`${simulator.restUrl}/_sim/stall`, { method: 'POST' });
    await waitFor(() => connections().every((c) => c.reconnects >= 1 && c.state === 'open'), 25_000, 'replacement of the stalled connection');
    await waitFor(() => counters().gaps > 0 && counters().heldTrades === 0, 10_000, 'the gaps to close');
    const recoveredAt = running.clock.now();
    // Two intervals and the settle time later every interval of the window is closed and rewritten.
    await sleep(3500);
    const rewritten = (running.status().sqs as { rowsRewritten: number }).rowsRewritten;
    await running.stop();
    collector = undefined;
    const client = new Client({ connectionString: db.url });
    await client.connect();
    let stable = 0;
    let last = -1;
    while (stable < 3) {
      await sleep(1000);
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM price_change_rates');
      stable = Number(rows[0]!.n) === last ? stable + 1 : 0;
      last = Number(rows[0]!.n);
    }
    const { rows } = await client.query<StoredRow>(
      `SELECT symbol, (extract(epoch FROM time) * 1000)::float8 AS "time", (extract(epoch FROM evaluated_at) * 1000)::float8 AS "evaluatedAt", price::text AS price, flags
         FROM price_change_rates WHERE time >= $1 AND time <= $2 ORDER BY symbol, time`,
      [new Date(stallAt - 1000), new Date(recoveredAt + 1000)],
    );
    await client.end();

    // Assert
    const trades = new Map(simulator.market.symbols.map((symbol) => [symbol, simulator.market.aggTrades(symbol)]));
    const wrong = rows.filter((row) => row.flags.length === 0 && referencePrice(trades.get(row.symbol)!, Math.round(row.evaluatedAt)) !== row.price);
    const stallSeconds = (recoveredAt - stallAt) / 1000;
    expect(stallSeconds).toBeGreaterThan(5);
    expect(rewritten).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(30 * stallSeconds * 0.9);
    expect(wrong.slice(0, 5)).toEqual([]);
    // The rows written while the gap was open (flagged `gap`) were rewritten too.
    expect(rows.filter((row) => row.flags.includes('gap'))).toEqual([]);
  }, 90_000);
});
