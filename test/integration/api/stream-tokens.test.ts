import { runMigrations } from '../../../services/shared/db';
import { createLogger } from '../../../services/shared/logger';
import { verifyStreamToken } from '../../../services/gateway/tokens';
import { createLocalApi, type LocalApi } from '../../../lambdas/api';
import { ADMIN_ARN, apiEvent, createTestDatabase, openTestRedis, READER_ARN, type TestDatabase, type TestRedis } from '../../support';

const logger = createLogger({ serviceName: 'api-test', logLevel: process.env.LOG_LEVEL ?? 'SILENT' });
/** The key the gateway would verify with (GATEWAY_TOKEN_SECRET), and another one. */
const GATEWAY_KEY = 'gateway-key-for-the-stream-token-integration-test';
const OTHER_KEY = 'some-other-key-that-did-not-sign-these-tokens-at-all';

let database: TestDatabase;
let redis: TestRedis;

beforeAll(async () => {
  database = await createTestDatabase('mdc_stream_tokens');
  await runMigrations({ databaseUrl: database.url, logger });
  redis = await openTestRedis();
});

afterAll(async () => {
  await redis.cleanup();
  await database.drop();
});

async function withApi<T>(streamTokenSecret: string | undefined, act: (api: LocalApi) => Promise<T>): Promise<T> {
  const api = await createLocalApi({ databaseUrl: database.url, redisUrl: redis.url, readerArns: [READER_ARN], adminArns: [ADMIN_ARN], logger, ...(streamTokenSecret ? { streamTokenSecret } : {}) });
  try {
    return await act(api);
  } finally {
    await api.close();
  }
}

const parsed = (body: string) => JSON.parse(body) as { token: string; expiresAt: string; ttlSeconds: number; error?: { code: string; message: string } };

describe('POST /v1/stream-tokens against the local API', () => {
  it('issues a reader a token the gateway verification accepts until expiresAt, and refuses after', async () => {
    // Act
    const response = await withApi(GATEWAY_KEY, (api) => api.handler(apiEvent({ method: 'POST', path: '/v1/stream-tokens', caller: READER_ARN, body: { ttlSeconds: 120 } })));
    const body = parsed(response.body);
    const expiresAt = Date.parse(body.expiresAt);

    // Assert
    expect(response.statusCode).toBe(201);
    expect(body.ttlSeconds).toBe(120);
    expect(verifyStreamToken(body.token, [GATEWAY_KEY], expiresAt - 1)).toEqual({ ok: true, claims: expect.objectContaining({ exp: expiresAt, sub: READER_ARN }) });
    expect(verifyStreamToken(body.token, [GATEWAY_KEY], expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('issues with an empty body (the default lifetime), and the token verifies during a key rotation as the previous key', async () => {
    // Act
    const response = await withApi(GATEWAY_KEY, (api) => api.handler(apiEvent({ method: 'POST', path: '/v1/stream-tokens', caller: READER_ARN })));
    const body = parsed(response.body);

    // Assert
    expect(response.statusCode).toBe(201);
    expect(body.ttlSeconds).toBe(900);
    expect(verifyStreamToken(body.token, [OTHER_KEY, GATEWAY_KEY], Date.parse(body.expiresAt) - 1).ok).toBe(true);
  });

  it('issues tokens a gateway with another key, or a tampered token, refuses as forged', async () => {
    // Prepare
    const response = await withApi(GATEWAY_KEY, (api) => api.handler(apiEvent({ method: 'POST', path: '/v1/stream-tokens', caller: READER_ARN })));
    const { token, expiresAt } = parsed(response.body);
    const [version, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number };
    const extended = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400_000 })).toString('base64url');
    const now = Date.parse(expiresAt) - 1;

    // Act
    const otherKey = verifyStreamToken(token, [OTHER_KEY], now);
    const tampered = verifyStreamToken(`${version}.${extended}.${signature}`, [GATEWAY_KEY], now);

    // Assert
    expect(otherKey).toEqual({ ok: false, reason: 'forged' });
    expect(tampered).toEqual({ ok: false, reason: 'forged' });
  });

  it('answers 503 naming the variables when the API has no signing key, and 403 to an unknown caller', async () => {
    // Act
    const [unconfigured, stranger] = await withApi(undefined, async (api) => [
      await api.handler(apiEvent({ method: 'POST', path: '/v1/stream-tokens', caller: READER_ARN })),
      await api.handler(apiEvent({ method: 'POST', path: '/v1/stream-tokens', caller: 'arn:aws:iam::000000000000:user/stranger' })),
    ]);

    // Assert
    expect(unconfigured.statusCode).toBe(503);
    expect(parsed(unconfigured.body).error?.code).toBe('STREAM_TOKENS_NOT_CONFIGURED');
    expect(parsed(unconfigured.body).error?.message).toContain('GATEWAY_TOKEN_SECRET_ARN');
    expect(stranger.statusCode).toBe(403);
  });
});
