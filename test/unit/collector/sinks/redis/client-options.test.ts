import { collectorRedisOptions, REDIS_KEEPALIVE_MS, redisTimeoutKind } from '../../../../../services/collector/sinks/redis';

describe('collectorRedisOptions', () => {
  it('bounds every command and replaces a socket that stops answering, both after the command timeout', () => {
    // Act
    const options = collectorRedisOptions({ url: 'redis://127.0.0.1:6379/0', tls: false, commandTimeoutMs: 1500 });

    // Assert
    expect(options).toMatchObject({ commandTimeout: 1500, socketTimeout: 1500, disconnectTimeout: 1500, connectTimeout: 3000, keepAlive: REDIS_KEEPALIVE_MS });
    expect(options.enableOfflineQueue).toBe(false);
    expect(options.password).toBeUndefined();
    expect(options.tls).toBeUndefined();
  });

  it('gives a TCP connect at least a second, and passes TLS and the AUTH token on', () => {
    // Act
    const options = collectorRedisOptions({ url: 'rediss://cache.example:6379/0', tls: true, password: 'token', commandTimeoutMs: 200 });

    // Assert
    expect(options.connectTimeout).toBe(1000);
    expect(options).toMatchObject({ tls: {}, password: 'token' });
  });

  it('backs off reconnects up to 5 s', () => {
    // Act
    const { retryStrategy } = collectorRedisOptions({ url: 'redis://127.0.0.1:6379/0', tls: false, commandTimeoutMs: 1500 });

    // Assert
    expect([1, 5, 100].map((attempt) => retryStrategy?.(attempt))).toEqual([200, 1000, 5000]);
  });
});

describe('redisTimeoutKind', () => {
  it.each([
    [new Error('Command timed out'), 'command'],
    [new Error("Socket timeout. Expecting data, but didn't receive any in 1500ms."), 'command'],
    [Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 'connect'],
    [new Error('connect ECONNREFUSED 127.0.0.1:6379'), undefined],
    [new Error("Stream isn't writeable and enableOfflineQueue options is false"), undefined],
    [new Error('READONLY You can\'t write against a read only replica.'), undefined],
  ])('classifies %s as %s', (error, expected) => {
    // Act
    const kind = redisTimeoutKind(error);

    // Assert
    expect(kind).toBe(expected);
  });
});
