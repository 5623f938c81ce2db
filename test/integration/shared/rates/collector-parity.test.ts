import Redis from 'ioredis';
import { RedisRatesWriter } from '../../../../services/collector/sinks/redis';
import { decodeRateHash, decodeRatesMessage, encodeRateHash, rateFieldsFromHash, rateKey, ratesChannel, type RateState } from '../../../../services/shared/rates';
import { openTestRedis, type TestRedis } from '../../../support';

/** What the collector writes and publishes today is what services/shared/rates encodes and decodes. */
describe('shared rates module against the collector writer', () => {
  let redis: TestRedis;
  let writerClient: Redis;
  let subscriber: Redis;
  // Pub/sub is not scoped by db index: an exchange name of its own keeps parallel files apart.
  const exchange = `par${process.pid}`;

  beforeEach(async () => {
    redis = await openTestRedis();
    writerClient = new Redis(redis.url);
    subscriber = new Redis(redis.url);
  });

  afterEach(async () => {
    writerClient.disconnect();
    subscriber.disconnect();
    await redis.cleanup();
  });

  it('decodes the hash and the channel message the writer produces', async () => {
    // Prepare
    const state: RateState = { symbol: 'BTCUSDT', priceText: '97000.10', ts: 1_700_000_000_000, tradeTs: 1_699_999_999_990, change1m: 0.125, change15m: -2, flags: ['backfilled', 'gap'] };
    const messages: string[] = [];
    await subscriber.subscribe(ratesChannel(exchange));
    subscriber.on('message', (_channel, message: string) => messages.push(message));
    const writer = new RedisRatesWriter({ redis: writerClient, exchange, ttlSeconds: 300, flushIntervalMs: 1 });

    // Act
    writer.update(state);
    await writer.flush();
    const hash = await redis.client.hgetall(rateKey(exchange, 'BTCUSDT'));
    while (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await writer.close();

    // Assert
    const { symbol: _symbol, ...fields } = encodeRateHash(state);
    expect(hash).toEqual(fields);
    expect(rateFieldsFromHash('BTCUSDT', hash)).toEqual(encodeRateHash(state));
    expect(decodeRateHash('BTCUSDT', hash)).toEqual({ symbol: 'BTCUSDT', price: '97000.10', ts: state.ts, tradeTs: state.tradeTs, change_1m: 0.125, change_5m: null, change_15m: -2, flags: ['backfilled', 'gap'] });
    expect(decodeRatesMessage(messages[0]!)).toEqual({ rates: [encodeRateHash(state)], invalid: 0 });
  });
});
