import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  createLocalGateway,
  LOCAL_ADMIN_ARN,
  LOCAL_READER_ARN,
  resolveLocalKeys,
  signedFetch,
  startLocalApi,
  type GatewayKey,
  type LocalGateway,
  type ProxyHandler,
} from '../../../localstack/api';
import { createLogger } from '../../../services/shared/logger';

const run = promisify(execFile);
const REGION = 'us-east-1';
const logger = createLogger({ serviceName: 'api-gateway-test', logLevel: 'SILENT' });
const keys = resolveLocalKeys({});
const gatewayKeys: GatewayKey[] = [keys.reader, keys.admin];

/** A handler that answers with the event it was given. */
function echoHandler(): jest.Mock<Promise<APIGatewayProxyResult>, Parameters<ProxyHandler>> {
  return jest.fn(async (event: APIGatewayProxyEvent) => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) }));
}

interface GatewayAnswer {
  status: number;
  headers: Headers;
  body: { error?: { code: string; message: string } } & Partial<APIGatewayProxyEvent>;
}

async function answer(response: Response): Promise<GatewayAnswer> {
  return { status: response.status, headers: response.headers, body: (await response.json()) as GatewayAnswer['body'] };
}

/** curl's own SigV4 signing, as a user would type it; returns the status line's code and the body. */
async function curl(args: string[], key = keys.reader): Promise<{ status: number; body: GatewayAnswer['body'] }> {
  const { stdout } = await run('curl', ['-sS', '--aws-sigv4', `aws:amz:${REGION}:execute-api`, '--user', `${key.accessKeyId}:${key.secretAccessKey}`, '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) as GatewayAnswer['body'] };
}

describe('local API gateway', () => {
  let gateway: LocalGateway;
  let handler: ReturnType<typeof echoHandler>;
  let url: string;

  beforeAll(async () => {
    handler = echoHandler();
    gateway = createLocalGateway({ handler: (event, context) => handler(event, context), keys: gatewayKeys, region: REGION, maxBodyBytes: 64 * 1024, logger });
    url = await gateway.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await gateway.close();
  });

  beforeEach(() => {
    handler.mockReset();
    handler.mockImplementation(echoHandler());
  });

  it('passes an SDK-signed request to the handler as a REST API proxy event', async () => {
    // Act
    const response = await answer(await signedFetch(`${url}/v1/history/binance/BTCUSDT?limit=5&interval=1m&limit=10`, {}, { credentials: keys.reader, region: REGION }));

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      resource: '/v1/history/{exchange}/{symbol}',
      path: '/v1/history/binance/BTCUSDT',
      httpMethod: 'GET',
      pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' },
      queryStringParameters: { interval: '1m', limit: '10' },
      multiValueQueryStringParameters: { interval: ['1m'], limit: ['5', '10'] },
      requestContext: { stage: 'local', path: '/local/v1/history/binance/BTCUSDT', identity: { userArn: LOCAL_READER_ARN, accessKey: keys.reader.accessKeyId, sourceIp: '127.0.0.1' } },
    });
    expect(response.headers.get('x-amzn-requestid')).toBe(response.body.requestContext?.requestId);
  });

  it('accepts curl --aws-sigv4 for a GET with a query', async () => {
    // Act
    const response = await curl([`${url}/v1/rates?limit=3&sort=change_5m`]);

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ resource: '/v1/rates', queryStringParameters: { limit: '3', sort: 'change_5m' }, requestContext: { identity: { userArn: LOCAL_READER_ARN } } });
  });

  it('accepts curl --aws-sigv4 for an admin PUT with a JSON body', async () => {
    // Act
    const response = await curl(['-X', 'PUT', '-H', 'content-type: application/json', '--data', '{"enabled":true,"streams":["aggTrade"]}', `${url}/v1/symbols/binance/BTCUSDT`], keys.admin);

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      httpMethod: 'PUT',
      resource: '/v1/symbols/{exchange}/{symbol}',
      body: '{"enabled":true,"streams":["aggTrade"]}',
      isBase64Encoded: false,
      requestContext: { identity: { userArn: LOCAL_ADMIN_ARN } },
    });
  });

  it('answers an unsigned request 403 MISSING_AUTHENTICATION_TOKEN without calling the handler', async () => {
    // Act
    const response = await answer(await fetch(`${url}/v1/rates`));

    // Assert
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: { code: 'MISSING_AUTHENTICATION_TOKEN', message: 'Missing Authentication Token' } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers a request signed with the wrong secret 403 INVALID_SIGNATURE', async () => {
    // Act
    const response = await answer(
      await signedFetch(`${url}/v1/rates`, {}, { credentials: { accessKeyId: keys.reader.accessKeyId, secretAccessKey: keys.admin.secretAccessKey }, region: REGION }),
    );

    // Assert
    expect(response.status).toBe(403);
    expect(response.body.error?.code).toBe('INVALID_SIGNATURE');
    expect(response.body.error?.message).toMatch(/^The request signature we calculated does not match the signature you provided/);
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers curl with the wrong secret 403 INVALID_SIGNATURE', async () => {
    // Act
    const response = await curl([`${url}/v1/rates`], { ...keys.reader, secretAccessKey: keys.admin.secretAccessKey });

    // Assert
    expect(response.status).toBe(403);
    expect(response.body.error?.code).toBe('INVALID_SIGNATURE');
  });

  it('refuses a reader write with 403 ACCESS_DENIED and never calls the handler', async () => {
    // Act
    const response = await answer(
      await signedFetch(`${url}/v1/symbols/binance/BTCUSDT`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"enabled":true}' }, { credentials: keys.reader, region: REGION }),
    );

    // Assert
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      error: {
        code: 'ACCESS_DENIED',
        message: `User: ${LOCAL_READER_ARN} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:localapi00/local/PUT/v1/symbols/binance/BTCUSDT`,
      },
    });
    expect(handler).not.toHaveBeenCalled();
  });

  it.each([
    ['an unknown path', 'GET', '/v1/nothing'],
    ['a method the path does not have', 'POST', '/v1/rates'],
    ['a path outside the API', 'GET', '/'],
  ])('answers %s 403 MISSING_AUTHENTICATION_TOKEN even when signed', async (_what, method, path) => {
    // Act
    const response = await answer(await signedFetch(`${url}${path}`, { method }, { credentials: keys.admin, region: REGION }));

    // Assert
    expect(response.status).toBe(403);
    expect(response.body.error?.code).toBe('MISSING_AUTHENTICATION_TOKEN');
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers a body over the limit 413 before reading it, when its length is declared', async () => {
    // Act
    const response = await answer(
      await signedFetch(`${url}/v1/symbols/binance/BTCUSDT`, { method: 'PUT', body: Buffer.alloc(64 * 1024 + 1, 0x20) }, { credentials: keys.admin, region: REGION }),
    );

    // Assert
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ error: { code: 'REQUEST_TOO_LARGE', message: 'Request Too Long' } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers a streamed (chunked) body 413 once it passes the limit', async () => {
    // Act
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/v1/symbols/binance/BTCUSDT`, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i += 1) req.write(Buffer.alloc(16 * 1024, 0x20));
      req.end();
    });

    // Assert
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'REQUEST_TOO_LARGE', message: 'Request Too Long' } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 502 INTERNAL_ERROR when the handler throws', async () => {
    // Prepare
    handler.mockRejectedValue(new Error('boom'));

    // Act
    const response = await answer(await signedFetch(`${url}/v1/rates`, {}, { credentials: keys.reader, region: REGION }));

    // Assert
    expect(response.status).toBe(502);
    expect(response.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
  });

  it('writes the handler status, headers and base64 body', async () => {
    // Prepare
    handler.mockResolvedValue({ statusCode: 201, headers: { ETag: '"7"', 'Content-Type': 'application/octet-stream' }, multiValueHeaders: { 'X-Multi': ['a', 'b'] }, body: '//4A', isBase64Encoded: true });

    // Act
    const response = await signedFetch(`${url}/v1/settings`, {}, { credentials: keys.reader, region: REGION });

    // Assert
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"7"');
    expect(response.headers.get('x-multi')).toBe('a, b');
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0xff, 0xfe, 0x00]);
  });
});

describe('local API gateway integration timeout', () => {
  it('answers 504 INTEGRATION_TIMEOUT when the handler outlives the integration timeout', async () => {
    // Prepare: a handler that never answers.
    const gateway = createLocalGateway({ handler: () => new Promise<never>(() => undefined), keys: gatewayKeys, region: REGION, integrationTimeoutMs: 50, logger });
    const url = await gateway.listen(0);

    // Act
    const response = await answer(await signedFetch(`${url}/v1/rates`, {}, { credentials: keys.reader, region: REGION }));
    await gateway.close();

    // Assert
    expect(response.status).toBe(504);
    expect(response.body).toEqual({ error: { code: 'INTEGRATION_TIMEOUT', message: 'Endpoint request timed out' } });
  });
});

describe('local API gateway at the API Gateway payload limit', () => {
  let dir: string;
  let gateway: LocalGateway;
  let url: string;
  const handler = echoHandler();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdc-api-gateway-'));
    gateway = createLocalGateway({ handler, keys: gatewayKeys, region: REGION, logger });
    url = await gateway.listen(0);
  });

  afterAll(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers curl uploading more than 10 MB 413', async () => {
    // Prepare
    const file = join(dir, 'big.json');
    writeFileSync(file, Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));

    // Act
    const response = await curl(['-X', 'PUT', '-H', 'content-type: application/json', '--data-binary', `@${file}`, `${url}/v1/symbols/binance/BTCUSDT`], keys.admin);

    // Assert
    expect(response).toEqual({ status: 413, body: { error: { code: 'REQUEST_TOO_LARGE', message: 'Request Too Long' } } });
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('startLocalApi', () => {
  it('serves the backend handler for the configured principals and closes it', async () => {
    // Prepare
    const handler = echoHandler();
    const close = jest.fn(async () => undefined);
    const createBackend = jest.fn(async () => ({ handler, close }));

    // Act
    const api = await startLocalApi({ databaseUrl: 'postgres://unused', redisUrl: 'redis://unused', region: REGION, keys, port: 0, logger, createBackend });
    const response = await answer(await signedFetch(`${api.url}/v1/status`, {}, { credentials: keys.admin, region: REGION }));
    await api.close();

    // Assert
    expect(createBackend).toHaveBeenCalledWith(expect.objectContaining({ readerArns: [LOCAL_READER_ARN], adminArns: [LOCAL_ADMIN_ARN] }));
    expect(response.status).toBe(200);
    expect(response.body.requestContext?.identity.userArn).toBe(LOCAL_ADMIN_ARN);
    expect(close).toHaveBeenCalledTimes(1);
  });
});
