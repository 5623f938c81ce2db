import type { APIGatewayProxyEvent, APIGatewayProxyResult, ScheduledEvent } from 'aws-lambda';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { ConfigSnapshot } from '../../../../services/shared/config-snapshot';
import type { RatesReader } from '../../../../lambdas/api/cache/rates-reader';
import type { SnapshotPublisher } from '../../../../lambdas/api/cache/snapshot-publisher';
import { ApiError, DependencyError, preconditionFailed, QueryTimeoutError } from '../../../../lambdas/api/errors';
import { createApiHandler, createReconciler, isScheduledEvent, type ApiHandler } from '../../../../lambdas/api/handler';
import type { ApiDependencies } from '../../../../lambdas/api/operations';
import type { RateDto, SettingsDto, SymbolConfigDto } from '../../../../lambdas/api/schemas';
import type { ConfigStore, WriteResult } from '../../../../lambdas/api/store/config-store';
import type { HistoryStore } from '../../../../lambdas/api/store/history-store';
import { dependencyCache, fakeLogger, type FakeLogger } from './helpers';

const ACCOUNT = '123456789012';
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/ops/ConfigAdmin`;
const READER_ROLE = `arn:aws:iam::${ACCOUNT}:role/ConfigReader`;
const ADMIN = `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigAdmin/alice`;
const READER = `arn:aws:sts::${ACCOUNT}:assumed-role/ConfigReader/grafana`;
const STRANGER = `arn:aws:sts::${ACCOUNT}:assumed-role/Somebody/s`;
const NOW = Date.UTC(2026, 10, 25, 10, 0, 0);
const SYMBOL_PATH = '/v1/symbols/{exchange}/{symbol}';

type Method<F extends (...args: never[]) => unknown> = jest.Mock<ReturnType<F>, Parameters<F>>;

interface Fakes {
  deps: ApiDependencies;
  configStore: { [K in 'currentCommit' | 'listSymbols' | 'getSymbol' | 'getSettings' | 'putSymbol' | 'deleteSymbol' | 'patchSettings' | 'readSnapshot' | 'startEpochPast']: Method<ConfigStore[K]> };
  historyStore: { page: Method<HistoryStore['page']> };
  rates: { [K in 'get' | 'list' | 'top']: Method<RatesReader[K]> };
  publisher: { [K in 'publish' | 'publishedCommit']: Method<SnapshotPublisher[K]> };
  metrics: Array<[string, string, number]>;
  log: FakeLogger;
  pool: { query: jest.Mock };
  redis: { scanStream: jest.Mock; pipeline: jest.Mock };
}

function fakes(): Fakes {
  const metrics: Array<[string, string, number]> = [];
  const log = fakeLogger();
  const configStore = {
    currentCommit: jest.fn(),
    listSymbols: jest.fn(),
    getSymbol: jest.fn(),
    getSettings: jest.fn(),
    putSymbol: jest.fn(),
    deleteSymbol: jest.fn(),
    patchSettings: jest.fn(),
    readSnapshot: jest.fn(),
    startEpochPast: jest.fn(),
  };
  const historyStore = { page: jest.fn() };
  const rates = { get: jest.fn(), list: jest.fn(), top: jest.fn() };
  const publisher = { publish: jest.fn(), publishedCommit: jest.fn() };
  const query = jest.fn();
  // Read routes run in a transaction of their own (statement timeout): its BEGIN / COMMIT answer empty, the rest reaches `query`.
  const client = { query: async (text: string, values?: unknown[]) => (/^(BEGIN|COMMIT|ROLLBACK)/.test(text) ? { rows: [] } : query(text, values)), release: () => undefined };
  const pool = { query, connect: jest.fn(async () => client) };
  // No collector heartbeats unless a test writes some (scanStream yields batches of keys).
  const redis = { scanStream: jest.fn().mockReturnValue([]), pipeline: jest.fn() };
  const deps: ApiDependencies = {
    pool: pool as unknown as Pool,
    redis: redis as unknown as Redis,
    configStore: configStore as unknown as ConfigStore,
    historyStore: historyStore as unknown as HistoryStore,
    rates: rates as unknown as RatesReader,
    publisher: publisher as unknown as SnapshotPublisher,
    logger: log.logger,
    metrics: { addMetric: (name, unit, value) => metrics.push([name, unit, value]) },
    openApiDocument: () => ({ openapi: '3.1.0', info: { title: 'fake' } }),
    now: () => NOW,
  };
  return { deps, configStore, historyStore, rates, publisher, metrics, log, pool, redis };
}

interface EventOptions {
  method: string;
  resource: string;
  caller?: string | null;
  pathParameters?: Record<string, string>;
  query?: Record<string, string[]>;
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string | null;
  requestId?: string | null;
}

/** An API Gateway proxy event as a REST API with AWS_IAM auth delivers it. */
function apiEvent(options: EventOptions): APIGatewayProxyEvent {
  const headers = { ...(options.body !== undefined || options.rawBody !== undefined ? { 'Content-Type': 'application/json' } : {}), ...options.headers };
  const path = Object.entries(options.pathParameters ?? {}).reduce((p, [name, value]) => p.replace(`{${name}}`, encodeURIComponent(value)), options.resource);
  const query = options.query;
  return {
    httpMethod: options.method,
    resource: options.resource,
    path,
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([name, values]) => [name, values[values.length - 1]!])) : null,
    multiValueQueryStringParameters: query ?? null,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    body: options.rawBody !== undefined ? options.rawBody : options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      ...(options.requestId === null ? {} : { requestId: options.requestId ?? 'req-1' }),
      identity: { userArn: options.caller === undefined ? ADMIN : options.caller },
    },
  } as unknown as APIGatewayProxyEvent;
}

function handlerFor(f: Fakes, options: { maxBodyBytes?: number } = {}): ApiHandler {
  return createApiHandler({
    dependencies: dependencyCache(async () => f.deps),
    principals: { readers: [READER_ROLE], admins: [ADMIN_ROLE] },
    maxBodyBytes: options.maxBodyBytes ?? 16_384,
    logger: f.log.logger,
  });
}

function bodyOf(response: APIGatewayProxyResult): { error?: { code: string; message: string; details?: Array<{ field: string; reason: string }> } } & Record<string, unknown> {
  return JSON.parse(response.body) as { error?: { code: string; message: string; details?: Array<{ field: string; reason: string }> } } & Record<string, unknown>;
}

const metricNames = (f: Fakes): string[] => f.metrics.map(([name]) => name);

const symbolDto = (version: number): SymbolConfigDto => ({
  exchange: 'binance',
  symbol: 'BTCUSDT',
  enabled: true,
  streams: ['aggTrade'],
  version,
  updatedAt: '2026-11-25T09:00:00.000Z',
  updatedBy: ADMIN,
});

const settingsDto = (version: number): SettingsDto => ({
  persistIntervalMs: 1000,
  anomalyThresholdPct: null,
  staleAfterMs: null,
  maxStreamsPerConnection: null,
  version,
  updatedAt: '2026-11-25T09:00:00.000Z',
  updatedBy: ADMIN,
});

const snapshot = (version: number, epoch = 0): ConfigSnapshot => ({ version, epoch, symbols: [{ exchange: 'binance', symbol: 'BTCUSDT', enabled: true }], settings: {} });
const COMMITTED_AT = '2026-11-25T09:00:00.000Z';
/** A committed configuration as the store and the publisher report it. */
const at = (version: number, epoch = 0) => ({ epoch, version, updatedAt: COMMITTED_AT });
const position = (version: number, epoch = 0) => ({ epoch, version });

/** Heartbeat hashes as the collectors write them, served through the fake Redis' SCAN and pipeline. */
function withHeartbeats(f: Fakes, beats: Record<string, Record<string, string>>): void {
  f.redis.scanStream.mockReturnValue([Object.keys(beats).map((id) => `status:collector:${id}`)]);
  f.redis.pipeline.mockImplementation(() => ({ hgetall: jest.fn(), exec: jest.fn().mockResolvedValue(Object.values(beats).map((beat) => [null, beat])) }));
}

function written<T>(value: T, committedVersion: number | undefined, created?: boolean): WriteResult<T> {
  return { value, committedVersion, snapshot: committedVersion === undefined ? undefined : snapshot(committedVersion), ...(created === undefined ? {} : { created }) };
}

const putEvent = (overrides: Partial<EventOptions> = {}): APIGatewayProxyEvent =>
  apiEvent({ method: 'PUT', resource: SYMBOL_PATH, pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' }, body: { enabled: true }, ...overrides });

describe('createApiHandler', () => {
  describe('authorization', () => {
    it.each([
      ['an unknown principal', STRANGER],
      ['a caller without an ARN', null],
      ['the admin role name in another account', 'arn:aws:sts::210987654321:assumed-role/ConfigAdmin/s'],
    ])('refuses %s with 403 ACCESS_DENIED', async (_label, caller) => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', caller }));

      // Assert
      expect(response.statusCode).toBe(403);
      expect(bodyOf(response).error?.code).toBe('ACCESS_DENIED');
      expect(f.configStore.getSettings).not.toHaveBeenCalled();
    });

    it.each([
      ['PUT a symbol', putEvent({ caller: READER })],
      ['DELETE a symbol', apiEvent({ method: 'DELETE', resource: SYMBOL_PATH, pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' }, caller: READER })],
      ['PATCH the settings', apiEvent({ method: 'PATCH', resource: '/v1/settings', body: { persistIntervalMs: 500 }, caller: READER })],
    ])('refuses a reader to %s with 403 and never touches the store', async (_label, event) => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(event);

      // Assert
      expect(response.statusCode).toBe(403);
      expect(bodyOf(response).error?.code).toBe('ACCESS_DENIED');
      expect(bodyOf(response).error?.message).toMatch(/needs the admin role/);
      expect(f.configStore.putSymbol).not.toHaveBeenCalled();
      expect(f.configStore.deleteSymbol).not.toHaveBeenCalled();
      expect(f.configStore.patchSettings).not.toHaveBeenCalled();
      expect(f.publisher.publish).not.toHaveBeenCalled();
    });

    it('refuses a reader before validating the request', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent({ caller: READER, body: { enabled: 'nope' } }));

      // Assert
      expect(response.statusCode).toBe(403);
    });

    it('lets a reader GET', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockResolvedValue(settingsDto(4));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', caller: READER }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(response.headers?.ETag).toBe('"4"');
      expect(bodyOf(response)).toEqual(settingsDto(4));
    });

    it('lets an admin GET', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockResolvedValue(settingsDto(4));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', caller: ADMIN }));

      // Assert
      expect(response.statusCode).toBe(200);
    });
  });

  describe('writes', () => {
    it('creates a symbol: 201 with the ETag, the committed version and that it was published', async () => {
      // Prepare
      const f = fakes();
      f.configStore.putSymbol.mockResolvedValue(written(symbolDto(7), 7, true));
      f.publisher.publish.mockResolvedValue(true);
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent());

      // Assert
      expect(response.statusCode).toBe(201);
      expect(response.headers).toMatchObject({ ETag: '"7"', 'X-Config-Version': '7', 'X-Config-Published': 'true' });
      expect(bodyOf(response)).toEqual(symbolDto(7));
      expect(f.configStore.putSymbol).toHaveBeenCalledWith('binance', 'BTCUSDT', { enabled: true }, ADMIN, { ifMatch: undefined, ifNoneMatchAny: false });
      expect(f.publisher.publish).toHaveBeenCalledWith(snapshot(7));
      expect(metricNames(f)).toEqual(expect.arrayContaining(['ConfigPublished', 'ConfigWrites']));
    });

    it('replaces a symbol: 200, passing If-Match and If-None-Match: * as preconditions', async () => {
      // Prepare
      const f = fakes();
      f.configStore.putSymbol.mockResolvedValue(written(symbolDto(8), 8, false));
      f.publisher.publish.mockResolvedValue(true);
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent({ headers: { 'If-Match': 'W/"6", "7"' }, body: { enabled: false, streams: ['aggTrade'] } }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({ ETag: '"8"', 'X-Config-Version': '8', 'X-Config-Published': 'true' });
      expect(f.configStore.putSymbol).toHaveBeenCalledWith('binance', 'BTCUSDT', { enabled: false, streams: ['aggTrade'] }, ADMIN, { ifMatch: [6, 7], ifNoneMatchAny: false });
    });

    it('passes If-None-Match: * on a write as create-only', async () => {
      // Prepare
      const f = fakes();
      f.configStore.putSymbol.mockResolvedValue(written(symbolDto(3), 3, true));
      f.publisher.publish.mockResolvedValue(true);
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent({ headers: { 'If-None-Match': '*' } }));

      // Assert
      expect(response.statusCode).toBe(201);
      expect(f.configStore.putSymbol).toHaveBeenCalledWith('binance', 'BTCUSDT', { enabled: true }, ADMIN, { ifMatch: undefined, ifNoneMatchAny: true });
    });

    it('neither publishes nor announces a version when the write changed nothing', async () => {
      // Prepare
      const f = fakes();
      f.configStore.putSymbol.mockResolvedValue(written(symbolDto(5), undefined, false));
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent());

      // Assert
      expect(response.statusCode).toBe(200);
      expect(response.headers?.ETag).toBe('"5"');
      expect(response.headers).not.toHaveProperty('X-Config-Version');
      expect(response.headers).not.toHaveProperty('X-Config-Published');
      expect(f.publisher.publish).not.toHaveBeenCalled();
      expect(metricNames(f)).not.toContain('ConfigWrites');
    });

    it('answers 200 with X-Config-Published: false when publishing fails after the commit', async () => {
      // Prepare
      const f = fakes();
      f.configStore.putSymbol.mockResolvedValue(written(symbolDto(9), 9, false));
      f.publisher.publish.mockRejectedValue(new Error('Connection is closed.'));
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent());

      // Assert
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({ ETag: '"9"', 'X-Config-Version': '9', 'X-Config-Published': 'false' });
      expect(f.metrics).toContainEqual(['ConfigPublishFailures', 'Count', 1]);
      expect(metricNames(f)).not.toContain('ConfigPublished');
      expect(f.log.error).toHaveBeenCalledWith(expect.stringMatching(/publishing it to Redis failed/), expect.objectContaining({ version: 9, requestId: 'req-1' }));
    });

    it('patches the settings', async () => {
      // Prepare
      const f = fakes();
      f.configStore.patchSettings.mockResolvedValue(written(settingsDto(11), 11));
      f.publisher.publish.mockResolvedValue(true);
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'PATCH', resource: '/v1/settings', body: { persistIntervalMs: 1000, staleAfterMs: null }, headers: { 'If-Match': '"10"' } }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({ ETag: '"11"', 'X-Config-Version': '11', 'X-Config-Published': 'true' });
      expect(f.configStore.patchSettings).toHaveBeenCalledWith({ persistIntervalMs: 1000, staleAfterMs: null }, ADMIN, { ifMatch: [10], ifNoneMatchAny: false });
    });

    it('deletes a symbol', async () => {
      // Prepare
      const f = fakes();
      f.configStore.deleteSymbol.mockResolvedValue(written({ version: 12 }, 12));
      f.publisher.publish.mockResolvedValue(true);
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'DELETE', resource: SYMBOL_PATH, pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' } }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({ ETag: '"12"', 'X-Config-Version': '12', 'X-Config-Published': 'true' });
      expect(bodyOf(response)).toEqual({ exchange: 'binance', symbol: 'BTCUSDT', deleted: true, version: 12 });
      expect(f.configStore.deleteSymbol).toHaveBeenCalledWith('binance', 'BTCUSDT', ADMIN, { ifMatch: undefined, ifNoneMatchAny: false });
    });

    it('refuses If-None-Match with a version on a write', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent({ headers: { 'If-None-Match': '"3"' } }));

      // Assert
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error?.details).toEqual([{ field: 'header.if-none-match', reason: expect.any(String) }]);
      expect(f.configStore.putSymbol).not.toHaveBeenCalled();
    });
  });

  describe('validation', () => {
    it('answers 400 VALIDATION_FAILED with a detail per field', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent({ body: { enabled: 'yes', enable: true } }));

      // Assert
      expect(response.statusCode).toBe(400);
      const body = bodyOf(response);
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toEqual({ code: 'VALIDATION_FAILED', message: expect.stringContaining('body.enabled'), details: expect.any(Array) });
      expect(body.error?.details).toHaveLength(2);
      expect(body.error?.details).toEqual(
        expect.arrayContaining([
          { field: 'body.enabled', reason: expect.any(String) },
          { field: 'body.enable', reason: 'unknown field' },
        ]),
      );
      expect(f.configStore.putSymbol).not.toHaveBeenCalled();
    });

    it.each([
      ['a lower-case symbol', { exchange: 'binance', symbol: 'btcusdt' }, 'path.symbol'],
      ['an injection attempt', { exchange: 'binance', symbol: "BTC'--" }, 'path.symbol'],
      ['an upper-case exchange', { exchange: 'Binance', symbol: 'BTCUSDT' }, 'path.exchange'],
    ])('refuses %s in the path', async (_label, pathParameters, field) => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: SYMBOL_PATH, pathParameters }));

      // Assert
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error?.details).toEqual([{ field, reason: expect.any(String) }]);
      expect(f.configStore.getSymbol).not.toHaveBeenCalled();
    });

    it('refuses an invalid query value', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/history/{exchange}/{symbol}', pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' }, query: { limit: ['0'] } }));

      // Assert
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error?.details).toEqual([{ field: 'query.limit', reason: expect.any(String) }]);
      expect(f.historyStore.page).not.toHaveBeenCalled();
    });

    it('refuses an unknown query parameter on a route without query parameters', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', query: { x: ['1'] } }));

      // Assert
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'query.x', reason: 'unknown field' }] });
      expect(f.configStore.getSettings).not.toHaveBeenCalled();
    });

    it('refuses a query parameter given twice', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/symbols', query: { exchange: ['binance', 'okx'] } }));

      // Assert
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error?.details).toEqual([{ field: 'query.exchange', reason: 'given more than once' }]);
    });

    it.each([
      ['a missing body', { rawBody: null }, 400, 'VALIDATION_FAILED'],
      ['invalid JSON', { rawBody: '{"enabled":' }, 400, 'INVALID_JSON'],
      ['another content type', { rawBody: 'enabled=true', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a body over the limit', { body: { enabled: true, padding: 'x'.repeat(400) } }, 413, 'PAYLOAD_TOO_LARGE'],
      ['an empty settings patch', { method: 'PATCH', resource: '/v1/settings', pathParameters: undefined, body: {} }, 400, 'VALIDATION_FAILED'],
      ['a setting out of range', { method: 'PATCH', resource: '/v1/settings', pathParameters: undefined, body: { maxStreamsPerConnection: 1025 } }, 400, 'VALIDATION_FAILED'],
      ['an invalid If-Match', { headers: { 'If-Match': '7' } }, 400, 'VALIDATION_FAILED'],
    ] as const)('answers %s with %d %s', async (_label, overrides, status, code) => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f, { maxBodyBytes: 256 });

      // Act
      const response = await handler(putEvent({ ...overrides }));

      // Assert
      expect(response.statusCode).toBe(status);
      expect(bodyOf(response).error?.code).toBe(code);
      expect(f.configStore.putSymbol).not.toHaveBeenCalled();
      expect(f.configStore.patchSettings).not.toHaveBeenCalled();
    });

    it('refuses order without sort on the rates', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/rates', query: { order: ['asc'] } }));

      // Assert
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error?.details).toEqual([{ field: 'query.order', reason: expect.any(String) }]);
      expect(f.rates.list).not.toHaveBeenCalled();
    });

    it('refuses a history range whose from is not before to', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/history/{exchange}/{symbol}', pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' }, query: { from: ['2026-11-25T10:00:00Z'], to: ['2026-11-25T11:00:00+01:00'] } }));

      // Assert
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error?.details).toEqual([{ field: 'query.from', reason: expect.any(String) }]);
      expect(f.historyStore.page).not.toHaveBeenCalled();
    });

    it('answers 404 ROUTE_NOT_FOUND for a method and resource outside the table', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'POST', resource: '/v1/settings', body: {} }));

      // Assert
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response).error?.code).toBe('ROUTE_NOT_FOUND');
    });
  });

  describe('reads', () => {
    it('answers 304 to If-None-Match with the current settings ETag', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockResolvedValue(settingsDto(5));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', headers: { 'If-None-Match': '"4", W/"5"' } }));

      // Assert
      expect(response.statusCode).toBe(304);
      expect(response.body).toBe('');
      expect(response.headers?.ETag).toBe('"5"');
    });

    it('answers 200 to If-None-Match with an older ETag', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockResolvedValue(settingsDto(5));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', headers: { 'If-None-Match': '"4"' } }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(response.headers?.ETag).toBe('"5"');
    });

    it('lists symbols with the filters typed', async () => {
      // Prepare
      const f = fakes();
      f.configStore.listSymbols.mockResolvedValue({ version: 7, symbols: [symbolDto(7)] });
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/symbols', query: { exchange: ['binance'], enabled: ['false'] } }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(response.headers?.ETag).toBe('"7"');
      expect(f.configStore.listSymbols).toHaveBeenCalledWith({ exchange: 'binance', enabled: false });
    });

    it('answers 404 NOT_FOUND for a symbol not in the config', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSymbol.mockResolvedValue(undefined);
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: SYMBOL_PATH, pathParameters: { exchange: 'binance', symbol: 'NOPEUSDT' } }));

      // Assert
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response).error?.code).toBe('NOT_FOUND');
      expect(f.configStore.getSymbol).toHaveBeenCalledWith('binance', 'NOPEUSDT');
    });

    it('reads the top movers with defaults', async () => {
      // Prepare
      const f = fakes();
      const rate: RateDto = { exchange: 'binance', symbol: 'BTCUSDT', price: '1', ts: NOW, time: new Date(NOW).toISOString(), tradeTs: NOW, change_1m: 1, change_5m: null, change_15m: null, flags: [] };
      f.rates.top.mockResolvedValue([rate]);
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/rates', query: { sort: ['change_1m'] } }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toEqual({ count: 1, rates: [rate] });
      expect(f.rates.top).toHaveBeenCalledWith({ exchange: 'binance', sort: 'change_1m', order: 'desc', limit: 20 });
    });

    it('answers 404 for a rate without a live value', async () => {
      // Prepare
      const f = fakes();
      f.rates.get.mockResolvedValue(undefined);
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/rates/{exchange}/{symbol}', pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' } }));

      // Assert
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response).error?.code).toBe('NOT_FOUND');
    });

    it('reads the last hour of history by default', async () => {
      // Prepare
      const f = fakes();
      f.historyStore.page.mockResolvedValue({ source: 'raw', rows: [], nextCursor: null });
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/history/{exchange}/{symbol}', pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' } }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(f.historyStore.page).toHaveBeenCalledWith({ exchange: 'binance', symbol: 'BTCUSDT', fromMs: NOW - 3_600_000, toMs: NOW, interval: undefined, limit: 1000, cursor: undefined });
      expect(bodyOf(response)).toEqual({
        exchange: 'binance',
        symbol: 'BTCUSDT',
        interval: null,
        source: 'raw',
        from: { iso: '2026-11-25T09:00:00.000Z', epochMs: NOW - 3_600_000 },
        to: { iso: '2026-11-25T10:00:00.000Z', epochMs: NOW },
        rows: [],
        nextCursor: null,
      });
    });

    it('passes an explicit history range, interval, limit and cursor to the store', async () => {
      // Prepare
      const f = fakes();
      f.historyStore.page.mockResolvedValue({ source: 'rollup', rows: [], nextCursor: 'next' });
      const handler = handlerFor(f);

      // Act
      const response = await handler(
        apiEvent({
          method: 'GET',
          resource: '/v1/history/{exchange}/{symbol}',
          pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' },
          query: { from: ['2026-11-25T10:00:00+01:00'], to: [String(NOW)], interval: ['1m'], limit: ['60'], cursor: ['abc'] },
        }),
      );

      // Assert
      expect(response.statusCode).toBe(200);
      expect(f.historyStore.page).toHaveBeenCalledWith({ exchange: 'binance', symbol: 'BTCUSDT', fromMs: NOW - 3_600_000, toMs: NOW, interval: '1m', limit: 60, cursor: 'abc' });
      expect(bodyOf(response).nextCursor).toBe('next');
    });

    it('serves the OpenAPI document', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/openapi.json', caller: READER }));

      // Assert
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toEqual({ openapi: '3.1.0', info: { title: 'fake' } });
    });

    it('reports the collectors from heartbeats and connection rows', async () => {
      // Prepare
      const f = fakes();
      f.pool.query.mockResolvedValue({
        rows: [
          { collector_id: 'c1', connection_id: 'k1', exchange: 'binance', state: 'open', streams: 3, last_message_at: new Date(NOW - 500), reconnects: 0, errors: 0, updated_at: new Date(NOW - 5_000) },
          { collector_id: 'c2', connection_id: 'k9', exchange: 'binance', state: 'open', streams: 1, last_message_at: null, reconnects: 2, errors: 1, updated_at: new Date(NOW - 120_000) },
        ],
      });
      f.redis.scanStream.mockReturnValue([['status:collector:c1']]);
      const beat = { exchange: 'binance', state: 'running', startedAt: '2026-11-25T08:00:00.000Z', heartbeatAt: new Date(NOW - 3_000).toISOString(), shard: '0', configVersion: '7', symbols: '3', connections: '1', connectionsOpen: '1', reconnects: '0', tradesProcessed: '42' };
      f.redis.pipeline.mockReturnValue({ hgetall: jest.fn(), exec: jest.fn().mockResolvedValue([[null, beat]]) });
      f.configStore.currentCommit.mockResolvedValue(at(7));
      f.publisher.publishedCommit.mockResolvedValue(at(7));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/status', caller: READER }));

      // Assert
      expect(response.statusCode).toBe(200);
      const body = bodyOf(response) as unknown as { generatedAt: string; config: unknown; collectors: Array<{ collectorId: string; live: boolean; heartbeat: Record<string, unknown> | null; connections: Array<{ ageMs: number; stale: boolean }> }> };
      expect(body.generatedAt).toBe(new Date(NOW).toISOString());
      expect(body.config).toEqual({ version: 7, epoch: 0, publishedVersion: 7, publishedEpoch: 0, inSync: true, collectorsDiverged: [] });
      expect(body.collectors.map((c) => [c.collectorId, c.live])).toEqual([
        ['c1', true],
        ['c2', false],
      ]);
      expect(body.collectors[0]!.heartbeat).toMatchObject({ heartbeatAgeMs: 3_000, configVersion: 7, symbols: 3, tradesProcessed: 42 });
      expect(body.collectors[0]!.connections).toEqual([expect.objectContaining({ ageMs: 5_000, stale: false })]);
      expect(body.collectors[1]!.heartbeat).toBeNull();
      expect(body.collectors[1]!.connections).toEqual([expect.objectContaining({ ageMs: 120_000, stale: true })]);
    });

    it('is not in sync while a collector holds a version the database does not know, though Redis holds the database\'s', async () => {
      // Prepare: the database was restored to version 80 and Redis lost its data; a collector still holds 120.
      const f = fakes();
      f.pool.query.mockResolvedValue({ rows: [] });
      const beat = (configVersion: string, configEpoch: string) => ({ exchange: 'binance', state: 'running', heartbeatAt: new Date(NOW - 1_000).toISOString(), configVersion, configEpoch });
      withHeartbeats(f, { 'c-ahead': beat('120', '0'), 'c-fine': beat('80', '0') });
      f.configStore.currentCommit.mockResolvedValue(at(80));
      f.publisher.publishedCommit.mockResolvedValue(at(80));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/status', caller: READER }));

      // Assert
      const body = bodyOf(response) as unknown as { config: unknown; collectors: Array<{ heartbeat: { configEpoch: number | null } }> };
      expect(body.config).toEqual({ version: 80, epoch: 0, publishedVersion: 80, publishedEpoch: 0, inSync: false, collectorsDiverged: ['c-ahead'] });
      expect(body.collectors.map((c) => c.heartbeat.configEpoch)).toEqual([0, 0]);
    });
  });

  describe('failures', () => {
    it('answers an ApiError from the store with its own status and code', async () => {
      // Prepare
      const f = fakes();
      f.configStore.putSymbol.mockRejectedValue(preconditionFailed('binance:BTCUSDT changed'));
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent({ headers: { 'If-Match': '"1"' } }));

      // Assert
      expect(response.statusCode).toBe(412);
      expect(bodyOf(response).error).toEqual({ code: 'PRECONDITION_FAILED', message: 'binance:BTCUSDT changed' });
      expect(f.publisher.publish).not.toHaveBeenCalled();
    });

    it('answers a read cancelled at its statement timeout with 503 QUERY_TIMEOUT, Retry-After, and counts it', async () => {
      // Prepare
      const f = fakes();
      f.historyStore.page.mockRejectedValue(new QueryTimeoutError('GET /v1/history', 2000, { cause: Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }) }));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/history/{exchange}/{symbol}', pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' } }));

      // Assert
      expect(response.statusCode).toBe(503);
      expect(response.headers?.['Retry-After']).toBe('1');
      expect(bodyOf(response).error?.code).toBe('QUERY_TIMEOUT');
      expect(bodyOf(response).error?.message).toMatch(/2000 ms statement timeout/);
      expect(f.metrics).toContainEqual(['QueryTimeouts', 'Count', 1]);
    });

    it('refuses a history page beyond the cost bound with 400 before touching the store', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/history/{exchange}/{symbol}', pathParameters: { exchange: 'binance', symbol: 'BTCUSDT' }, query: { interval: ['1d'], limit: ['32'] } }));

      // Assert
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).error?.code).toBe('COST_LIMIT_EXCEEDED');
      expect(f.historyStore.page).not.toHaveBeenCalled();
    });

    it('answers a 422 ApiError from the store as 422', async () => {
      // Prepare
      const f = fakes();
      f.configStore.putSymbol.mockRejectedValue(new ApiError(422, 'PAIR_NOT_LISTED', 'not listed'));
      const handler = handlerFor(f);

      // Act
      const response = await handler(putEvent());

      // Assert
      expect(response.statusCode).toBe(422);
      expect(bodyOf(response).error?.code).toBe('PAIR_NOT_LISTED');
    });

    it.each([
      ['a pg-like ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
      ['a PostgreSQL admin shutdown', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
      ['a DependencyError', new DependencyError('redis', 'redis is down')],
      ['an ioredis closed connection', new Error('Connection is closed.')],
      ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
      ['a PostgreSQL statement timeout', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
      ['a node-postgres query read timeout', new Error('Query read timeout')],
      ['refused credentials (a rotated secret)', Object.assign(new Error('password authentication failed for user "mdc"'), { code: '28P01' })],
    ])('answers %s with 503 SERVICE_UNAVAILABLE and Retry-After', async (_label, failure) => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockRejectedValue(failure);
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', requestId: 'req-503' }));

      // Assert
      expect(response.statusCode).toBe(503);
      expect(response.headers?.['Retry-After']).toBe('1');
      expect(bodyOf(response).error?.code).toBe('SERVICE_UNAVAILABLE');
      expect(bodyOf(response).error?.message).toContain('req-503');
      expect(metricNames(f)).toEqual(expect.arrayContaining(['DependencyFailures', 'ServerErrors']));
    });

    it('answers a plain Error with 500 INTERNAL_ERROR quoting the request id, without leaking the error', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockRejectedValue(new Error('column "secret_detail" does not exist'));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', requestId: 'req-500' }));

      // Assert
      expect(response.statusCode).toBe(500);
      expect(bodyOf(response).error?.code).toBe('INTERNAL_ERROR');
      expect(bodyOf(response).error?.message).toContain('req-500');
      expect(response.body).not.toContain('secret_detail');
      expect(response.headers).not.toHaveProperty('Retry-After');
      expect(f.metrics).toContainEqual(['ServerErrors', 'Count', 1]);
      expect(f.log.error).toHaveBeenCalledWith('request failed', expect.objectContaining({ requestId: 'req-500', error: 'column "secret_detail" does not exist' }));
    });

    // Fails until lambdas/api/handler.ts isDependencyFailure copes with a rejection that is not an object.
    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a string', 'boom'],
    ])('answers a rejection with %s with 500 instead of throwing', async (_label, failure) => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockRejectedValue(failure);
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', requestId: 'req-odd' }));

      // Assert
      expect(response.statusCode).toBe(500);
      expect(bodyOf(response).error?.message).toContain('req-odd');
    });

    it('answers 503 when the dependencies cannot be built, and builds them again on the next request', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockResolvedValue(settingsDto(1));
      const dependencies = jest
        .fn<Promise<ApiDependencies>, []>()
        .mockRejectedValueOnce(Object.assign(new Error('getaddrinfo ENOTFOUND db'), { code: 'ENOTFOUND' }))
        .mockResolvedValue(f.deps);
      const handler = createApiHandler({ dependencies: dependencyCache(dependencies), principals: { readers: [], admins: [ADMIN_ROLE] }, maxBodyBytes: 1024, logger: f.log.logger });

      // Act
      const first = await handler(apiEvent({ method: 'GET', resource: '/v1/settings' }));
      const second = await handler(apiEvent({ method: 'GET', resource: '/v1/settings' }));
      const third = await handler(apiEvent({ method: 'GET', resource: '/v1/settings' }));

      // Assert
      expect([first.statusCode, second.statusCode, third.statusCode]).toEqual([503, 200, 200]);
      expect(dependencies).toHaveBeenCalledTimes(2);
    });
    it('rebuilds the connections after the database refused the credentials, and the next request succeeds', async () => {
      // Prepare: generation 1 holds a rotated-away password; generation 2 reads the secret again.
      const stale = fakes();
      const fresh = fakes();
      const close = jest.fn(async () => undefined);
      stale.deps.close = close;
      stale.configStore.getSettings.mockRejectedValue(Object.assign(new Error('password authentication failed for user "mdc"'), { code: '28P01' }));
      fresh.configStore.getSettings.mockResolvedValue(settingsDto(1));
      const create = jest.fn<Promise<ApiDependencies>, []>().mockResolvedValueOnce(stale.deps).mockResolvedValueOnce(fresh.deps);
      const handler = createApiHandler({ dependencies: dependencyCache(create, async (d) => d.close?.()), principals: { readers: [], admins: [ADMIN_ROLE] }, maxBodyBytes: 1024, logger: stale.log.logger });

      // Act
      const first = await handler(apiEvent({ method: 'GET', resource: '/v1/settings' }));
      const second = await handler(apiEvent({ method: 'GET', resource: '/v1/settings' }));

      // Assert
      expect([first.statusCode, second.statusCode]).toEqual([503, 200]);
      expect(create).toHaveBeenCalledTimes(2);
      expect(close).toHaveBeenCalledTimes(1);
      expect(fresh.configStore.getSettings).toHaveBeenCalledTimes(1);
    });

    it('keeps the connections after a timeout: only refused credentials rebuild them', async () => {
      // Prepare
      const f = fakes();
      const close = jest.fn(async () => undefined);
      f.deps.close = close;
      f.configStore.getSettings.mockRejectedValueOnce(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })).mockResolvedValue(settingsDto(1));
      const create = jest.fn(async () => f.deps);
      const handler = createApiHandler({ dependencies: dependencyCache(create, async (d) => d.close?.()), principals: { readers: [], admins: [ADMIN_ROLE] }, maxBodyBytes: 1024, logger: f.log.logger });

      // Act
      const first = await handler(apiEvent({ method: 'GET', resource: '/v1/settings' }));
      const second = await handler(apiEvent({ method: 'GET', resource: '/v1/settings' }));

      // Assert
      expect([first.statusCode, second.statusCode]).toEqual([503, 200]);
      expect(create).toHaveBeenCalledTimes(1);
      expect(close).not.toHaveBeenCalled();
    });
  });

  describe('every response', () => {
    const scenarios: Array<[string, (f: Fakes) => APIGatewayProxyEvent, number]> = [
      [
        '200',
        (f) => {
          f.configStore.getSettings.mockResolvedValue(settingsDto(1));
          return apiEvent({ method: 'GET', resource: '/v1/settings' });
        },
        200,
      ],
      [
        '201',
        (f) => {
          f.configStore.putSymbol.mockResolvedValue(written(symbolDto(2), 2, true));
          f.publisher.publish.mockResolvedValue(true);
          return putEvent();
        },
        201,
      ],
      ['400', () => putEvent({ body: {} }), 400],
      ['403', () => apiEvent({ method: 'GET', resource: '/v1/settings', caller: STRANGER }), 403],
      ['404', () => apiEvent({ method: 'GET', resource: '/v1/unknown' }), 404],
      [
        '500',
        (f) => {
          f.configStore.getSettings.mockRejectedValue(new Error('boom'));
          return apiEvent({ method: 'GET', resource: '/v1/settings' });
        },
        500,
      ],
      [
        '503',
        (f) => {
          f.configStore.getSettings.mockRejectedValue(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
          return apiEvent({ method: 'GET', resource: '/v1/settings' });
        },
        503,
      ],
    ];

    it.each(scenarios)('carries X-Request-Id, JSON and no-store on a %s', async (_label, prepare, status) => {
      // Prepare
      const f = fakes();
      const event = prepare(f);
      event.requestContext.requestId = 'req-every';
      const handler = handlerFor(f);

      // Act
      const response = await handler(event);

      // Assert
      expect(response.statusCode).toBe(status);
      expect(response.headers).toMatchObject({ 'X-Request-Id': 'req-every', 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      expect(() => JSON.parse(response.body) as unknown).not.toThrow();
    });

    it('carries X-Request-Id but no Content-Type on a 304', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockResolvedValue(settingsDto(5));
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', headers: { 'If-None-Match': '"5"' }, requestId: 'req-304' }));

      // Assert
      expect(response.statusCode).toBe(304);
      expect(response.headers?.['X-Request-Id']).toBe('req-304');
      expect(response.headers).not.toHaveProperty('Content-Type');
    });

    it('makes up a request id when API Gateway gives none', async () => {
      // Prepare
      const f = fakes();
      const handler = handlerFor(f);

      // Act
      const response = await handler(apiEvent({ method: 'GET', resource: '/v1/settings', caller: STRANGER, requestId: null }));

      // Assert
      expect(response.headers?.['X-Request-Id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it('records Requests and Latency once the dependencies exist', async () => {
      // Prepare
      const f = fakes();
      f.configStore.getSettings.mockResolvedValue(settingsDto(1));
      const handler = handlerFor(f);

      // Act
      await handler(apiEvent({ method: 'GET', resource: '/v1/settings' }));

      // Assert
      expect(metricNames(f)).toEqual(['Requests', 'Latency']);
      expect(f.metrics[0]).toEqual(['Requests', 'Count', 1]);
      expect(f.metrics[1]![1]).toBe('Milliseconds');
      expect(f.log.info).toHaveBeenCalledWith('request', expect.objectContaining({ requestId: 'req-1', status: 200, method: 'GET', resource: '/v1/settings', caller: ADMIN }));
    });
  });
});

describe('createReconciler', () => {
  it('publishes the committed snapshot when Redis lacks it', async () => {
    // Prepare
    const f = fakes();
    f.configStore.currentCommit.mockResolvedValue(at(3));
    f.publisher.publishedCommit.mockResolvedValue(null);
    f.configStore.readSnapshot.mockResolvedValue(snapshot(3));
    f.publisher.publish.mockResolvedValue(true);
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const result = await reconcile();

    // Assert
    expect(result).toEqual({ databaseVersion: 3, databaseEpoch: 0, publishedVersion: null, publishedEpoch: null, republished: true, diverged: false, collectorsDiverged: [] });
    expect(f.publisher.publish).toHaveBeenCalledWith(snapshot(3));
    expect(f.metrics).toContainEqual(['ConfigRepublished', 'Count', 1]);
    expect(f.log.warn).toHaveBeenCalled();
  });

  it.each([
    ['Redis holds the committed version', 3, 3],
    ['nothing was ever configured', 0, null],
  ])('does nothing when %s', async (_label, databaseVersion, publishedVersion) => {
    // Prepare
    const f = fakes();
    f.configStore.currentCommit.mockResolvedValue(at(databaseVersion));
    f.publisher.publishedCommit.mockResolvedValue(publishedVersion === null ? null : at(publishedVersion));
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const result = await reconcile();

    // Assert
    expect(result).toEqual({ databaseVersion, databaseEpoch: 0, publishedVersion, publishedEpoch: publishedVersion === null ? null : 0, republished: false, diverged: false, collectorsDiverged: [] });
    expect(f.configStore.readSnapshot).not.toHaveBeenCalled();
    expect(f.publisher.publish).not.toHaveBeenCalled();
    expect(f.metrics).toEqual([]);
  });

  it('starts a new epoch past a newer snapshot in Redis and republishes', async () => {
    // Prepare
    const f = fakes();
    f.configStore.currentCommit.mockResolvedValue(at(3));
    f.publisher.publishedCommit.mockResolvedValue(at(40));
    f.configStore.startEpochPast.mockResolvedValue(snapshot(41, 1));
    f.publisher.publish.mockResolvedValue(true);
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const result = await reconcile();

    // Assert
    expect(result).toEqual({ databaseVersion: 41, databaseEpoch: 1, publishedVersion: 40, publishedEpoch: 0, republished: true, diverged: true, collectorsDiverged: [] });
    expect(f.configStore.startEpochPast).toHaveBeenCalledWith(position(40), 'config reconciliation');
    expect(f.publisher.publish).toHaveBeenCalledWith(snapshot(41, 1));
    expect(f.metrics).toContainEqual(['ConfigVersionDivergence', 'Count', 1]);
    expect(f.log.error).toHaveBeenCalled();
  });

  it('starts a new epoch past a collector that holds a version the database does not know, with Redis empty, and republishes', async () => {
    // Prepare: the database was restored to version 80 while Redis lost its data; collector c-1 still holds 120.
    const f = fakes();
    withHeartbeats(f, { 'c-1': { configVersion: '120', configEpoch: '0' }, 'c-2': { configVersion: '80', configEpoch: '0' } });
    f.configStore.currentCommit.mockResolvedValue(at(80));
    f.publisher.publishedCommit.mockResolvedValue(null);
    f.configStore.startEpochPast.mockResolvedValue(snapshot(121, 1));
    f.publisher.publish.mockResolvedValue(true);
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const result = await reconcile();

    // Assert
    expect(result).toEqual({ databaseVersion: 121, databaseEpoch: 1, publishedVersion: null, publishedEpoch: null, republished: true, diverged: true, collectorsDiverged: ['c-1'] });
    expect(f.configStore.startEpochPast).toHaveBeenCalledWith(position(120), 'config reconciliation');
    expect(f.configStore.readSnapshot).not.toHaveBeenCalled();
    expect(f.publisher.publish).toHaveBeenCalledWith(snapshot(121, 1));
    expect(f.metrics).toContainEqual(['ConfigVersionDivergence', 'Count', 1]);
    expect(f.log.error).toHaveBeenCalled();
  });

  it('starts the epoch after a collector\'s later epoch, whatever its version, and after the highest position it saw', async () => {
    // Prepare: the database went back to before an earlier epoch change.
    const f = fakes();
    withHeartbeats(f, { 'c-1': { configVersion: '5', configEpoch: '2' }, 'c-2': { configVersion: '900', configEpoch: '1' } });
    f.configStore.currentCommit.mockResolvedValue(at(300, 1));
    f.publisher.publishedCommit.mockResolvedValue(at(300, 1));
    f.configStore.startEpochPast.mockResolvedValue(snapshot(901, 3));
    f.publisher.publish.mockResolvedValue(true);
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const result = await reconcile();

    // Assert
    expect(result.collectorsDiverged).toEqual(['c-1', 'c-2']);
    expect(f.configStore.startEpochPast).toHaveBeenCalledWith(position(5, 2), 'config reconciliation');
  });

  it('starts a new epoch when a collector holds the database\'s version committed at another time (the restored database reached it again)', async () => {
    // Prepare
    const f = fakes();
    withHeartbeats(f, { 'c-1': { configVersion: '120', configEpoch: '0', configUpdatedAt: '2026-11-20T08:00:00.000Z' }, 'c-2': { configVersion: '120', configEpoch: '0', configUpdatedAt: COMMITTED_AT } });
    f.configStore.currentCommit.mockResolvedValue(at(120));
    f.publisher.publishedCommit.mockResolvedValue(at(120));
    f.configStore.startEpochPast.mockResolvedValue(snapshot(121, 1));
    f.publisher.publish.mockResolvedValue(true);
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const result = await reconcile();

    // Assert
    expect(result).toMatchObject({ diverged: true, republished: true, collectorsDiverged: ['c-1'] });
    expect(f.configStore.startEpochPast).toHaveBeenCalledWith(position(120), 'config reconciliation');
  });

  it('skips a key under the heartbeat prefix that is not a hash', async () => {
    // Prepare
    const f = fakes();
    f.redis.scanStream.mockReturnValue([['status:collector:odd', 'status:collector:c-1']]);
    const wrongType = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    f.redis.pipeline.mockReturnValue({ hgetall: jest.fn(), exec: jest.fn().mockResolvedValue([[wrongType, null], [null, { configVersion: '120', configEpoch: '0' }]]) });
    f.configStore.currentCommit.mockResolvedValue(at(80));
    f.publisher.publishedCommit.mockResolvedValue(at(80));
    f.configStore.startEpochPast.mockResolvedValue(snapshot(121, 1));
    f.publisher.publish.mockResolvedValue(true);
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const result = await reconcile();

    // Assert
    expect(result).toMatchObject({ diverged: true, collectorsDiverged: ['c-1'] });
  });

  it('takes neither a collector behind the database (an older epoch, whatever its version) nor one on its SYMBOLS for divergence', async () => {
    // Prepare
    const f = fakes();
    withHeartbeats(f, { 'c-behind': { configVersion: '120', configEpoch: '0' }, 'c-env': { configVersion: '', configEpoch: '' }, 'c-old': { configVersion: '40' } });
    f.configStore.currentCommit.mockResolvedValue(at(50, 1));
    f.publisher.publishedCommit.mockResolvedValue(at(50, 1));
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const result = await reconcile();

    // Assert
    expect(result).toMatchObject({ diverged: false, republished: false, collectorsDiverged: [] });
    expect(f.configStore.startEpochPast).not.toHaveBeenCalled();
    expect(f.publisher.publish).not.toHaveBeenCalled();
  });

  it('records ConfigReconcileFailures and rethrows when reconciling fails', async () => {
    // Prepare
    const f = fakes();
    const failure = new Error('Connection is closed.');
    f.configStore.currentCommit.mockResolvedValue(at(3));
    f.publisher.publishedCommit.mockRejectedValue(failure);
    const reconcile = createReconciler({ dependencies: dependencyCache(async () => f.deps), logger: f.log.logger });

    // Act
    const outcome = reconcile();

    // Assert
    await expect(outcome).rejects.toBe(failure);
    expect(f.metrics).toEqual([['ConfigReconcileFailures', 'Count', 1]]);
    expect(f.log.error).toHaveBeenCalled();
  });

  it('rebuilds the connections after the database refused the credentials, so the next run succeeds', async () => {
    // Prepare
    const stale = fakes();
    const fresh = fakes();
    const close = jest.fn(async () => undefined);
    stale.deps.close = close;
    stale.configStore.currentCommit.mockRejectedValue(Object.assign(new Error('password authentication failed for user "mdc"'), { code: '28P01' }));
    stale.publisher.publishedCommit.mockResolvedValue(at(3));
    fresh.configStore.currentCommit.mockResolvedValue(at(3));
    fresh.publisher.publishedCommit.mockResolvedValue(at(3));
    const create = jest.fn<Promise<ApiDependencies>, []>().mockResolvedValueOnce(stale.deps).mockResolvedValueOnce(fresh.deps);
    const reconcile = createReconciler({ dependencies: dependencyCache(create, async (d) => d.close?.()), logger: stale.log.logger });

    // Act
    const first = await reconcile().then(
      () => undefined,
      (error: unknown) => error,
    );
    const second = await reconcile();

    // Assert
    expect(first).toMatchObject({ code: '28P01' });
    expect(second).toEqual({ databaseVersion: 3, databaseEpoch: 0, publishedVersion: 3, publishedEpoch: 0, republished: false, diverged: false, collectorsDiverged: [] });
    expect(create).toHaveBeenCalledTimes(2);
    expect(close).toHaveBeenCalledTimes(1);
  });
});

describe('isScheduledEvent', () => {
  it('recognizes an EventBridge Scheduled Event', () => {
    // Prepare
    const event: ScheduledEvent = {
      version: '0',
      id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: '2026-11-25T10:00:00Z',
      region: 'eu-west-1',
      resources: [`arn:aws:events:eu-west-1:${ACCOUNT}:rule/reconcile`],
      detail: {},
    };

    // Act
    const recognized = isScheduledEvent(event);

    // Assert
    expect(recognized).toBe(true);
  });

  it.each([
    ['an API Gateway event', apiEvent({ method: 'GET', resource: '/v1/settings' })],
    ['another EventBridge event', { 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2' }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Scheduled Event'],
    ['an empty object', {}],
  ])('does not take %s for one', (_label, event) => {
    // Act
    const recognized = isScheduledEvent(event);

    // Assert
    expect(recognized).toBe(false);
  });
});
