import Redis from 'ioredis';
import { RedisRatesWriter } from '../../../../services/collector/sinks/redis';
import { decodePreviousState, type RateState } from '../../../../services/shared/rates';
import { openTestRedis, TcpProxy, type TestRedis } from '../../../support';

const state = (symbol: string, ts: number, overrides: Partial<RateState> = {}): RateState => ({
  symbol,
  priceText: '100.50',
  ts,
  tradeTs: ts - 5,
  flags: [],
  ...overrides,
});

describe('RedisRatesWriter', () => {
  let redis: TestRedis;
  const writers: RedisRatesWriter[] = [];
  const clients: Redis[] = [];

  const newWriter = (overrides: Partial<ConstructorParameters<typeof RedisRatesWriter>[0]> = {}) => {
    const client = new Redis(redis.url);
    clients.push(client);
    const writer = new RedisRatesWriter({ redis: client, exchange: 'binance', ttlSeconds: 300, flushIntervalMs: 5, ...overrides });
    writers.push(writer);
    return writer;
  };

  beforeEach(async () => {
    redis = await openTestRedis();
  });

  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close();
    for (const client of clients.splice(0)) client.disconnect();
    await redis.cleanup();
  });

  it('writes the contract fields, leaves unknown changes absent, and sets the TTL', async () => {
    // Prepare
    const writer = newWriter();

    // Act
    writer.update(state('BTCUSDT', 1_700_000_000_000, { change1m: 1.25, flags: ['backfilled', 'gap'] }));
    await writer.flush();

    // Assert
    const hash = await redis.client.hgetall('rates:binance:BTCUSDT');
    expect(hash).toEqual({ price: '100.50', ts: '1700000000000', tradeTs: '1699999999995', change_1m: '1.25', flags: 'backfilled,gap' });
    const ttl = await redis.client.ttl('rates:binance:BTCUSDT');
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
  });

  it('keeps the last state of the previous persistence interval in `prev` when a state opens a new one', async () => {
    // Prepare: 1 s intervals; two states in interval 10 s, then one in 12 s.
    const writer = newWriter({ persistIntervalMs: () => 1000 });
    writer.update(state('BTCUSDT', 10_100, { priceText: '1.0' }));
    await writer.flush();
    writer.update(state('BTCUSDT', 10_900, { priceText: '1.5', change1m: 0.5, change15m: -1.25, flags: ['backfilled'] }));
    await writer.flush();
    const withinInterval = await redis.client.hget('rates:binance:BTCUSDT', 'prev');

    // Act
    writer.update(state('BTCUSDT', 12_300, { priceText: '2.0' }));
    await writer.flush();

    // Assert
    expect(withinInterval).toBeNull();
    const prev = await redis.client.hget('rates:binance:BTCUSDT', 'prev');
    expect(decodePreviousState('BTCUSDT', prev!)).toEqual({ symbol: 'BTCUSDT', priceText: '1.5', ts: 10_900, tradeTs: 10_895, change1m: 0.5, change5m: undefined, change15m: -1.25, flags: ['backfilled'] });
  });

  it('never moves a value back in time, even from a second writer', async () => {
    // Prepare: two collectors on the same symbol.
    const first = newWriter();
    const second = newWriter();
    first.update(state('ETHUSDT', 2000, { priceText: '2.00' }));
    await first.flush();

    // Act: the second writer flushes an older state late.
    second.update(state('ETHUSDT', 1000, { priceText: '1.00' }));
    await second.flush();

    // Assert
    expect(await redis.client.hget('rates:binance:ETHUSDT', 'price')).toBe('2.00');
    expect(await redis.client.hget('rates:binance:ETHUSDT', 'ts')).toBe('2000');
  });

  it('coalesces per symbol and publishes one message per flush with only the applied states', async () => {
    // Prepare
    const writer = newWriter({ flushIntervalMs: 50 });
    const subscriber = new Redis(redis.url);
    clients.push(subscriber);
    const messages: string[] = [];
    subscriber.on('message', (_channel, message) => messages.push(message));
    await subscriber.subscribe('rates:binance');

    // Act
    writer.update(state('BTCUSDT', 10, { priceText: '1' }));
    writer.update(state('BTCUSDT', 11, { priceText: '2' }));
    writer.update(state('ETHUSDT', 10, { change5m: -3.5 }));
    await writer.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assert
    expect(messages).toHaveLength(1);
    const published = JSON.parse(messages[0]!) as Array<Record<string, string>>;
    expect(published).toHaveLength(2);
    expect(published.find((m) => m.symbol === 'BTCUSDT')).toMatchObject({ price: '2', ts: '11' });
    expect(published.find((m) => m.symbol === 'ETHUSDT')).toMatchObject({ change_5m: '-3.5' });
  });

  it('splits a large flush into script calls of at most 200 symbols, trade updates first, writing every one', async () => {
    // Prepare
    const writer = newWriter({ flushIntervalMs: 50 });
    const subscriber = new Redis(redis.url);
    clients.push(subscriber);
    const messages: Array<Array<{ symbol: string }>> = [];
    subscriber.on('message', (_channel, message) => messages.push(JSON.parse(message) as Array<{ symbol: string }>));
    await subscriber.subscribe('rates:binance');

    // Act: 449 timer updates and one trade update.
    for (let i = 0; i < 449; i++) writer.update(state(`S${i}USDT`, 10));
    writer.update(state('HOTUSDT', 10, { receivedAtMono: performance.now() }));
    await writer.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assert
    expect(messages.map((m) => m.length)).toEqual([200, 200, 50]);
    expect(messages[0]![0]!.symbol).toBe('HOTUSDT');
    expect(await redis.client.exists('rates:binance:S448USDT')).toBe(1);
  });

  it('keeps the rank sets in step with the known changes', async () => {
    // Prepare
    const writer = newWriter();
    writer.update(state('AAAUSDT', 1, { change1m: 5 }));
    writer.update(state('BBBUSDT', 1, { change1m: -2 }));
    await writer.flush();

    // Act: AAA's 1m change becomes unknown.
    writer.update(state('AAAUSDT', 2));
    await writer.flush();

    // Assert
    expect(await redis.client.zrange('rates:binance:rank:1m', '0', '-1', 'WITHSCORES')).toEqual(['BBBUSDT', '-2']);
  });

  it('indexes every symbol it writes, also those with no change known yet', async () => {
    // Prepare
    const writer = newWriter();

    // Act
    writer.update(state('BBBUSDT', 1, { change1m: 5 }));
    writer.update(state('AAAUSDT', 1));
    await writer.flush();

    // Assert: score 0, so the members list in byte order
    expect(await redis.client.zrange('rates:binance:index', '0', '-1', 'WITHSCORES')).toEqual(['AAAUSDT', '0', 'BBBUSDT', '0']);
    expect(await redis.client.zrange('rates:binance:rank:1m', '0', '-1')).toEqual(['BBBUSDT']);
  });

  it('drops rank and index members whose hash expired, and removed symbols at once', async () => {
    // Prepare
    const writer = newWriter({ rankSweepIntervalMs: 100 });
    writer.update(state('AAAUSDT', 1, { change5m: 1 }));
    writer.update(state('BBBUSDT', 1, { change5m: 2 }));
    writer.update(state('CCCUSDT', 1, { change5m: 3 }));
    await writer.flush();

    // Act: AAA expires; CCC is removed from collection.
    await redis.client.del('rates:binance:AAAUSDT');
    await writer.remove(['CCCUSDT']);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assert
    expect(await redis.client.zrange('rates:binance:rank:5m', '0', '-1')).toEqual(['BBBUSDT']);
    expect(await redis.client.zrange('rates:binance:index', '0', '-1')).toEqual(['BBBUSDT']);
    expect(await redis.client.exists('rates:binance:CCCUSDT')).toBe(0);
  });

  it('keeps the newest state per symbol while Redis is unreachable and writes it when Redis returns', async () => {
    // Prepare: the writer reaches Redis through a proxy the test can take down.
    const target = new URL(redis.url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    const client = new Redis({ host: '127.0.0.1', port, db: Number(target.pathname.slice(1)), enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    clients.push(client);
    const writer = new RedisRatesWriter({ redis: client, exchange: 'binance', ttlSeconds: 300, flushIntervalMs: 5 });
    writers.push(writer);
    writer.update(state('XRPUSDT', 1, { priceText: '0.1' }));
    await writer.flush();

    // Act: Redis goes away, updates continue, Redis comes back.
    await proxy.stop();
    writer.update(state('XRPUSDT', 2, { priceText: '0.2' }));
    await writer.flush();
    writer.update(state('XRPUSDT', 3, { priceText: '0.3' }));
    const statusWhileDown = writer.status();
    await proxy.start(port);
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    await writer.flush();
    await proxy.stop();

    // Assert
    expect(statusWhileDown.healthy).toBe(false);
    expect(statusWhileDown.pending).toBe(1);
    expect(await redis.client.hget('rates:binance:XRPUSDT', 'price')).toBe('0.3');
    expect(writer.status().healthy).toBe(true);
  });
});
