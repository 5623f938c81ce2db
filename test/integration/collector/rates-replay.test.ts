import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { Collector, loadCollectorConfig } from '../../../services/collector';
import { formatChange } from '../../../services/shared/rates';
import { startSimulator, type SimulatorHandle } from '../../../services/simulator';
import { describeWithSharedData, exchangeCollectorEnv, lockChannels, openTestRedis, sharedDataFile, type TestRedis } from '../../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WINDOWS = [
  ['change_1m', 60_000],
  ['change_5m', 300_000],
  ['change_15m', 900_000],
] as const;

interface RecordedTrade {
  id: number;
  time: number;
  price: string;
}

/** The definition computed from the recording itself: latest trade at or before a time. */
function latestAtOrBefore(trades: RecordedTrade[], t: number): RecordedTrade | undefined {
  let low = 0;
  let high = trades.length - 1;
  let found: RecordedTrade | undefined;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (trades[mid]!.time <= t) {
      found = trades[mid];
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

const EXCHANGES = [{ exchange: 'binance' }, { exchange: 'okx' }, { exchange: 'bybit' }] as const;

describeWithSharedData('rates from the real BTCUSDT trades replayed at 240x through each exchange', () => {
  const sims: SimulatorHandle[] = [];
  const collectors: Collector[] = [];
  let redis: TestRedis;
  let subscriber: Redis;
  let releaseChannels: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await Promise.all(collectors.map((collector) => collector.stop()));
    subscriber?.disconnect();
    await Promise.all(sims.map((sim) => sim.stop()));
    await redis?.cleanup();
    await releaseChannels?.();
  });

  it('publishes on rates:<exchange> only values equal to the reference computed from the same trades, the same through binance, okx and bybit', async () => {
    // Prepare: the recording, in id order (ids are consecutive, times non-decreasing).
    const file = sharedDataFile('btcusdt-aggtrades-2020-02-22.jsonl');
    const recorded: RecordedTrade[] = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { data: { a: number; T: number; p: string } }).data)
      .map((d) => ({ id: d.a, time: d.T, price: d.p }))
      .sort((x, y) => x.id - y.id);
    releaseChannels = await lockChannels('okx-bybit');
    redis = await openTestRedis();
    subscriber = new Redis(redis.url);
    const published = new Map<string, Array<Record<string, string>>>(EXCHANGES.map(({ exchange }) => [exchange, []]));
    subscriber.on('message', (channel, message) => published.get(channel.slice('rates:'.length))?.push(...(JSON.parse(message) as Array<Record<string, string>>)));
    await subscriber.subscribe(...EXCHANGES.map(({ exchange }) => `rates:${exchange}`));
    for (const { exchange } of EXCHANGES) {
      // Each simulator re-encodes the Binance lines in its exchange's own format (times and prices kept).
      const sim = await startSimulator({ exchange, port: 0, replayFile: file, speed: 240, logLevel: 'ERROR' });
      sims.push(sim);
      const config = loadCollectorConfig(exchangeCollectorEnv(exchange, sim, {
        REDIS_URL: redis.url,
        COLLECTOR_ID: `replay-${exchange}`,
        SYMBOLS: 'BTCUSDT',
        // Candles would stand in for trades older than the first one received; the
        // replay starts with the collector's subscription, so there are none to use.
        WARM_START: 'false',
        // A 2-hour recording played in about a minute: only trades a day old would be stale.
        STALE_AFTER_MS: '86400000',
      }));
      collectors.push(new Collector({ config }));
    }

    // Act: the whole recording, about 32 s at 240x, through the three at once.
    await Promise.all(collectors.map((collector) => collector.start()));
    const deadline = Date.now() + 110_000;
    const done = () => sims.every((sim) => {
      const replay = sim.stats().replay;
      return replay !== undefined && replay.started && replay.position >= replay.total;
    });
    while (Date.now() < deadline && !done()) await sleep(250);
    await sleep(1500);

    // Assert
    const finals: string[] = [];
    for (const [index, { exchange }] of EXCHANGES.entries()) {
      expect(sims[index]!.stats().replay?.position).toBe(recorded.length);
      // Other test files' collectors publish on rates:binance too (pub/sub ignores db indexes): theirs carry today's times.
      const replayed = (m: Record<string, string>) => m.symbol === 'BTCUSDT' && Number(m.ts) >= recorded[0]!.time && Number(m.ts) <= recorded[recorded.length - 1]!.time + 86_400_000;
      const messages = published.get(exchange)!.filter(replayed);
      const mismatches: string[] = [];
      for (const message of messages) {
        const ts = Number(message.ts);
        const current = latestAtOrBefore(recorded, ts);
        // Each exchange writes prices its own way (OKX and Bybit drop Binance's trailing zeros): the value must match.
        if (!current || Number(current.price) !== Number(message.price)) mismatches.push(`${exchange} ts ${ts}: price ${message.price} != ${current?.price}`);
        for (const [field, windowMs] of WINDOWS) {
          const reference = latestAtOrBefore(recorded, ts - windowMs);
          const expected = current && reference ? formatChange(((Number(current.price) - Number(reference.price)) / Number(reference.price)) * 100) : '';
          if ((message[field] ?? '') !== expected) mismatches.push(`${exchange} ts ${ts} ${field}: ${message[field]} != ${expected}`);
        }
      }
      // Coalescing per flush merges trades of one burst; most still get a message of their own.
      expect(messages.length).toBeGreaterThan(1000);
      expect(mismatches.slice(0, 10)).toEqual([]);
      expect(messages.some((m) => m.change_15m !== undefined)).toBe(true);
      const final = await redis.client.hgetall(`rates:${exchange}:BTCUSDT`);
      expect(Number(final.price)).toBe(Number(recorded[recorded.length - 1]!.price));
      finals.push([String(Number(final.price)), ...['tradeTs', 'change_1m', 'change_5m', 'change_15m'].map((field) => final[field])].join(' '));
    }
    // The last state of each exchange rests on the same trades: identical, field for field.
    expect(new Set(finals).size).toBe(1);
  }, 150_000);
});
