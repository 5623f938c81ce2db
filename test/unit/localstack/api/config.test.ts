import { ConfigError } from '../../../../services/shared';
import { loadLocalApiConfig } from '../../../../localstack/api';

describe('loadLocalApiConfig', () => {
  it('applies the defaults of the local environment and generates keys', () => {
    // Act
    const config = loadLocalApiConfig({});

    // Assert
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'postgres://mdc:mdc@127.0.0.1:5432/mdc',
      redisUrl: 'redis://127.0.0.1:6379/0',
      region: 'us-east-1',
    });
    expect(config.keys.reader.generated).toBe(true);
    expect(config.keys.admin.generated).toBe(true);
  });

  it('reads every variable', () => {
    // Act
    const config = loadLocalApiConfig({
      API_PORT: '3100',
      API_HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://u:p@db:5432/x',
      REDIS_URL: 'rediss://cache:6380/2',
      AWS_REGION: 'eu-central-1',
      LOCAL_READER_KEY_ID: 'AKIALOCALREADER00001',
      LOCAL_READER_SECRET: 'reader-secret-000000000000000000000000',
    });

    // Assert
    expect(config).toMatchObject({ port: 3100, host: '0.0.0.0', databaseUrl: 'postgresql://u:p@db:5432/x', redisUrl: 'rediss://cache:6380/2', region: 'eu-central-1' });
    expect(config.keys.reader).toMatchObject({ accessKeyId: 'AKIALOCALREADER00001', generated: false });
    expect(config.keys.admin.generated).toBe(true);
  });

  it.each([
    [{ API_PORT: '70000' }, 'API_PORT="70000"'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL="mysql://x"'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL="http://x"'],
    [{ AWS_REGION: 'mars' }, 'AWS_REGION="mars"'],
    [{ LOCAL_ADMIN_KEY_ID: 'AKIALOCALADMIN000001' }, 'LOCAL_ADMIN_SECRET: must be set when LOCAL_ADMIN_KEY_ID is'],
  ])('fails fast naming the variable (%j)', (env, expected) => {
    // Act
    const run = () => loadLocalApiConfig(env);

    // Assert
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(expected);
  });

  it('does not echo a secret it refuses', () => {
    // Act
    const run = () => loadLocalApiConfig({ LOCAL_READER_KEY_ID: 'AKIALOCALREADER00001', LOCAL_READER_SECRET: 'bad secret value' });

    // Assert
    expect(run).toThrow('LOCAL_READER_SECRET:');
    expect(run).not.toThrow('bad secret value');
  });
});
