import { createLogger } from '../../../../services/shared/logger';
import { describeLocalApi, loadLocalApiConfig, localApiChildEnv, resolveLocalKeys, scheduleReconcile } from '../../../../localstack/api';

const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

describe('scheduleReconcile', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('reconciles once per interval, never twice at once, and keeps going after a failure', async () => {
    // Prepare
    let release: () => void = () => undefined;
    const reconcile = jest
      .fn<Promise<unknown>, []>()
      .mockImplementationOnce(() => Promise.reject(new Error('database down')))
      .mockImplementationOnce(() => new Promise<void>((resolve) => (release = resolve)))
      .mockResolvedValue({ changed: false });
    const stop = scheduleReconcile(reconcile, 60_000, logger);

    // Act
    await jest.advanceTimersByTimeAsync(60_000);
    await jest.advanceTimersByTimeAsync(60_000);
    await jest.advanceTimersByTimeAsync(60_000);
    const whileSlow = reconcile.mock.calls.length;
    release();
    await jest.advanceTimersByTimeAsync(60_000);
    await stop();
    await jest.advanceTimersByTimeAsync(120_000);

    // Assert
    expect(whileSlow).toBe(2);
    expect(reconcile).toHaveBeenCalledTimes(3);
  });
});

describe('describeLocalApi', () => {
  it('prints the URL, both keys with their principals, and a curl command to copy', () => {
    // Prepare
    const keys = resolveLocalKeys({});

    // Act
    const text = describeLocalApi({ url: 'http://127.0.0.1:3000', region: 'eu-west-1', keys }).join('\n');

    // Assert
    expect(text).toContain('http://127.0.0.1:3000');
    for (const key of [keys.reader, keys.admin]) {
      expect(text).toContain(key.accessKeyId);
      expect(text).toContain(key.secretAccessKey);
      expect(text).toContain(key.principalArn);
    }
    expect(text).toContain(`curl --aws-sigv4 "aws:amz:eu-west-1:execute-api" --user "${keys.reader.accessKeyId}:${keys.reader.secretAccessKey}" http://127.0.0.1:3000/v1/rates`);
  });
});

describe('localApiChildEnv', () => {
  it('gives a child process the same keys and endpoints', () => {
    // Prepare
    const keys = resolveLocalKeys({});

    // Act
    const config = loadLocalApiConfig(localApiChildEnv({ port: 3100, databaseUrl: 'postgres://a:b@127.0.0.1:5432/c', redisUrl: 'redis://127.0.0.1:6379/1', region: 'eu-west-1', keys }));

    // Assert
    expect(config).toMatchObject({ port: 3100, databaseUrl: 'postgres://a:b@127.0.0.1:5432/c', redisUrl: 'redis://127.0.0.1:6379/1', region: 'eu-west-1' });
    expect(config.keys.reader).toMatchObject({ accessKeyId: keys.reader.accessKeyId, secretAccessKey: keys.reader.secretAccessKey, generated: false });
    expect(config.keys.admin).toMatchObject({ accessKeyId: keys.admin.accessKeyId, secretAccessKey: keys.admin.secretAccessKey, generated: false });
  });
});
