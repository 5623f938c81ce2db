import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Collector, loadCollectorConfig } from '../../../services/collector';
import type { Trade } from '../../../services/collector/domain';
import { startSimulator, type SimulatorHandle } from '../../../services/simulator';
import { CONFIG_SNAPSHOT_KEY, CONFIG_UPDATES_CHANNEL } from '../../../services/shared';
import { REPO_ROOT } from '../../../localstack/env';
import { openTestRedis, sleep, TcpProxy, type TestRedis, waitFor } from '../../support';


/** Every symbol's trade ids must be consecutive: nothing lost, nothing twice. */
function missingOrRepeatedIds(trades: Map<string, number[]>): string[] {
  const problems: string[] = [];
  for (const [symbol, ids] of trades) {
    for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1]! + 1) problems.push(`${symbol}: ${ids[i - 1]} -> ${ids[i]}`);
  }
  return problems;
}

describe('collector against the simulator', () => {
  let sim: SimulatorHandle;
  let redis: TestRedis;
  let collector: Collector | undefined;
  let tradeIds: Map<string, number[]>;

  const startCollector = async (env: Record<string, string> = {}) => {
    const config = loadCollectorConfig({
      BINANCE_WS_URL: sim.wsUrl,
      BINANCE_REST_URL: sim.restUrl,
      REDIS_URL: redis.url,
      HTTP_PORT: '0',
      COLLECTOR_ID: 'itest',
      LOG_LEVEL: 'ERROR',
      SYMBOLS: 'ALL',
      MAX_STREAMS_PER_CONNECTION: '100',
      ...env,
    });
    collector = new Collector({ config, heartbeatIntervalMs: 500 });
    tradeIds = new Map();
    collector.on('trade', (trade: Trade) => {
      let ids = tradeIds.get(trade.symbol);
      if (!ids) tradeIds.set(trade.symbol, (ids = []));
      ids.push(trade.tradeId);
    });
    await collector.start();
    await waitFor(() => collector!.readiness().ready, 15_000, 'the collector to be ready');
    return collector;
  };

  const connections = () => (collector!.status().connections as Array<{ id: string; state: string; streams: number; pendingStreams: number; reconnects: number }>);
  const fault = (action: string) => fetch(`${sim.restUrl}/_sim/${action}`, { method: 'POST' });

  beforeEach(async () => {
    redis = await openTestRedis();
  });

  afterEach(async () => {
    await collector?.stop();
    collector = undefined;
    await sim?.stop();
    await redis.cleanup();
  });

  it('subscribes 300 symbols over 3 connections and writes a hash per traded symbol', async () => {
    // Prepare
    sim = await startSimulator({ port: 0, symbols: 300, rate: 3000, seed: 7, logLevel: 'ERROR' });

    // Act
    await startCollector();
    await sleep(1500);

    // Assert
    const open = connections();
    expect(open).toHaveLength(3);
    expect(open.every((c) => c.state === 'open' && c.streams === 100)).toBe(true);
    const traded = sim.market.symbols.filter((symbol) => tradeIds.has(symbol));
    await sleep(100); // one flush interval (20 ms) and then some
    expect(traded.length).toBeGreaterThan(100);
    const hashes = await Promise.all(traded.map((symbol) => redis.client.hgetall(`rates:binance:${symbol}`)));
    expect(hashes.every((hash) => hash.price !== undefined && Number(hash.ts) > 0)).toBe(true);
    expect(await redis.client.ttl(`rates:binance:${traded[0]}`)).toBeGreaterThan(0);
    expect(await redis.client.exists('status:collector:itest')).toBe(1);
    expect(missingOrRepeatedIds(tradeIds)).toEqual([]);
  });

  it('resubscribes within seconds after every connection is cut and backfills the missed trades', async () => {
    // Prepare
    sim = await startSimulator({ port: 0, symbols: 300, rate: 3000, seed: 8, logLevel: 'ERROR' });
    await startCollector();
    await sleep(500);

    // Act
    await fault('drop');
    await sleep(300);
    const recoveredInMs = await waitFor(() => collector!.readiness().ready && connections().every((c) => c.reconnects >= 1 && c.state === 'open'), 10_000, 'resubscription');
    await waitFor(() => {
      const counters = collector!.status().counters as { backfilled: number; heldTrades: number; activeBackfills: number };
      return counters.backfilled > 0 && counters.heldTrades === 0 && counters.activeBackfills === 0;
    }, 10_000, 'backfills');
    await sleep(500);

    // Assert
    const counters = collector!.status().counters as { gaps: number; backfilled: number; unrecoverable: number };
    expect(recoveredInMs).toBeLessThan(10_000);
    expect(counters.gaps).toBeGreaterThan(0);
    expect(counters.backfilled).toBeGreaterThan(0);
    expect(counters.unrecoverable).toBe(0);
    expect(missingOrRepeatedIds(tradeIds)).toEqual([]);
  });

  it('replaces stalled connections within 15 s with the default liveness settings', async () => {
    // Prepare
    sim = await startSimulator({ port: 0, symbols: 100, rate: 1000, seed: 9, logLevel: 'ERROR' });
    await startCollector();

    // Act
    await fault('stall');
    const replacedInMs = await waitFor(() => connections().every((c) => c.reconnects >= 1 && c.state === 'open'), 20_000, 'replacement of stalled connections');

    // Assert
    expect(replacedInMs).toBeLessThan(15_000);
    expect(collector!.state).toBe('running');
  }, 40_000);

  it('stays healthy through garbage frames and counts them by reason', async () => {
    // Prepare
    sim = await startSimulator({ port: 0, symbols: 50, rate: 500, seed: 10, logLevel: 'ERROR' });
    await startCollector();

    // Act
    await fault('garbage');
    await sleep(500);

    // Assert
    const metrics = await collector!.metrics.registry.getSingleMetricAsString('collector_rejected_messages_total');
    for (const reason of ['invalid_json', 'invalid_price', 'missing_field', 'oversized']) expect(metrics).toContain(`reason="${reason}"`);
    expect(collector!.readiness().ready).toBe(true);
    expect(connections().every((c) => c.state === 'open')).toBe(true);
    expect(missingOrRepeatedIds(tradeIds)).toEqual([]);
  });

  it('fills gaps after REST answers 429 for a while, honouring Retry-After', async () => {
    // Prepare
    sim = await startSimulator({ port: 0, symbols: 50, rate: 1000, seed: 11, logLevel: 'ERROR' });
    await startCollector();

    // Act: REST refuses for 2 s while every connection is cut.
    await fault('rest-fail?status=429&seconds=2');
    await fault('drop');
    await waitFor(() => connections().every((c) => c.reconnects >= 1 && c.state === 'open') && (collector!.status().counters as { gaps: number }).gaps > 0, 15_000, 'reconnection and gap detection');
    await waitFor(() => {
      const counters = collector!.status().counters as { backfilled: number; heldTrades: number; activeBackfills: number };
      return counters.backfilled > 0 && counters.heldTrades === 0 && counters.activeBackfills === 0;
    }, 15_000, 'backfills to complete');

    // Assert
    const counters = collector!.status().counters as { backfilled: number; unrecoverable: number };
    expect(counters.backfilled).toBeGreaterThan(0);
    expect(counters.unrecoverable).toBe(0);
    expect(missingOrRepeatedIds(tradeIds)).toEqual([]);
    const rest = await collector!.metrics.registry.getSingleMetricAsString('collector_rest_requests_total');
    expect(rest).toContain('status="429"');
  }, 30_000);

  it('applies a new config snapshot live, subscribing only the difference', async () => {
    // Prepare
    sim = await startSimulator({ port: 0, symbols: 300, rate: 1000, seed: 12, logLevel: 'ERROR' });
    const [first, second, third] = sim.market.symbols;
    await startCollector({ SYMBOLS: `${first},${second}` });
    const before = connections().map((c) => c.id);
    const snapshot = { version: 1, symbols: [first, second, third].map((symbol) => ({ exchange: 'binance', symbol, enabled: symbol !== second })) };

    // Act
    await redis.client.set(CONFIG_SNAPSHOT_KEY, JSON.stringify(snapshot));
    await redis.client.publish(CONFIG_UPDATES_CHANNEL, '1');
    const appliedInMs = await waitFor(
      () => (collector!.status().config as { version: number | null }).version === 1 && connections().every((c) => c.pendingStreams === 0),
      5000,
      'the snapshot to be subscribed',
    );
    // An older snapshot must be ignored.
    await redis.client.set(CONFIG_SNAPSHOT_KEY, JSON.stringify({ version: 0, symbols: [] }));
    await redis.client.publish(CONFIG_UPDATES_CHANNEL, '0');
    await sleep(300);

    // Assert
    expect(appliedInMs).toBeLessThan(2000);
    expect(collector!.status().symbols).toBe(2);
    expect(connections().map((c) => c.id)).toEqual(before);
    expect(sim.stats().subscriptions).toBe(2);
    expect(await redis.client.exists(`rates:binance:${second}`)).toBe(0);
  });

  it('keeps collecting while Redis is down, reports it on /ready, and writes the newest state when Redis returns', async () => {
    // Prepare: the collector reaches Redis through a proxy the test takes down.
    sim = await startSimulator({ port: 0, symbols: 20, rate: 500, seed: 14, logLevel: 'ERROR' });
    const target = new URL(redis.url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    await startCollector({ REDIS_URL: `redis://127.0.0.1:${port}${target.pathname}` });
    const processedBefore = (collector!.status().counters as { tradesProcessed: number }).tradesProcessed;

    // Act: Redis is away for 2 s.
    const downAt = Date.now();
    await proxy.stop();
    await waitFor(() => !collector!.readiness().ready, 5000, '/ready to report Redis');
    const reasons = collector!.readiness().reasons.join('; ');
    await sleep(2000);
    const processedWhileDown = (collector!.status().counters as { tradesProcessed: number }).tradesProcessed - processedBefore;
    await proxy.start(port);
    await waitFor(() => collector!.readiness().ready && collector!.state === 'running', 15_000, 'recovery');
    await sleep(200);
    await proxy.stop();

    // Assert
    expect(reasons).toMatch(/redis/);
    expect(processedWhileDown).toBeGreaterThan(0);
    expect(collector!.state).toBe('running');
    // Symbols that traded during the outage carry a state from after it began.
    const tradedWhileDown = sim.market.symbols.filter((symbol) => sim.market.aggTrades(symbol).some((t) => t.T > downAt + 100 && t.T < downAt + 2000));
    const times = await Promise.all(tradedWhileDown.map((symbol) => redis.client.hget(`rates:binance:${symbol}`, 'tradeTs')));
    expect(tradedWhileDown.length).toBeGreaterThan(0);
    expect(times.every((t) => Number(t) > downAt)).toBe(true);
  }, 40_000);

  it('exits 0 within 10 s on SIGTERM', async () => {
    // Prepare
    sim = await startSimulator({ port: 0, symbols: 100, rate: 1000, seed: 13, logLevel: 'ERROR' });
    // Node with tsx's loader, not the tsx CLI: the CLI relays SIGTERM to its child and,
    // when the child's "I handle it" reply is slow (a loaded machine), exits 143 itself.
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services', 'collector', 'main.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, BINANCE_WS_URL: sim.wsUrl, BINANCE_REST_URL: sim.restUrl, REDIS_URL: redis.url, HTTP_PORT: '0', LOG_LEVEL: 'INFO', SYMBOLS: 'ALL', COLLECTOR_ID: 'sigterm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('"state":"running"'), 20_000, 'the collector to run');

    // Act
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const code = await exited;

    // Assert
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(output).toContain('collector stopped');
    expect(await redis.client.exists('status:collector:sigterm')).toBe(0);
  }, 40_000);
});
