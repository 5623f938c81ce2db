import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPortOpen, REPO_ROOT } from '../../../localstack/env';
import { ensurePostgres, privateClusterDir } from '../../../localstack/env/postgres';
import { ensureRedis } from '../../../localstack/env/redis';
import { ensureSqsEndpoint } from '../../../localstack/env/sqs';
import { createTestDatabase, openTestRedis, sqsEndpoint } from '../../support';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('local environment', () => {
  let stateDir: string;

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'mdc-env-'));
  });

  afterEach(() => {
    rmSync(privateClusterDir(stateDir), { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('reuses services that already answer and never stops them', async () => {
    // Prepare: npm test has ensured these endpoints.
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';

    // Act
    const redis = await ensureRedis(redisUrl, stateDir);
    const sqs = await ensureSqsEndpoint(sqsEndpoint(), REPO_ROOT, stateDir);

    // Assert
    expect(redis.origin).toMatch(/^reused/);
    expect(redis.stop).toBeUndefined();
    expect(sqs.origin).toMatch(/^reused/);
    expect(sqs.stop).toBeUndefined();
  });

  it('starts Redis on a free port when nothing answers, and stops it again', async () => {
    // Prepare
    const port = await freePort();

    // Act
    const redis = await ensureRedis(`redis://127.0.0.1:${port}/0`, stateDir);
    const openWhileRunning = await isPortOpen('127.0.0.1', port);
    await redis.stop?.();

    // Assert
    expect(redis.origin).toMatch(/^started/);
    expect(openWhileRunning).toBe(true);
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  });

  it('starts the SQS endpoint (fauxqs) on a free port when nothing answers', async () => {
    // Prepare
    const port = await freePort();

    // Act
    const sqs = await ensureSqsEndpoint(`http://127.0.0.1:${port}`, REPO_ROOT, stateDir);
    const openWhileRunning = await isPortOpen('127.0.0.1', port);
    await sqs.stop?.();

    // Assert
    expect(sqs.origin).toMatch(/^started fauxqs/);
    expect(openWhileRunning).toBe(true);
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  });

  it('initialises and starts a private PostgreSQL cluster when nothing answers', async () => {
    // Prepare
    const port = await freePort();
    const url = `postgres://mdc_env_test:secret@127.0.0.1:${port}/envtest`;

    // Act
    const postgres = await ensurePostgres(url, stateDir);
    const openWhileRunning = await isPortOpen('127.0.0.1', port);
    await postgres.stop?.();

    // Assert
    expect(postgres.origin).toMatch(/^started/);
    expect(openWhileRunning).toBe(true);
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  }, 90_000);

  it('refuses an occupied port that is not the expected service, naming the variable', async () => {
    // Prepare: a plain TCP listener that speaks no Redis.
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    // Act
    const attempt = ensureRedis(`redis://127.0.0.1:${port}/0`, stateDir);

    // Assert
    await expect(attempt).rejects.toThrow(/REDIS_URL/);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('test isolation helpers', () => {
  it('gives each test file its own database and drops it afterwards', async () => {
    // Prepare
    const database = await createTestDatabase('mdc_isolation');

    // Act
    await database.drop();

    // Assert: a second drop finds nothing left to drop and connecting fails.
    const { Client } = await import('pg');
    const client = new Client({ connectionString: database.url });
    await expect(client.connect()).rejects.toThrow(/does not exist/);
    await client.end().catch(() => undefined);
  });

  it('gives each jest worker its own Redis db index and empties it', async () => {
    // Prepare
    const redis = await openTestRedis();
    await redis.client.set('isolation:probe', '1');

    // Act
    await redis.cleanup();

    // Assert
    const again = await openTestRedis();
    expect(await again.client.exists('isolation:probe')).toBe(0);
    expect(again.url).toMatch(/\/\d+$/);
    await again.cleanup();
  });
});
