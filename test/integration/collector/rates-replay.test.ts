import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { Collector, loadCollectorConfig } from '../../../services/collector';
import { formatChange } from '../../../services/shared/rates';
import { startSimulator, type SimulatorHandle } from '../../../services/simulator';
import { describeWithSharedData, openTestRedis, sharedDataFile, type TestRedis } from '../../support';

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

describeWithSharedData('rates from the real BTCUSDT trades replayed at 120x', () => {
  let sim: SimulatorHandle;
  let redis: TestRedis;
  let subscriber: Redis;
  let collector: Collector;

  afterAll(async () => {
    await collector?.stop();
    subscriber?.disconnect();
    await sim?.stop();
    await redis?.cleanup();
  });

  it('publishes on rates:binance only values equal to the reference computed from the same trades', async () => {
    // Prepare: the recording, in id order (ids are consecutive, times non-decreasing).
    const file = sharedDataFile('btcusdt-aggtrades-2020-02-22.jsonl');
    const recorded: RecordedTrade[] = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { data: { a: number; T: number; p: string } }).data)
      .map((d) => ({ id: d.a, time: d.T, price: d.p }))
      .sort((x, y) => x.id - y.id);
    redis = await openTestRedis();
    subscriber = new Redis(redis.url);
    const published: Array<Record<string, string>> = [];
    subscriber.on('message', (_channel, message) => published.push(...(JSON.parse(message) as Array<Record<string, string>>)));
    await subscriber.subscribe('rates:binance');
    sim = await startSimulator({ port: 0, replayFile: file, speed: 120, logLevel: 'ERROR' });
    const config = loadCollectorConfig({
      BINANCE_WS_URL: sim.wsUrl,
      BINANCE_REST_URL: sim.restUrl,
      REDIS_URL: redis.url,
      HTTP_PORT: '0',
      SYMBOLS: 'BTCUSDT',
      LOG_LEVEL: 'ERROR',
      // Candles would stand in for trades older than the first one received; the
      // replay starts with the collector's subscription, so there are none to use.
      WARM_START: 'false',
      // A 2-hour recording played in about a minute: only trades a day old would be stale.
      STALE_AFTER_MS: '86400000',
    });
    collector = new Collector({ config });

    // Act: the whole recording, about 63 s at 120x.
    await collector.start();
    const deadline = Date.now() + 110_000;
    while (Date.now() < deadline) {
      const replay = sim.stats().replay;
      if (replay && replay.started && replay.position >= replay.total) break;
      await sleep(250);
    }
    await sleep(1500);

    // Assert
    expect(sim.stats().replay?.position).toBe(recorded.length);
    const mismatches: string[] = [];
    for (const message of published) {
      const ts = Number(message.ts);
      const current = latestAtOrBefore(recorded, ts);
      if (!current || current.price !== message.price) mismatches.push(`ts ${ts}: price ${message.price} != ${current?.price}`);
      for (const [field, windowMs] of WINDOWS) {
        const reference = latestAtOrBefore(recorded, ts - windowMs);
        const expected = current && reference ? formatChange(((Number(current.price) - Number(reference.price)) / Number(reference.price)) * 100) : '';
        if ((message[field] ?? '') !== expected) mismatches.push(`ts ${ts} ${field}: ${message[field]} != ${expected}`);
      }
    }
    // Coalescing per flush merges trades of one burst; most still get a message of their own.
    expect(published.length).toBeGreaterThan(1000);
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(published.some((m) => m.change_15m !== undefined)).toBe(true);
    const final = await redis.client.hgetall('rates:binance:BTCUSDT');
    expect(final.price).toBe(recorded[recorded.length - 1]!.price);
  }, 150_000);
});
