import { loadGatewayConfig } from '../../../services/gateway/config';
import { EnvironmentError } from '../../../services/shared';

describe('loadGatewayConfig', () => {
  it('has the contract defaults', () => {
    // Act
    const config = loadGatewayConfig({});

    // Assert
    expect(config).toMatchObject({ port: 8090, auth: 'none', conflateMs: 250, exchanges: ['binance', 'okx', 'bybit'], tokenSecrets: [], redisUrl: 'redis://127.0.0.1:6379/0' });
  });

  it('takes a comma list of exchanges, trimmed and deduplicated, and refuses a bad name', () => {
    // Act
    const config = loadGatewayConfig({ GATEWAY_EXCHANGES: ' okx, binance,okx ' });

    // Assert
    expect(config.exchanges).toEqual(['okx', 'binance']);
    expect(() => loadGatewayConfig({ GATEWAY_EXCHANGES: 'Binance' })).toThrow(/GATEWAY_EXCHANGES/);
  });

  it('takes the current and the previous signing key with token auth', () => {
    // Act
    const config = loadGatewayConfig({ GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET: 'c'.repeat(32), GATEWAY_TOKEN_SECRET_PREVIOUS: 'p'.repeat(32), GATEWAY_CONFLATE_MS: '0' });

    // Assert
    expect(config.tokenSecrets).toEqual(['c'.repeat(32), 'p'.repeat(32)]);
    expect(config.conflateMs).toBe(0);
  });

  it('names every bad variable and hides the secret', () => {
    // Act
    let error: unknown;
    try {
      loadGatewayConfig({ GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET: 'too-short-secret', GATEWAY_PORT: 'abc', GATEWAY_CONFLATE_MS: '-1' });
    } catch (caught) {
      error = caught;
    }

    // Assert
    expect(error).toBeInstanceOf(EnvironmentError);
    const { problems, message } = error as EnvironmentError;
    expect(problems.map((p) => p.variable).sort()).toEqual(['GATEWAY_CONFLATE_MS', 'GATEWAY_PORT', 'GATEWAY_TOKEN_SECRET']);
    expect(message).not.toContain('too-short-secret');
  });

  it('requires a signing key with token auth', () => {
    // Act / Assert
    expect(() => loadGatewayConfig({ GATEWAY_AUTH: 'token' })).toThrow(/GATEWAY_TOKEN_SECRET.*required when GATEWAY_AUTH=token/);
  });
});

describe('token keys by secret ARN', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:k';

  it('takes GATEWAY_TOKEN_SECRET_ARN instead of a key in the environment', () => {
    // Act
    const config = loadGatewayConfig({ GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET_ARN: ARN, GATEWAY_TOKEN_REFRESH_MS: '60000' });

    // Assert
    expect(config).toMatchObject({ auth: 'token', tokenSecretArn: ARN, tokenSecrets: [], tokenRefreshMs: 60_000 });
  });

  it.each([
    [{ GATEWAY_AUTH: 'token' }, /GATEWAY_TOKEN_SECRET/],
    [{ GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET: 'k'.repeat(32), GATEWAY_TOKEN_SECRET_ARN: ARN }, /GATEWAY_TOKEN_SECRET_ARN/],
    [{ GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET_ARN: 'gateway-key' }, /GATEWAY_TOKEN_SECRET_ARN/],
  ])('refuses %j naming the variable', (env, message) => {
    // Act / Assert
    expect(() => loadGatewayConfig(env)).toThrow(message);
  });
});
