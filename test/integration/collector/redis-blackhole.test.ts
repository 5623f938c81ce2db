import { Collector, loadCollectorConfig } from '../../../services/collector';
import { startSimulator, type SimulatorHandle } from '../../../services/simulator';
import { openTestRedis, TcpProxy, type TestRedis } from '../../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
  return Date.now() - started;
}

const COMMAND_TIMEOUT_MS = 1000;
const OUTAGE_MS = 4000;

/** Redis connections in pub/sub mode and how long each has been open, from CLIENT LIST. */
async function subscriberAges(redis: TestRedis): Promise<number[]> {
  const list = (await redis.client.client('LIST')) as string;
  return list
    .split('\n')
    .filter((line) => / sub=[1-9]/.test(line))
    .map((line) => Number(/ age=(\d+)/.exec(line)?.[1]));
}

describe('collector with a blackholed Redis', () => {
  let sim: SimulatorHandle;
  let redis: TestRedis;
  let proxy: TcpProxy;
  let collector: Collector | undefined;

  beforeEach(async () => {
    redis = await openTestRedis();
    const target = new URL(redis.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.start();
  });

  /** A collector reaching Redis through the proxy, ready; resolves with a probe of its `/ready`. */
  const startCollector = async (seed: number) => {
    sim = await startSimulator({ port: 0, symbols: 20, rate: 500, seed, logLevel: 'ERROR' });
    const target = new URL(redis.url);
    const config = loadCollectorConfig({
      BINANCE_WS_URL: sim.wsUrl,
      BINANCE_REST_URL: sim.restUrl,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}${target.pathname}`,
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      HTTP_PORT: '0',
      COLLECTOR_ID: 'itest-blackhole',
      LOG_LEVEL: 'ERROR',
      SYMBOLS: 'ALL',
    });
    const subject = new Collector({ config, heartbeatIntervalMs: 500 });
    collector = subject;
    await subject.start();
    const ready = async () => (await fetch(`http://127.0.0.1:${subject.port}/ready`)).status === 200;
    await waitFor(ready, 15_000, 'the collector to be ready');
    return { subject, ready };
  };

  afterEach(async () => {
    await collector?.stop();
    collector = undefined;
    await proxy.stop();
    await sim?.stop();
    await redis.cleanup();
  });

  it('goes degraded with /ready 503 naming Redis within the command timeout, and recovers with fresh hashes once the network heals', async () => {
    // Prepare
    const { subject, ready } = await startCollector(21);
    const pendingSeen: number[] = [];

    // Act: Redis stops answering without closing anything.
    const blackholedAt = Date.now();
    proxy.blackhole();
    const detectedInMs = await waitFor(async () => !(await ready()), 5000, '/ready to answer 503');
    const readyBody = (await (await fetch(`http://127.0.0.1:${subject.port}/ready`)).json()) as { ready: boolean; reasons: string[] };
    const stateWhileBlackholed = subject.state;
    while (Date.now() - blackholedAt < OUTAGE_MS) {
      pendingSeen.push((subject.status().redis as { pending: number }).pending);
      await sleep(100);
    }
    // The old connections stay stuck for good: only replacing them recovers.
    const healedAt = Date.now();
    proxy.heal('keep');
    const recoveredInMs = await waitFor(async () => (await ready()) && subject.state === 'running', 15_000, 'recovery after the heal');
    await waitFor(async () => (await subscriberAges(redis)).some((age) => age * 1000 <= Date.now() - healedAt + 1000), 10_000, 'a new config subscriber connection');

    // Assert
    expect(detectedInMs).toBeLessThan(COMMAND_TIMEOUT_MS + 1500);
    expect(readyBody.ready).toBe(false);
    expect(readyBody.reasons.join('; ')).toMatch(/redis.*(timed out|no reply within)/i);
    expect(stateWhileBlackholed).toBe('degraded');
    expect(recoveredInMs).toBeLessThan(10_000);
    // Newest state per symbol only: bounded by the symbol count however long the outage.
    expect(Math.max(...pendingSeen)).toBeLessThanOrEqual(20);
    expect(Math.max(...pendingSeen)).toBeGreaterThan(0);
    const tradedWhileDown = sim.market.symbols.filter((symbol) => sim.market.aggTrades(symbol).some((t) => t.T > blackholedAt + 100 && t.T < healedAt));
    const times = await Promise.all(tradedWhileDown.map((symbol) => redis.client.hget(`rates:binance:${symbol}`, 'tradeTs')));
    expect(tradedWhileDown.length).toBeGreaterThan(0);
    expect(times.every((t) => Number(t) > blackholedAt)).toBe(true);
    const errors = await subject.metrics.registry.getSingleMetricAsString('collector_errors_total');
    expect(errors).toMatch(/component="redis",code="COMMAND_TIMEOUT"\} [1-9]/);
    const redisErrors = await subject.metrics.registry.getSingleMetricAsString('collector_redis_errors_total');
    expect(redisErrors).toMatch(/operation="flush"\} [1-9]/);
  }, 30_000);

  it('stops within its deadline while Redis is blackholed', async () => {
    // Prepare
    const { subject } = await startCollector(22);
    proxy.blackhole();

    // Act
    const started = Date.now();
    await subject.stop(4000);
    const stoppedInMs = Date.now() - started;

    // Assert
    expect(subject.state).toBe('stopped');
    expect(stoppedInMs).toBeLessThan(4000 + COMMAND_TIMEOUT_MS + 1000);
  });
});
