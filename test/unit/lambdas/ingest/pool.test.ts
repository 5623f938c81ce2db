import { resolveDatabaseUrl } from '../../../../lambdas/ingest';
import { parseRunnerArgs } from '../../../../lambdas/ingest/local-runner';
import { ConfigError } from '../../../../services/shared/errors';

describe('resolveDatabaseUrl', () => {
  const never = () => Promise.reject(new Error('must not fetch'));

  it('prefers DATABASE_URL and fetches no secret', async () => {
    await expect(resolveDatabaseUrl({ DATABASE_URL: 'postgres://a:b@h/db', DB_SECRET_ARN: 'arn' }, never)).resolves.toBe('postgres://a:b@h/db');
  });

  it('builds the URL from an RDS secret, with the proxy host and TLS', async () => {
    const secret = JSON.stringify({ username: 'ingest', password: 'p@ss/word', host: 'db.internal', port: 5432, dbname: 'mdc' });
    const url = new URL(await resolveDatabaseUrl({ DB_SECRET_ARN: 'arn:secret', DB_HOST: 'proxy.example' }, async () => secret));
    expect(url.hostname).toBe('proxy.example');
    expect(decodeURIComponent(url.password)).toBe('p@ss/word');
    expect(url.pathname).toBe('/mdc');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
  });

  it('accepts a secret holding a URL, and refuses missing configuration', async () => {
    await expect(resolveDatabaseUrl({ DB_SECRET_ARN: 'arn' }, async () => 'postgres://u:p@h:5432/d')).resolves.toBe('postgres://u:p@h:5432/d');
    await expect(resolveDatabaseUrl({}, never)).rejects.toThrow(ConfigError);
    await expect(resolveDatabaseUrl({ DB_SECRET_ARN: 'arn' }, async () => JSON.stringify({ username: 'u', password: 'p' }))).rejects.toThrow(/DB_HOST/);
  });
});

describe('parseRunnerArgs', () => {
  it('reads the event source mapping settings with Lambda-like defaults', () => {
    expect(parseRunnerArgs(['--queue-url', 'http://q', '--batch-size', '5', '--visibility-timeout', '60'], {})).toEqual({
      queueUrl: 'http://q',
      batchSize: 5,
      batchingWindowMs: 1000,
      visibilityTimeoutSeconds: 60,
      concurrency: 2,
    });
    expect(parseRunnerArgs([], { SQS_QUEUE_URL: 'http://env' }).queueUrl).toBe('http://env');
    expect(() => parseRunnerArgs([], {})).toThrow(/queue-url/);
    expect(() => parseRunnerArgs(['--queue-url', 'q', '--batch-size', 'ten'], {})).toThrow(/batch-size/);
  });
});
