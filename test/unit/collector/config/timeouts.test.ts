import { loadCollectorConfig } from '../../../../services/collector/config';
import { ConfigError } from '../../../../services/shared';

describe('loadCollectorConfig: dependency timeouts', () => {
  it('defaults to a 1.5 s Redis command timeout and a 3 s SQS request timeout', () => {
    // Act
    const config = loadCollectorConfig({ SQS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/q' });

    // Assert
    expect(config.redisCommandTimeoutMs).toBe(1500);
    expect(config.sqs?.requestTimeoutMs).toBe(3000);
  });

  it('takes both from the environment', () => {
    // Act
    const config = loadCollectorConfig({ SQS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/q', REDIS_COMMAND_TIMEOUT_MS: '250', SQS_REQUEST_TIMEOUT_MS: '10000' });

    // Assert
    expect(config.redisCommandTimeoutMs).toBe(250);
    expect(config.sqs?.requestTimeoutMs).toBe(10_000);
  });

  it.each([
    [{ REDIS_COMMAND_TIMEOUT_MS: '0' }, 'REDIS_COMMAND_TIMEOUT_MS'],
    [{ REDIS_COMMAND_TIMEOUT_MS: '1.5s' }, 'REDIS_COMMAND_TIMEOUT_MS'],
    [{ SQS_REQUEST_TIMEOUT_MS: '99' }, 'SQS_REQUEST_TIMEOUT_MS'],
  ])('refuses %j naming %s', (env, variable) => {
    // Act
    const load = () => loadCollectorConfig(env);

    // Assert
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`${variable}=`));
  });
});
