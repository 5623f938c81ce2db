import { Collector, loadCollectorConfig } from '../../../services/collector';
import { startSimulator, type SimulatorHandle } from '../../../services/simulator';
import { eventually, GatewayHarness } from './harness';

/**
 * The real pipeline: the simulator, a collector and the gateway on one Redis db.
 * The collector publishes on `rates:binance`, which other test files' collectors
 * may use at the same time (pub/sub ignores db indexes), so the assertions hold
 * whatever else arrives: order per symbol, snapshot from this db, movers, health.
 */
describe('the gateway fed by a collector on the simulator', () => {
  let sim: SimulatorHandle;
  let collector: Collector;
  let h: GatewayHarness;

  afterEach(async () => {
    await collector?.stop();
    await sim?.stop();
    await h.stop();
  });

  it('streams a snapshot, live updates in ts order, movers and the collector health', async () => {
    // Prepare
    sim = await startSimulator({ port: 0, symbols: 40, rate: 400, seed: 11, logLevel: 'ERROR' });
    h = new GatewayHarness();
    await h.start({ GATEWAY_EXCHANGES: 'binance', GATEWAY_MOVERS_INTERVAL_MS: '200', GATEWAY_HEALTH_INTERVAL_MS: '300' });
    collector = new Collector({
      config: loadCollectorConfig({ BINANCE_WS_URL: sim.wsUrl, BINANCE_REST_URL: sim.restUrl, REDIS_URL: h.redis.url, HTTP_PORT: '0', COLLECTOR_ID: `gw-itest-${process.pid}`, LOG_LEVEL: 'ERROR', SYMBOLS: 'ALL' }),
      heartbeatIntervalMs: 500,
    });
    await collector.start();
    await eventually(async () => (await h.redis.client.keys('rates:binance:*USDT')).length >= 10, 'the collector to write hashes', 20_000);
    const client = await h.client();

    // Act
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: 'binance', symbols: '*' });
    client.send({ op: 'subscribe', id: 2, channel: 'movers', exchange: 'binance', window: '1m', limit: 5 });
    client.send({ op: 'subscribe', id: 3, channel: 'health' });
    const snapshot = await client.waitFor((m) => m.type === 'snapshot', 'the snapshot');
    await eventually(() => client.updates().length >= 50, '50 updates', 20_000);
    const health = await client.waitFor((m) => m.type === 'health' && (m.collectors as { collectorId: string }[]).some((c) => c.collectorId === `gw-itest-${process.pid}`), 'the collector in health');

    // Assert
    const hashes = (await h.redis.client.keys('rates:binance:*')).filter((key) => !key.includes(':rank:'));
    expect((snapshot.rates as { symbol: string }[]).length).toBeGreaterThanOrEqual(10);
    expect((snapshot.rates as { symbol: string }[]).every((r) => hashes.includes(`rates:binance:${r.symbol}`))).toBe(true);
    const lastTs = new Map<string, number>();
    for (const rate of [...(snapshot.rates as Record<string, string>[]), ...client.updates()]) {
      expect(Number(rate.ts)).toBeGreaterThan(lastTs.get(rate.symbol!) ?? -Infinity);
      lastTs.set(rate.symbol!, Number(rate.ts));
    }
    expect(client.ofType('movers').length).toBeGreaterThan(0);
    expect(health).toMatchObject({ type: 'health' });
    expect(client.ofType('error')).toEqual([]);
  });
});
