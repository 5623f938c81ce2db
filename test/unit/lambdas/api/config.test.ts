import { loadApiConfig } from '../../../../lambdas/api/config';
import { ConfigError, EnvironmentError } from '../../../../services/shared/errors';

const READER = 'arn:aws:iam::123456789012:role/ConfigReader';
const ADMIN = 'arn:aws:iam::123456789012:role/ConfigAdmin';
const USER = 'arn:aws:iam::123456789012:user/ops/alice';
const SESSION = 'arn:aws:sts::123456789012:assumed-role/ConfigAdmin/alice';

function loadError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadApiConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

describe('loadApiConfig', () => {
  it('applies the defaults beside the principals', () => {
    // Act
    const config = loadApiConfig({ API_READER_PRINCIPALS: READER });

    // Assert
    expect(config).toEqual({
      readerPrincipals: [READER],
      adminPrincipals: [],
      redisUrl: 'redis://127.0.0.1:6379/0',
      redisPassword: undefined,
      redisAuthSecretArn: undefined,
      maxBodyBytes: 16_384,
      stage: 'local',
      statementTimeouts: { history: 2_000, status: 2_000, config: 10_000 },
      streamTokenSecret: undefined,
      streamTokenSecretArn: undefined,
    });
  });

  it('takes the stream token signing key as a value or as a secret ARN', () => {
    // Act
    const byValue = loadApiConfig({ API_READER_PRINCIPALS: READER, GATEWAY_TOKEN_SECRET: 'k'.repeat(32) });
    const bySecret = loadApiConfig({ API_READER_PRINCIPALS: READER, GATEWAY_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mdc/prod/stream-token-key-AbCdEf' });

    // Assert
    expect(byValue.streamTokenSecret).toBe('k'.repeat(32));
    expect(bySecret.streamTokenSecretArn).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:mdc/prod/stream-token-key-AbCdEf');
  });

  it('refuses a short signing key and a secret that is not an ARN, naming the variable', () => {
    // Act
    const short = loadError({ API_READER_PRINCIPALS: READER, GATEWAY_TOKEN_SECRET: 'short' });
    const notArn = loadError({ API_READER_PRINCIPALS: READER, GATEWAY_TOKEN_SECRET_ARN: 'stream-token-key' });

    // Assert
    expect(short.message).toContain('GATEWAY_TOKEN_SECRET');
    expect(short.message).toContain('32');
    expect(notArn.message).toContain('GATEWAY_TOKEN_SECRET_ARN');
  });

  it('splits comma lists, trims whitespace and drops empty entries', () => {
    // Act
    const config = loadApiConfig({ API_READER_PRINCIPALS: ` ${READER} ,, ${USER},`, API_ADMIN_PRINCIPALS: `${ADMIN},${SESSION}` });

    // Assert
    expect(config.readerPrincipals).toEqual([READER, USER]);
    expect(config.adminPrincipals).toEqual([ADMIN, SESSION]);
  });

  it('accepts admins alone', () => {
    // Act
    const config = loadApiConfig({ API_ADMIN_PRINCIPALS: ADMIN });

    // Assert
    expect(config.readerPrincipals).toEqual([]);
    expect(config.adminPrincipals).toEqual([ADMIN]);
  });

  it('reads every variable it knows', () => {
    // Act
    const config = loadApiConfig({
      API_ADMIN_PRINCIPALS: ADMIN,
      REDIS_URL: 'rediss://cache.example:6380/1',
      REDIS_PASSWORD: 'token',
      REDIS_AUTH_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis',
      API_MAX_BODY_BYTES: '4096',
      API_STAGE: 'prod',
      API_HISTORY_STATEMENT_TIMEOUT_MS: '1500',
      API_STATUS_STATEMENT_TIMEOUT_MS: '1000',
      API_CONFIG_STATEMENT_TIMEOUT_MS: '8000',
    });

    // Assert
    expect(config).toEqual({
      readerPrincipals: [],
      adminPrincipals: [ADMIN],
      redisUrl: 'rediss://cache.example:6380/1',
      redisPassword: 'token',
      redisAuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis',
      maxBodyBytes: 4096,
      stage: 'prod',
      statementTimeouts: { history: 1500, status: 1000, config: 8000 },
    });
  });

  it('ignores variables it does not know', () => {
    // Act
    const config = loadApiConfig({ API_ADMIN_PRINCIPALS: ADMIN, PATH: '/usr/bin', SOMETHING_ELSE: 'x' });

    // Assert
    expect(config.adminPrincipals).toEqual([ADMIN]);
  });

  it.each([
    ['both unset', {}],
    ['both empty', { API_READER_PRINCIPALS: '', API_ADMIN_PRINCIPALS: '' }],
    ['both only separators and spaces', { API_READER_PRINCIPALS: ' , ', API_ADMIN_PRINCIPALS: ',' }],
  ])('refuses principals %s: nobody could call the API', (_label, env) => {
    // Act
    const error = loadError(env);

    // Assert
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/API_READER_PRINCIPALS and API_ADMIN_PRINCIPALS are both empty/);
  });

  it.each([
    ['API_ADMIN_PRINCIPALS', { API_READER_PRINCIPALS: READER, API_ADMIN_PRINCIPALS: `${ADMIN},ConfigAdmin` }],
    ['API_ADMIN_PRINCIPALS', { API_ADMIN_PRINCIPALS: 'arn:aws:iam::12345:role/ShortAccount' }],
    ['API_ADMIN_PRINCIPALS', { API_ADMIN_PRINCIPALS: 'arn:aws:s3:::bucket' }],
    ['API_READER_PRINCIPALS', { API_READER_PRINCIPALS: 'arn:aws:iam::123456789012:role/Bad Name', API_ADMIN_PRINCIPALS: ADMIN }],
    ['REDIS_URL', { API_ADMIN_PRINCIPALS: ADMIN, REDIS_URL: 'http://127.0.0.1:6379' }],
    ['REDIS_PASSWORD', { API_ADMIN_PRINCIPALS: ADMIN, REDIS_PASSWORD: '' }],
    ['REDIS_AUTH_SECRET_ARN', { API_ADMIN_PRINCIPALS: ADMIN, REDIS_AUTH_SECRET_ARN: 'redis-secret' }],
    ['API_MAX_BODY_BYTES', { API_ADMIN_PRINCIPALS: ADMIN, API_MAX_BODY_BYTES: '255' }],
    ['API_MAX_BODY_BYTES', { API_ADMIN_PRINCIPALS: ADMIN, API_MAX_BODY_BYTES: '1048577' }],
    ['API_MAX_BODY_BYTES', { API_ADMIN_PRINCIPALS: ADMIN, API_MAX_BODY_BYTES: 'lots' }],
    ['API_HISTORY_STATEMENT_TIMEOUT_MS', { API_ADMIN_PRINCIPALS: ADMIN, API_HISTORY_STATEMENT_TIMEOUT_MS: '99' }],
    ['API_STATUS_STATEMENT_TIMEOUT_MS', { API_ADMIN_PRINCIPALS: ADMIN, API_STATUS_STATEMENT_TIMEOUT_MS: '20001' }],
    ['API_CONFIG_STATEMENT_TIMEOUT_MS', { API_ADMIN_PRINCIPALS: ADMIN, API_CONFIG_STATEMENT_TIMEOUT_MS: 'soon' }],
  ])('names %s when it is invalid', (variable, env) => {
    // Act
    const error = loadError(env);

    // Assert
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).problems.map((p) => p.variable)).toEqual([variable]);
    expect(error.message).toContain(variable);
  });

  it('explains what an invalid principal should be', () => {
    // Act
    const error = loadError({ API_ADMIN_PRINCIPALS: 'admin-role' });

    // Assert
    expect(error.message).toBe('Invalid config API configuration; fix these environment variables: API_ADMIN_PRINCIPALS="admin-role": an IAM role, user or assumed-role ARN');
  });

  it('names every bad variable in one error, not only the first', () => {
    // Act
    const error = loadError({ API_ADMIN_PRINCIPALS: ADMIN, REDIS_URL: 'http://127.0.0.1:6379', API_MAX_BODY_BYTES: 'lots', DB_SSLMODE: 'sometimes' });

    // Assert
    expect((error as EnvironmentError).problems.map((p) => p.variable)).toEqual(['DB_SSLMODE', 'REDIS_URL', 'API_MAX_BODY_BYTES']);
    expect(error.message).toMatch(/REDIS_URL="http:\/\/127\.0\.0\.1:6379": a redis:\/\/ or rediss:\/\/ URL/);
    expect(error.message).toMatch(/API_MAX_BODY_BYTES="lots": /);
    expect(error.message).toMatch(/DB_SSLMODE="sometimes": /);
  });
});
