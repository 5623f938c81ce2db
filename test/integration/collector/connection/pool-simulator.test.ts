import { ExchangeClock } from '../../../../services/collector/clock';
import { ConnectionPool, type ConnectionPoolOptions, type PoolState } from '../../../../services/collector/connection';
import type { Trade } from '../../../../services/collector/domain';
import { BinanceStreamProtocol } from '../../../../services/collector/exchange';
import { CollectorMetrics } from '../../../../services/collector/metrics';
import { createLogger } from '../../../../services/shared';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../../../../services/simulator';

/**
 * The connection pool against the exchange simulator (real sockets, the real
 * Binance protocol adapter) with short ping/pong and liveness settings so faults
 * play out in seconds. The simulator enforces Binance's limits: more than 5
 * incoming messages a second, or a missed pong, and it disconnects.
 */
const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

interface Harness {
  sim: SimulatorHandle;
  pool: ConnectionPool;
  metrics: CollectorMetrics;
  trades: Trade[];
  states: PoolState[];
  streams: string[];
}

const harnesses: Harness[] = [];

async function start(simOptions: SimulatorOptions, symbolCount: number, poolOptions: Partial<ConnectionPoolOptions> = {}): Promise<Harness> {
  const sim = await startSimulator({ port: 0, rate: 300, seed: 7, pingIntervalMs: 1_000, pongTimeoutMs: 3_000, logLevel: 'SILENT', ...simOptions });
  const metrics = new CollectorMetrics({ collectDefaults: false });
  const trades: Trade[] = [];
  const states: PoolState[] = [];
  const pool = new ConnectionPool({
    protocol: new BinanceStreamProtocol(),
    baseWsUrl: sim.wsUrl,
    clock: new ExchangeClock(),
    // Bounded on purpose: the test only needs recent trades.
    onTrade: (trade) => {
      if (trades.length >= 50_000) trades.splice(0, 25_000);
      trades.push(trade);
    },
    metrics,
    logger,
    connection: { liveness: { idleMs: 1_000, pongTimeoutMs: 1_000 }, backoff: { baseMs: 200, maxMs: 2_000 } },
    ...poolOptions,
  });
  pool.on('state', (state) => states.push(state));
  const streams = sim.market.symbols.slice(0, symbolCount).map((s) => `${s.toLowerCase()}@aggTrade`);
  const harness = { sim, pool, metrics, trades, states, streams };
  harnesses.push(harness);
  pool.setStreams(streams);
  pool.start();
  return harness;
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    await h.pool.stop(2_000);
    await h.sim.stop();
  }
});

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

async function fault(sim: SimulatorHandle, path: string): Promise<unknown> {
  const response = await fetch(`${sim.restUrl}/_sim/${path}`, { method: 'POST' });
  expect(response.status).toBe(200);
  return response.json();
}

async function metricValue(metrics: CollectorMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

function serverSideHealthy(h: Harness): boolean {
  const stats = h.sim.stats();
  const live = stats.perConnection.filter((c) => !c.stalled);
  return live.length === h.pool.assignment().size && live.reduce((n, c) => n + c.streams, 0) === h.streams.length;
}

describe('ConnectionPool against the simulator', () => {
  it('holds 1000 streams on 5 acknowledged connections of 200 without exceeding 5 messages a second', async () => {
    const h = await start({ symbols: 1000 }, 1000);
    await waitFor('pool ready', () => h.pool.ready, 15_000);
    const stats = h.sim.stats();
    expect(stats.connections).toBe(5);
    expect(stats.subscriptions).toBe(1000);
    expect(stats.perConnection.map((c) => c.streams)).toEqual([200, 200, 200, 200, 200]);
    expect(h.pool.status().connections.every((c) => c.state === 'open' && c.streams === 200)).toBe(true);
    // Several ping periods: pongs and our own pings stay under the limit.
    await waitFor('trades', () => h.trades.length > 100, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = h.sim.stats();
    expect(after.disconnects['too-many-messages'] ?? 0).toBe(0);
    expect(after.disconnects['pong-timeout'] ?? 0).toBe(0);
    expect(after.connections).toBe(5);
    expect(h.pool.ready).toBe(true);
    expect(await metricValue(h.metrics, 'collector_connections', { state: 'open' })).toBe(5);
    expect(await metricValue(h.metrics, 'collector_reconnects_total')).toBe(0);
  });

  it('after /_sim/drop reconnects and resubscribes every connection within seconds', async () => {
    const h = await start({ symbols: 400 }, 400);
    await waitFor('pool ready', () => h.pool.ready, 15_000);
    const before = h.pool.status().connections.map((c) => c.id);
    await fault(h.sim, 'drop');
    await waitFor('pool degraded', () => h.pool.state === 'degraded', 5_000);
    await waitFor('pool ready again', () => h.pool.ready && serverSideHealthy(h), 10_000);
    expect(h.pool.status().connections.map((c) => c.id)).toEqual(before);
    expect(h.pool.status().connections.every((c) => c.reconnects === 1)).toBe(true);
    expect(await metricValue(h.metrics, 'collector_reconnects_total')).toBe(2);
    const count = h.trades.length;
    await waitFor('trades after reconnect', () => h.trades.length > count + 20, 10_000);
  });

  it('after /_sim/stall replaces the dead connections within 15 s', async () => {
    const h = await start({ symbols: 400 }, 400);
    await waitFor('pool ready', () => h.pool.ready, 15_000);
    await fault(h.sim, 'stall');
    const stalledAt = Date.now();
    await waitFor('pool degraded', () => h.pool.state === 'degraded', 15_000);
    await waitFor('pool ready again', () => h.pool.ready && serverSideHealthy(h), 15_000 - (Date.now() - stalledAt));
    expect(Date.now() - stalledAt).toBeLessThan(15_000);
    expect(await metricValue(h.metrics, 'collector_reconnects_total', { reason: 'liveness' })).toBe(2);
    const count = h.trades.length;
    await waitFor('trades after replacement', () => h.trades.length > count + 20, 10_000);
  });

  it('after /_sim/garbage stays connected and counts the rejects', async () => {
    const h = await start({ symbols: 400 }, 400);
    await waitFor('pool ready', () => h.pool.ready, 15_000);
    await fault(h.sim, 'garbage');
    await waitFor('rejects counted', () => h.pool.status().connections.every((c) => c.messages > 0), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rejected = await metricValue(h.metrics, 'collector_rejected_messages_total');
    // Each connection got the burst: broken JSON, wrong types, bad prices, unknown stream, oversized, a binary frame.
    expect(rejected).toBeGreaterThanOrEqual(2 * 10);
    expect(await metricValue(h.metrics, 'collector_rejected_messages_total', { reason: 'oversized' })).toBe(2);
    expect(await metricValue(h.metrics, 'collector_reconnects_total')).toBe(0);
    expect(h.pool.ready).toBe(true);
    expect(h.states).not.toContain('degraded');
    expect(h.trades.every((t) => t.price > 0 && Number.isFinite(t.price))).toBe(true);
    const count = h.trades.length;
    await waitFor('trades after garbage', () => h.trades.length > count + 20, 10_000);
  });

  it('on /_sim/shutdown-notice rotates make-before-break with no interval without a subscribed connection', async () => {
    const h = await start({ symbols: 400 }, 400);
    await waitFor('pool ready', () => h.pool.ready, 15_000);
    const rotated: string[] = [];
    h.pool.on('rotated', (shard, reason, oldId, newId) => rotated.push(`${shard}:${reason}:${oldId}->${newId}`));
    const statesBefore = h.states.length;
    await fault(h.sim, 'shutdown-notice?graceMs=3000');
    await waitFor('both shards rotated', () => rotated.length === 2, 10_000);
    expect(rotated.sort()).toEqual(['s1:server_shutdown:s1.1->s1.2', 's2:server_shutdown:s2.1->s2.2']);
    // The pool never went degraded: each shard kept an open connection throughout.
    expect(h.states.slice(statesBefore)).toEqual([]);
    expect(h.pool.ready).toBe(true);
    await waitFor('old connections gone on the server', () => serverSideHealthy(h), 5_000);
    // The old connections were closed by us before the server's grace period ended.
    expect(h.sim.stats().disconnects['shutdown-notice'] ?? 0).toBe(0);
    expect(await metricValue(h.metrics, 'collector_connection_rotations_total', { reason: 'server_shutdown' })).toBe(2);
    expect(await metricValue(h.metrics, 'collector_reconnects_total')).toBe(0);
  });

  it('applies a live stream-set change as the difference only', async () => {
    const h = await start({ symbols: 500 }, 300);
    await waitFor('pool ready', () => h.pool.ready, 15_000);
    const before = h.pool.status().connections;
    expect(before.map((c) => c.streams)).toEqual([150, 150]);
    const assignment = h.pool.assignment();
    const s1 = [...(assignment.get('s1') ?? [])];
    const s2 = [...(assignment.get('s2') ?? [])];
    // Drop 30 streams of s2 and add 100 new ones: they fill the room left on the two connections, none opens or reconnects.
    const added = h.sim.market.symbols.slice(300, 400).map((s) => `${s.toLowerCase()}@aggTrade`);
    const next = [...s1, ...s2.slice(30), ...added];
    h.streams = next;
    h.pool.setStreams(next);
    await waitFor('server matches', () => serverSideHealthy(h) && h.pool.status().connections.every((c) => c.pendingStreams === 0), 10_000);
    const after = h.pool.status().connections;
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(after.every((c) => c.reconnects === 0 && c.streams <= 200)).toBe(true);
    expect(after.reduce((n, c) => n + c.streams, 0)).toBe(370);
    expect(h.states).not.toContain('degraded');
    const newSymbols = new Set(added.map((s) => s.split('@')[0]!.toUpperCase()));
    const removedSymbols = new Set(s2.slice(0, 30).map((s) => s.split('@')[0]!.toUpperCase()));
    await waitFor('trades of added symbols', () => h.trades.some((t) => newSymbols.has(t.symbol)), 10_000);
    const mark = h.trades.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(h.trades.slice(mark).some((t) => removedSymbols.has(t.symbol))).toBe(false);
  });
});
