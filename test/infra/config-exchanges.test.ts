import { App } from 'aws-cdk-lib';
import { collectorDeployments, ContextError, DEFAULT_CONFIG, loadConfig, parseExchanges, parseShards } from '../../lib/config';
import { collectorServiceName, collectorShardId, collectorSpillPath, DEFAULT_EXCHANGE_ENDPOINTS } from '../../lib/exchanges';

const load = (context: Record<string, unknown>) => loadConfig(new App({ context }).node);

/** The error a call throws, so its type, key and message can all be checked. */
function thrown(act: () => unknown): ContextError {
  try {
    act();
  } catch (error) {
    if (error instanceof ContextError) return error;
    throw error;
  }
  throw new Error('expected a ContextError');
}

describe('exchanges context', () => {
  test('defaults to binance alone, with shardCount shards', () => {
    // Act
    const config = load({});

    // Assert
    expect(config.exchanges).toEqual(['binance']);
    expect(config.shards).toEqual({ binance: 1 });
    expect(collectorDeployments(config)).toEqual([{ exchange: 'binance', shardCount: 1, endpoints: DEFAULT_EXCHANGE_ENDPOINTS.binance }]);
  });

  test('reads a comma list from the command line and an array from cdk.json, in the canonical order', () => {
    // Act
    const fromCli = load({ exchanges: ' bybit, binance ,OKX' });
    const fromJson = load({ exchanges: ['okx', 'binance'] });

    // Assert
    expect(fromCli.exchanges).toEqual(['binance', 'okx', 'bybit']);
    expect(fromJson.exchanges).toEqual(['binance', 'okx']);
  });

  test.each([
    ['', /name at least one exchange/],
    [' , ', /name at least one exchange/],
    ['binance,kraken', /"kraken" is not an exchange; use a comma list of binance, okx, bybit/],
    ['okx,binance,okx', /okx is listed twice/],
  ])('refuses exchanges=%j naming the key', (value, message) => {
    // Act
    const error = thrown(() => load({ exchanges: value }));

    // Assert
    expect(error.key).toBe('exchanges');
    expect(error.code).toBe('INVALID_CONTEXT');
    expect(error.message).toMatch(/^Context exchanges=/);
    expect(error.message).toMatch(message);
  });

  test('parseExchanges refuses an empty array', () => {
    expect(() => parseExchanges([])).toThrow(/Context exchanges= is invalid: name at least one exchange/);
  });
});

describe('shards context', () => {
  test('gives each listed exchange its own count and the others shardCount', () => {
    // Act
    const config = load({ exchanges: 'binance,okx,bybit', shardCount: 3, shards: 'okx=2, bybit=1' });

    // Assert
    expect(config.shards).toEqual({ binance: 3, okx: 2, bybit: 1 });
    expect(collectorDeployments(config).map((d) => [d.exchange, d.shardCount])).toEqual([
      ['binance', 3],
      ['okx', 2],
      ['bybit', 1],
    ]);
  });

  test('accepts an object from cdk.json', () => {
    expect(load({ exchanges: 'binance,okx', shards: { okx: 4 } }).shards).toEqual({ binance: 1, okx: 4 });
  });

  test.each([
    ['okx', /"okx" is not exchange=count/],
    ['okx=2,kraken=1', /names "kraken", which is not an exchange/],
    ['bybit=2', /gives bybit a shard count, but exchanges=binance,okx does not deploy it/],
    ['okx=1,okx=2', /gives okx a shard count twice/],
    ['okx=0', /Context shards \(okx\)=0 must be an integer from 1 to 64/],
    ['okx=two', /Context shards \(okx\)=two must be an integer from 1 to 64/],
  ])('refuses shards=%j naming the key', (value, message) => {
    // Act
    const error = thrown(() => load({ exchanges: 'binance,okx', shards: value }));

    // Assert
    expect(error.key).toMatch(/^shards/);
    expect(error.message).toMatch(message);
  });

  test('parseShards without overrides is shardCount for every exchange', () => {
    expect(parseShards(undefined, ['binance', 'bybit'], 2)).toEqual({ binance: 2, bybit: 2 });
    expect(parseShards('', ['okx'], 5)).toEqual({ okx: 5 });
  });
});

describe('exchange endpoints context', () => {
  test('default to the public spot endpoints and can be overridden per exchange', () => {
    // Act
    const config = load({ exchanges: 'okx,bybit', okxWsUrl: 'ws://10.0.0.1:9000', bybitRestUrl: 'http://10.0.0.2:9001' });

    // Assert
    expect(collectorDeployments(config)).toEqual([
      { exchange: 'okx', shardCount: 1, endpoints: { wsUrl: 'ws://10.0.0.1:9000', restUrl: DEFAULT_EXCHANGE_ENDPOINTS.okx.restUrl } },
      { exchange: 'bybit', shardCount: 1, endpoints: { wsUrl: DEFAULT_EXCHANGE_ENDPOINTS.bybit.wsUrl, restUrl: 'http://10.0.0.2:9001' } },
    ]);
    expect(DEFAULT_CONFIG.okxWsUrl).toBe('wss://ws.okx.com:8443/ws/v5/public');
    expect(DEFAULT_CONFIG.bybitWsUrl).toBe('wss://stream.bybit.com/v5/public/spot');
  });

  test.each([
    ['okxWsUrl', 'https://ws.okx.com'],
    ['bybitRestUrl', 'wss://api.bybit.com'],
  ])('refuses %s=%s naming the key', (key, value) => {
    const error = thrown(() => load({ [key]: value }));
    expect(error.key).toBe(key);
    expect(error.message).toMatch(new RegExp(`^Context ${key}=`));
  });
});

describe('collector names', () => {
  test('binance keeps the names of a single-exchange deployment; the others carry the exchange', () => {
    expect([collectorServiceName('binance', 0), collectorShardId('binance', 0), collectorSpillPath('binance', 0)]).toEqual(['collector-shard-0', 'Shard0', '/collector-shard-0']);
    expect([collectorServiceName('okx', 1), collectorShardId('okx', 1), collectorSpillPath('okx', 1)]).toEqual(['collector-okx-shard-1', 'OkxShard1', '/collector-okx-shard-1']);
    expect([collectorServiceName('bybit', 0), collectorShardId('bybit', 0), collectorSpillPath('bybit', 0)]).toEqual(['collector-bybit-shard-0', 'BybitShard0', '/collector-bybit-shard-0']);
  });
});
