import { loadCollectorConfig } from '../../../../services/collector/config';
import { ConfigError } from '../../../../services/shared';

describe('loadCollectorConfig', () => {
  it('applies the documented defaults', () => {
    // Act
    const config = loadCollectorConfig({});

    // Assert
    expect(config).toMatchObject({
      exchange: 'binance',
      wsUrl: 'wss://stream.binance.com:9443',
      restUrl: 'https://api.binance.com',
      symbols: ['ALL'],
      maxStreamsPerConnection: 200,
      persistIntervalMs: 1000,
      redisTtlSeconds: 300,
      httpPort: 8080,
      shard: { count: 1, index: 0 },
    });
    expect(config.sqs).toBeUndefined();
  });

  it('parses symbols, SQS and shard settings', () => {
    // Act
    const config = loadCollectorConfig({
      SYMBOLS: ' btcusdt, ETHUSDT ,',
      SQS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/q',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      SHARD_COUNT: '4',
      SHARD_INDEX: '3',
      BINANCE_WS_URL: 'ws://127.0.0.1:9443/',
    });

    // Assert
    expect(config.symbols).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(config.sqs).toMatchObject({ queueUrl: 'http://127.0.0.1:4566/000000000000/q', region: 'us-east-1', endpoint: 'http://127.0.0.1:4566', maxMessageBytes: 262_144 });
    expect(config.shard).toEqual({ count: 4, index: 3 });
    expect(config.wsUrl).toBe('ws://127.0.0.1:9443');
  });

  it.each([
    [{ MAX_STREAMS_PER_CONNECTION: '1025' }, 'MAX_STREAMS_PER_CONNECTION'],
    [{ MAX_STREAMS_PER_CONNECTION: 'many' }, 'MAX_STREAMS_PER_CONNECTION'],
    [{ SHARD_COUNT: '2', SHARD_INDEX: '2' }, 'SHARD_INDEX'],
    [{ REDIS_URL: 'http://redis' }, 'REDIS_URL'],
    [{ BINANCE_WS_URL: 'not a url' }, 'BINANCE_WS_URL'],
    [{ SYMBOLS: 'ALL,BTCUSDT' }, 'SYMBOLS'],
    [{ SYMBOLS: 'BTC-USDT' }, 'SYMBOLS'],
    [{ LOG_LEVEL: 'LOUD' }, 'LOG_LEVEL'],
    [{ EXCHANGE: 'kraken' }, 'EXCHANGE'],
    [{ EXCHANGE: 'okx', OKX_WS_URL: 'https://ws.okx.com' }, 'OKX_WS_URL'],
    [{ EXCHANGE: 'bybit', BYBIT_REST_URL: 'ftp://api.bybit.com' }, 'BYBIT_REST_URL'],
  ])('refuses %j naming %s', (env, variable) => {
    // Act
    const load = () => loadCollectorConfig(env);

    // Assert
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`${variable}=`));
  });

  it.each([
    ['okx', 'wss://ws.okx.com:8443/ws/v5/public', 'https://www.okx.com'],
    ['bybit', 'wss://stream.bybit.com/v5/public/spot', 'https://api.bybit.com'],
  ])('takes the endpoints of EXCHANGE=%s, its public API by default', (exchange, wsUrl, restUrl) => {
    // Act
    const config = loadCollectorConfig({ EXCHANGE: exchange, BINANCE_WS_URL: 'ws://127.0.0.1:1' });

    // Assert
    expect(config).toMatchObject({ exchange, wsUrl, restUrl });
  });

  it('points an exchange at a simulator by its own variables, a bare host being enough', () => {
    // Act
    const config = loadCollectorConfig({ EXCHANGE: 'okx', OKX_WS_URL: 'ws://127.0.0.1:9444/', OKX_REST_URL: 'http://127.0.0.1:9444' });

    // Assert
    expect(config).toMatchObject({ exchange: 'okx', wsUrl: 'ws://127.0.0.1:9444', restUrl: 'http://127.0.0.1:9444' });
  });

  it('takes TLS from the URL scheme unless REDIS_TLS says otherwise, and an explicit AUTH token', () => {
    // Act
    const fromScheme = loadCollectorConfig({ REDIS_URL: 'rediss://:token@cache.example:6379/0' });
    const forced = loadCollectorConfig({ REDIS_URL: 'redis://cache.example:6379/0', REDIS_TLS: 'true', REDIS_PASSWORD: 'secret' });

    // Assert
    expect(fromScheme.redisTls).toBe(true);
    expect(forced).toMatchObject({ redisTls: true, redisPassword: 'secret' });
    expect(loadCollectorConfig({}).redisTls).toBe(false);
  });

  it('treats empty strings as unset', () => {
    // Act
    const config = loadCollectorConfig({ SQS_QUEUE_URL: '', HTTP_PORT: '' });

    // Assert
    expect(config.sqs).toBeUndefined();
    expect(config.httpPort).toBe(8080);
  });
});
