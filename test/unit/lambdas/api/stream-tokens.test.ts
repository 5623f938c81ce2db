import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { verifyStreamToken } from '../../../../services/gateway/tokens';
import { createApiHandler, type ApiHandler } from '../../../../lambdas/api/handler';
import type { ApiDependencies } from '../../../../lambdas/api/operations';
import { staticSigningKey, type SigningKeySource } from '../../../../lambdas/api/tokens';
import { dependencyCache, fakeLogger, type FakeLogger } from './helpers';

const ACCOUNT = '123456789012';
const READER_ROLE = `arn:aws:iam::${ACCOUNT}:role/ConfigReader`;
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/ConfigAdmin`;
const READER = `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigReader/frontend-backend`;
const STRANGER = `arn:aws:sts::${ACCOUNT}:assumed-role/Somebody/s`;
const NOW = Date.UTC(2026, 10, 25, 10, 0, 0);
const KEY = 'k'.repeat(64);

interface Setup {
  handler: ApiHandler;
  metrics: string[];
  log: FakeLogger;
}

/** The route touches neither PostgreSQL nor Redis: only the key, the clock, the logger and the metrics. */
/** `null`: the API has no signing key configured. */
function setup(streamTokenKey: SigningKeySource | null = staticSigningKey(KEY)): Setup {
  const metrics: string[] = [];
  const log = fakeLogger();
  const deps = {
    logger: log.logger,
    metrics: { addMetric: (name: string) => metrics.push(name) },
    now: () => NOW,
    ...(streamTokenKey ? { streamTokenKey } : {}),
  } as unknown as ApiDependencies;
  const handler = createApiHandler({ dependencies: dependencyCache(async () => deps), principals: { readers: [READER_ROLE], admins: [ADMIN_ROLE] }, maxBodyBytes: 16_384, logger: log.logger });
  return { handler, metrics, log };
}

function tokenEvent(options: { body?: unknown; rawBody?: string; caller?: string; contentType?: string } = {}): APIGatewayProxyEvent {
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  const headers: Record<string, string> = body === null ? {} : { 'Content-Type': options.contentType ?? 'application/json' };
  return {
    httpMethod: 'POST',
    resource: '/v1/stream-tokens',
    path: '/v1/stream-tokens',
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: { requestId: 'req-1', identity: { userArn: options.caller ?? READER } },
  } as unknown as APIGatewayProxyEvent;
}

const bodyOf = (response: APIGatewayProxyResult) => JSON.parse(response.body) as { token?: string; expiresAt?: string; ttlSeconds?: number; error?: { code: string; message: string; details?: Array<{ field: string }> } };

describe('POST /v1/stream-tokens', () => {
  it('gives a reader a 201 with a token the gateway verifies, valid for the default 900 s, naming the caller', async () => {
    // Prepare
    const { handler, metrics } = setup();

    // Act
    const response = await handler(tokenEvent());
    const body = bodyOf(response);
    const check = verifyStreamToken(body.token, [KEY], NOW + 899_000);

    // Assert
    expect(response.statusCode).toBe(201);
    expect(response.headers?.['Cache-Control']).toBe('no-store');
    expect(body.expiresAt).toBe(new Date(NOW + 900_000).toISOString());
    expect(body.ttlSeconds).toBe(900);
    expect(check).toEqual({ ok: true, claims: expect.objectContaining({ iat: NOW, exp: NOW + 900_000, sub: READER }) });
    expect(metrics).toContain('StreamTokensIssued');
  });

  it('honours ttlSeconds within 60..3600; the token expires then', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const response = await handler(tokenEvent({ body: { ttlSeconds: 60 } }));
    const token = bodyOf(response).token;

    // Assert
    expect(response.statusCode).toBe(201);
    expect(verifyStreamToken(token, [KEY], NOW + 59_999).ok).toBe(true);
    expect(verifyStreamToken(token, [KEY], NOW + 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    ['below the minimum', { ttlSeconds: 59 }, 'body.ttlSeconds'],
    ['above the maximum', { ttlSeconds: 3601 }, 'body.ttlSeconds'],
    ['not an integer', { ttlSeconds: 90.5 }, 'body.ttlSeconds'],
    ['an unknown field', { ttl: 60 }, 'body.ttl'],
  ])('refuses a ttl %s with 400 naming the field', async (_name, body, field) => {
    // Prepare
    const { handler } = setup();

    // Act
    const response = await handler(tokenEvent({ body }));

    // Assert
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).error?.code).toBe('VALIDATION_FAILED');
    expect(bodyOf(response).error?.details?.map((d) => d.field)).toEqual([field]);
  });

  it('refuses malformed JSON and a body that is not JSON', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const malformed = await handler(tokenEvent({ rawBody: '{"ttlSeconds":' }));
    const text = await handler(tokenEvent({ rawBody: 'ttlSeconds=60', contentType: 'text/plain' }));

    // Assert
    expect(malformed.statusCode).toBe(400);
    expect(bodyOf(malformed).error?.code).toBe('INVALID_JSON');
    expect(text.statusCode).toBe(415);
  });

  it('answers 503 STREAM_TOKENS_NOT_CONFIGURED naming the variables when the API has no signing key', async () => {
    // Prepare
    const { handler } = setup(null);

    // Act
    const response = await handler(tokenEvent());

    // Assert
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response).error?.code).toBe('STREAM_TOKENS_NOT_CONFIGURED');
    expect(bodyOf(response).error?.message).toMatch(/GATEWAY_TOKEN_SECRET .*GATEWAY_TOKEN_SECRET_ARN/);
  });

  it('refuses a caller that is neither reader nor admin with 403, before any key is read', async () => {
    // Prepare
    const current = jest.fn(async () => KEY);
    const { handler } = setup({ current });

    // Act
    const response = await handler(tokenEvent({ caller: STRANGER }));

    // Assert
    expect(response.statusCode).toBe(403);
    expect(current).not.toHaveBeenCalled();
  });

  it('never logs the token, only its id', async () => {
    // Prepare
    const { handler, log } = setup();

    // Act
    const response = await handler(tokenEvent());
    const token = bodyOf(response).token!;
    const logged = JSON.stringify([...log.info.mock.calls, ...log.warn.mock.calls, ...log.error.mock.calls, ...log.debug.mock.calls]);

    // Assert
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(token.split('.')[2]!);
    expect(logged).toContain('stream token issued');
  });
});
