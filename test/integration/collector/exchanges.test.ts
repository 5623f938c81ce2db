import { Collector, loadCollectorConfig } from '../../../services/collector';
import type { Trade } from '../../../services/collector/domain';
import { instrumentsKey } from '../../../services/shared/rates';
import { startSimulator, type SimulatorHandle } from '../../../services/simulator';
import { exchangeCollectorEnv, lockChannels, openTestRedis, sleep, type TestRedis, waitFor } from '../../support';


/**
 * OKX and Bybit collectors against their simulators, with the guarantees the
 * Binance suite (collector.test.ts) checks, where the exchange allows them:
 * OKX fills the span a lost socket missed over REST (history-trades); Bybit has
 * no REST by trade id, so its guarantee is no duplicates and recovery, and the
 * loss is counted (docs/exchanges.md).
 */
describe.each([
  { exchange: 'okx' as const, canBackfill: true },
  { exchange: 'bybit' as const, canBackfill: false },
])('$exchange collector against its simulator', ({ exchange, canBackfill }) => {
  let sim: SimulatorHandle;
  let redis: TestRedis;
  let collector: Collector | undefined;
  let trades: Map<string, Trade[]>;

  const startCollector = async (env: Record<string, string> = {}, pingIntervalMs?: number, liveness?: { idleMs: number; pongTimeoutMs: number }) => {
    const config = loadCollectorConfig(exchangeCollectorEnv(exchange, sim, { REDIS_URL: redis.url, COLLECTOR_ID: `itest-${exchange}`, SYMBOLS: 'ALL', MAX_STREAMS_PER_CONNECTION: '40', ...env }));
    collector = new Collector({ config, heartbeatIntervalMs: 500, ...(pingIntervalMs !== undefined ? { pingIntervalMs } : {}), ...(liveness ? { connection: { liveness } } : {}) });
    trades = new Map();
    collector.on('trade', (trade: Trade) => {
      let list = trades.get(trade.symbol);
      if (!list) trades.set(trade.symbol, (list = []));
      list.push(trade);
    });
    await collector.start();
    await waitFor(() => collector!.readiness().ready, 20_000, 'the collector to be ready');
    return collector;
  };

  const connections = () => collector!.status().connections as Array<{ id: string; state: string; streams: number; reconnects: number }>;
  const counters = () => collector!.status().counters as { gaps: number; backfilled: number; unrecoverable: number; duplicates: number; heldTrades: number; activeBackfills: number };
  const fault = (action: string) => fetch(`${sim.restUrl}/_sim/${action}`, { method: 'POST' });

  /** Per symbol: OKX ids strictly increase; Bybit's opaque ids never repeat. */
  function orderProblems(): string[] {
    const problems: string[] = [];
    for (const [symbol, list] of trades) {
      const seen = new Set<string>();
      for (let i = 0; i < list.length; i++) {
        const trade = list[i]!;
        const id = trade.tradeIdText ?? String(trade.tradeId);
        if (seen.has(id)) problems.push(`${symbol}: ${id} twice`);
        seen.add(id);
        if (exchange === 'okx' && i > 0 && trade.tradeId <= list[i - 1]!.tradeId) problems.push(`${symbol}: ${list[i - 1]!.tradeId} -> ${trade.tradeId}`);
      }
    }
    return problems;
  }

  let releaseChannels: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // Other files watch rates:okx / rates:bybit (the dashboard's "no data" check); pub/sub ignores db indexes.
    releaseChannels = await lockChannels('okx-bybit');
  }, 300_000);

  afterAll(async () => {
    await releaseChannels?.();
  });

  beforeEach(async () => {
    redis = await openTestRedis();
  });

  afterEach(async () => {
    await collector?.stop();
    collector = undefined;
    await sim?.stop();
    await redis.cleanup();
  });

  it('lists the instruments, subscribes every pair and writes rates under the project symbol', async () => {
    // Prepare
    sim = await startSimulator({ exchange, port: 0, symbols: 80, rate: 800, seed: 21, logLevel: 'ERROR' });

    // Act
    await startCollector();
    await sleep(1500);

    // Assert
    const open = connections();
    expect(open).toHaveLength(2);
    expect(open.every((c) => c.state === 'open' && c.streams === 40)).toBe(true);
    const traded = [...trades.keys()];
    expect(traded.length).toBeGreaterThan(40);
    expect(traded.every((symbol) => /^[A-Z0-9]+$/.test(symbol))).toBe(true);
    await sleep(100);
    const hashes = await Promise.all(traded.map((symbol) => redis.client.hgetall(`rates:${exchange}:${symbol}`)));
    expect(hashes.every((hash) => Number(hash.price) > 0 && Number(hash.ts) > 0)).toBe(true);
    expect(await redis.client.hlen(instrumentsKey(exchange))).toBeGreaterThanOrEqual(80);
    expect(await redis.client.hget(`status:collector:itest-${exchange}`, 'exchange')).toBe(exchange);
    expect(collector!.status().guarantees).toEqual(canBackfill ? { tradeIds: 'increasing', gapDetection: 'lost-socket', gapRefill: 'rest' } : { tradeIds: 'opaque', gapDetection: 'none', gapRefill: 'none' });
    expect(orderProblems()).toEqual([]);
  });

  it(`recovers within seconds after every connection is cut${canBackfill ? ', filling the missed span over REST' : ''}`, async () => {
    // Prepare
    sim = await startSimulator({ exchange, port: 0, symbols: 80, rate: 1600, seed: 22, logLevel: 'ERROR' });
    await startCollector();
    await sleep(500);

    // Act
    await fault('drop');
    await sleep(300);
    const recoveredInMs = await waitFor(() => collector!.readiness().ready && connections().every((c) => c.reconnects >= 1 && c.state === 'open'), 15_000, 'resubscription');
    if (canBackfill) await waitFor(() => counters().backfilled > 0 && counters().heldTrades === 0 && counters().activeBackfills === 0, 15_000, 'backfills');
    await sleep(500);

    // Assert
    expect(recoveredInMs).toBeLessThan(15_000);
    if (canBackfill) {
      expect(counters().gaps).toBeGreaterThan(0);
      expect(counters().unrecoverable).toBe(0);
    }
    expect(orderProblems()).toEqual([]);
  }, 60_000);

  it('replaces stalled connections: the probe is the exchange ping, and silence after it is death', async () => {
    // Prepare: liveness shortened (default 10 s idle + 4 s for the pong; collector.test.ts runs Binance on the defaults)
    sim = await startSimulator({ exchange, port: 0, symbols: 40, rate: 400, seed: 23, logLevel: 'ERROR' });
    await startCollector({}, undefined, { idleMs: 2_000, pongTimeoutMs: 1_500 });

    // Act
    await fault('stall');
    const replacedInMs = await waitFor(() => connections().every((c) => c.reconnects >= 1 && c.state === 'open'), 20_000, 'replacement of stalled connections');

    // Assert
    expect(replacedInMs).toBeLessThan(20_000);
    expect(collector!.state).toBe('running');
  }, 40_000);

  it('keeps a connection of a quiet market alive past the idle cut with its own pings', async () => {
    // Prepare: no trades at all, so only the collector's pings keep the socket up; the
    // simulator cuts after 3 s (OKX: 30 s) and the collector pings every second (20 s).
    sim = await startSimulator({ exchange, port: 0, symbols: 5, rate: 0, seed: 24, historyMinutes: 0, idleTimeoutMs: 3_000, logLevel: 'ERROR' });
    await startCollector({ WARM_START: 'false' }, 1_000);

    // Act: past the idle cut twice over
    await sleep(8_000);

    // Assert
    expect(connections().every((c) => c.state === 'open' && c.reconnects === 0)).toBe(true);
    expect(sim.stats().disconnects).toEqual({});
  }, 30_000);

  it('is cut by the simulator as the exchange would, without pings (the check above is not vacuous)', async () => {
    // Prepare: pings every 20 s against a 3 s cut
    sim = await startSimulator({ exchange, port: 0, symbols: 5, rate: 0, seed: 25, historyMinutes: 0, idleTimeoutMs: 3_000, logLevel: 'ERROR' });
    await startCollector({ WARM_START: 'false' });

    // Act
    await waitFor(() => connections().some((c) => c.reconnects >= 1), 15_000, 'an idle cut');

    // Assert
    expect(Object.values(sim.stats().disconnects).reduce((sum, n) => sum + (n ?? 0), 0)).toBeGreaterThan(0);
  }, 30_000);
});
