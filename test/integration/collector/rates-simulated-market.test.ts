import { Collector, loadCollectorConfig } from '../../../services/collector';
import { formatChange } from '../../../services/shared/rates';
import { startSimulator, type SimulatorHandle } from '../../../services/simulator';
import { openTestRedis, type TestRedis } from '../../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RestAggTrade {
  a: number;
  p: string;
  T: number;
}

/** Every aggTrade of a symbol with T in [from, to], paging by id as a client of Binance would. */
async function aggTrades(restUrl: string, symbol: string, from: number, to: number): Promise<RestAggTrade[]> {
  const trades: RestAggTrade[] = [];
  let url = `${restUrl}/api/v3/aggTrades?symbol=${symbol}&startTime=${from}&endTime=${to}&limit=1000`;
  for (;;) {
    const page = (await (await fetch(url)).json()) as RestAggTrade[];
    trades.push(...page.filter((t) => t.T <= to));
    if (page.length < 1000 || page[page.length - 1]!.T > to) return trades;
    url = `${restUrl}/api/v3/aggTrades?symbol=${symbol}&fromId=${page[page.length - 1]!.a + 1}&limit=1000`;
  }
}

describe('rates for 1000 simulated symbols at 10,000 trades a second', () => {
  let sim: SimulatorHandle;
  let redis: TestRedis;
  let collector: Collector;

  afterAll(async () => {
    await collector?.stop();
    await sim?.stop();
    await redis?.cleanup();
  });

  it('matches the simulator\'s own trades, decays a paused symbol to 0 %, and keeps TTLs and rank sets', async () => {
    // Prepare
    redis = await openTestRedis();
    sim = await startSimulator({ port: 0, symbols: 1000, rate: 10_000, seed: 42, logLevel: 'ERROR' });
    collector = new Collector({
      config: loadCollectorConfig({ BINANCE_WS_URL: sim.wsUrl, BINANCE_REST_URL: sim.restUrl, REDIS_URL: redis.url, HTTP_PORT: '0', SYMBOLS: 'ALL', LOG_LEVEL: 'ERROR' }),
    });
    const liveSince = Date.now();
    await collector.start();
    while (!collector.readiness().ready) await sleep(100);
    // A symbol that trades often enough to have a price, paused from now on.
    await sleep(2000);
    const paused = sim.market.symbols.slice(0, 50).find((s) => (sim.market.aggTrades(s).filter((t) => t.T > liveSince).length ?? 0) > 5)!;
    await fetch(`${sim.restUrl}/_sim/pause?symbols=${paused}`, { method: 'POST' });

    // Act: a minute and the settle time pass.
    await sleep(63_000);

    // Assert: the paused symbol reads 0 % over one minute.
    const pausedHash = await redis.client.hgetall(`rates:binance:${paused}`);
    expect(pausedHash.change_1m).toBe('0');

    // Assert: 1m changes equal those computed from the simulator's REST trades, for the
    // symbols whose 1m reference is a live trade (quieter ones still rest on candles).
    const candidates = sim.market.symbols.filter((s) => s !== paused).slice(0, 60);
    const checked: string[] = [];
    const mismatches: string[] = [];
    for (const symbol of candidates) {
      const hash = await redis.client.hgetall(`rates:binance:${symbol}`);
      if (!hash.ts) continue;
      const ts = Number(hash.ts);
      const trades = await aggTrades(sim.restUrl, symbol, ts - 75_000, ts);
      const at = (t: number) => [...trades].reverse().find((trade) => trade.T <= t);
      const current = at(ts);
      const reference = at(ts - 60_000);
      if (!current || !reference || reference.T < liveSince + 3000) continue;
      checked.push(symbol);
      const expected = formatChange(((Number(current.p) - Number(reference.p)) / Number(reference.p)) * 100);
      if (hash.price !== current.p || hash.change_1m !== expected) mismatches.push(`${symbol} at ${ts}: ${hash.price} ${hash.change_1m} != ${current.p} ${expected}`);
    }
    expect(checked.length).toBeGreaterThan(20);
    expect(mismatches).toEqual([]);

    // Assert: TTLs and top movers.
    const ttl = await redis.client.ttl(`rates:binance:${checked[0]}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    for (const window of ['1m', '5m', '15m']) expect(await redis.client.zcard(`rates:binance:rank:${window}`)).toBeGreaterThan(500);
    const [topSymbol, topScore] = await redis.client.zrevrange('rates:binance:rank:5m', 0, 0, 'WITHSCORES');
    expect(Number(await redis.client.hget(`rates:binance:${topSymbol}`, 'change_5m'))).toBeCloseTo(Number(topScore), 8);
  }, 120_000);
});
