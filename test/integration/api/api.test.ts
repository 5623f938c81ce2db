import type { APIGatewayProxyResult } from 'aws-lambda';
import Redis from 'ioredis';
import { CONFIG_SNAPSHOT_KEY, CONFIG_UPDATES_CHANNEL, configSnapshotSchema } from '../../../services/shared/config-snapshot';
import { runMigrations } from '../../../services/shared/db';
import { DependencyCache } from '../../../services/shared/lifecycle';
import { createLogger } from '../../../services/shared/logger';
import { connectDependencies, createApiHandler, createReconciler, SnapshotPublisher, type ApiDependencies, type ApiHandler } from '../../../lambdas/api';
import { ADMIN_ARN, apiEvent, createTestDatabase, openTestRedis, queryOnce, READER_ARN, type ApiEventInput, type TestDatabase, type TestRedis } from '../../support';

const logger = createLogger({ serviceName: 'api-test', logLevel: process.env.LOG_LEVEL ?? 'SILENT' });

/** Connections this file owns and closes itself, behind the owner interface the handler takes. */
const fixed = (value: ApiDependencies): DependencyCache<ApiDependencies> => new DependencyCache({ create: async () => value, close: async () => undefined });

class RecordingMetrics {
  readonly counts: Record<string, number> = {};
  addMetric(name: string, _unit: string, value: number): void {
    this.counts[name] = (this.counts[name] ?? 0) + value;
  }
}

let database: TestDatabase;
let redis: TestRedis;
let deps: ApiDependencies & { close(): Promise<void> };
let metrics: RecordingMetrics;
let handle: ApiHandler;

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(input: ApiEventInput): Promise<Reply> {
  const result: APIGatewayProxyResult = await handle(apiEvent(input));
  return { status: result.statusCode, headers: (result.headers ?? {}) as Record<string, string>, body: result.body ? JSON.parse(result.body) : undefined };
}

async function publishedSnapshot() {
  const raw = await redis.client.get(CONFIG_SNAPSHOT_KEY);
  return raw === null ? null : configSnapshotSchema.parse(JSON.parse(raw));
}

beforeAll(async () => {
  database = await createTestDatabase('mdc_api');
  await runMigrations({ databaseUrl: database.url, logger });
  redis = await openTestRedis();
});

afterAll(async () => {
  await redis.cleanup();
  await database.drop();
});

beforeEach(async () => {
  metrics = new RecordingMetrics();
  deps = connectDependencies({ databaseUrl: database.url, redisUrl: redis.url, logger, metrics });
  handle = createApiHandler({ dependencies: fixed(deps), principals: { readers: [READER_ARN], admins: [ADMIN_ARN] }, maxBodyBytes: 16_384, logger });
});

afterEach(async () => {
  await deps.close();
  await queryOnce(database.url, 'TRUNCATE collection_config, collection_status, price_change_rates, price_change_rates_1m, trading_pairs');
  await queryOnce(database.url, 'UPDATE config_state SET version = 0, epoch = 0');
  await queryOnce(database.url, `UPDATE collection_settings SET persist_interval_ms = NULL, anomaly_threshold_pct = NULL, stale_after_ms = NULL, max_streams_per_connection = NULL, raw_retention_days = 7`);
  await redis.client.flushdb();
});

describe('symbols', () => {
  it('creates a symbol, publishes the snapshot with its version and announces it', async () => {
    // Prepare
    const subscriber = new Redis(redis.url);
    const announced: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => announced.push(message));
    await subscriber.subscribe(CONFIG_UPDATES_CHANNEL);

    // Act
    const reply = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });

    // Assert
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ exchange: 'binance', symbol: 'BTCUSDT', enabled: true, streams: ['aggTrade'], updatedBy: ADMIN_ARN });
    expect(reply.headers.ETag).toBe(`"${reply.body.version}"`);
    expect(reply.headers['X-Config-Published']).toBe('true');
    const snapshot = await publishedSnapshot();
    expect(snapshot).toMatchObject({ version: reply.body.version, epoch: 0, symbols: [{ exchange: 'binance', symbol: 'BTCUSDT', enabled: true }] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(announced.map((message) => JSON.parse(message))).toEqual([{ version: reply.body.version, epoch: 0 }]);
    subscriber.disconnect();
  });

  it('lists symbols with the config version as ETag and answers 304 to a current If-None-Match', async () => {
    // Prepare
    await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });
    const last = await call({ method: 'PUT', path: '/v1/symbols/binance/ETHUSDT', body: { enabled: false } });

    // Act
    const all = await call({ method: 'GET', path: '/v1/symbols', caller: READER_ARN });
    const enabled = await call({ method: 'GET', path: '/v1/symbols?enabled=true', caller: READER_ARN });
    const unchanged = await call({ method: 'GET', path: '/v1/symbols', caller: READER_ARN, headers: { 'If-None-Match': all.headers.ETag! } });

    // Assert
    expect(all.status).toBe(200);
    expect(all.body.version).toBe(last.body.version);
    expect(all.body.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(enabled.body.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['BTCUSDT']);
    expect(unchanged.status).toBe(304);
  });

  it('does not draw a new version for a PUT that changes nothing', async () => {
    // Prepare
    const first = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });

    // Act
    const again = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true, streams: ['aggTrade'] } });

    // Assert
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(first.body.version);
    expect(again.headers['X-Config-Version']).toBeUndefined();
  });

  it('refuses a write based on a stale ETag with 412, and If-None-Match: * on an existing symbol', async () => {
    // Prepare
    const created = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });
    await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', headers: { 'If-Match': created.headers.ETag! }, body: { enabled: false } });

    // Act
    const stale = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', headers: { 'If-Match': created.headers.ETag! }, body: { enabled: true } });
    const createOnly = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', headers: { 'If-None-Match': '*' }, body: { enabled: true } });
    const staleDelete = await call({ method: 'DELETE', path: '/v1/symbols/binance/BTCUSDT', headers: { 'If-Match': created.headers.ETag! } });

    // Assert
    expect([stale.status, createOnly.status, staleDelete.status]).toEqual([412, 412, 412]);
    expect(stale.body.error.code).toBe('PRECONDITION_FAILED');
    expect((await call({ method: 'GET', path: '/v1/symbols/binance/BTCUSDT' })).body.enabled).toBe(false);
  });

  it('lets exactly one of two concurrent writes based on the same ETag win', async () => {
    // Prepare
    const created = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });
    const etag = created.headers.ETag!;

    // Act
    const replies = await Promise.all([
      call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', headers: { 'If-Match': etag }, body: { enabled: false } }),
      call({ method: 'DELETE', path: '/v1/symbols/binance/BTCUSDT', headers: { 'If-Match': etag } }),
    ]);

    // Assert
    expect(replies.map((r) => r.status).sort()).toEqual([200, 412]);
  });

  it('answers 412 to a conditional DELETE that lost to another DELETE', async () => {
    // Prepare
    const created = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });
    await call({ method: 'DELETE', path: '/v1/symbols/binance/BTCUSDT', headers: { 'If-Match': created.headers.ETag! } });

    // Act
    const late = await call({ method: 'DELETE', path: '/v1/symbols/binance/BTCUSDT', headers: { 'If-Match': created.headers.ETag! } });

    // Assert
    expect(late.status).toBe(412);
  });

  it('deletes a symbol: gone from the table and from the next snapshot; a second delete is 404', async () => {
    // Prepare
    await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });
    await call({ method: 'PUT', path: '/v1/symbols/binance/ETHUSDT', body: { enabled: true } });

    // Act
    const deleted = await call({ method: 'DELETE', path: '/v1/symbols/binance/BTCUSDT' });
    const again = await call({ method: 'DELETE', path: '/v1/symbols/binance/BTCUSDT' });

    // Assert
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ exchange: 'binance', symbol: 'BTCUSDT', deleted: true });
    expect(again.status).toBe(404);
    const snapshot = await publishedSnapshot();
    expect(snapshot!.version).toBe(deleted.body.version);
    expect(snapshot!.symbols.map((s) => s.symbol)).toEqual(['ETHUSDT']);
  });

  it('checks pairs against trading_pairs where it lists the exchange, and keeps its collect flag in step', async () => {
    // Prepare
    await queryOnce(database.url, `INSERT INTO trading_pairs (exchange, symbol, base_asset, quote_asset) VALUES ('binance', 'BTCUSDT', 'BTC', 'USDT')`);

    // Act
    const unknown = await call({ method: 'PUT', path: '/v1/symbols/binance/NOPEUSDT', body: { enabled: true } });
    const listed = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });
    const otherExchange = await call({ method: 'PUT', path: '/v1/symbols/kraken/XBTUSD', body: { enabled: true } });

    // Assert
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('UNKNOWN_PAIR');
    expect(listed.status).toBe(201);
    expect(otherExchange.status).toBe(201);
    const [pair] = await queryOnce<{ collect: boolean; first_collected_at: Date | null }>(database.url, `SELECT collect, first_collected_at FROM trading_pairs WHERE symbol = 'BTCUSDT'`);
    expect(pair).toMatchObject({ collect: true });
    expect(pair!.first_collected_at).not.toBeNull();
  });

  it('refuses to enable a pair trading_pairs lists as not TRADING with 409, and lets it be disabled', async () => {
    // Prepare: ETHUSDT was collected before the exchange halted it.
    await queryOnce(
      database.url,
      `INSERT INTO trading_pairs (exchange, symbol, base_asset, quote_asset, status) VALUES ('binance', 'BTCUSDT', 'BTC', 'USDT', 'TRADING'), ('binance', 'ETHUSDT', 'ETH', 'USDT', 'TRADING'), ('binance', 'LUNAUSDT', 'LUNA', 'USDT', 'BREAK')`,
    );
    const collected = await call({ method: 'PUT', path: '/v1/symbols/binance/ETHUSDT', body: { enabled: true } });
    await queryOnce(database.url, `UPDATE trading_pairs SET status = 'HALT' WHERE symbol = 'ETHUSDT'`);

    // Act
    const enableBreak = await call({ method: 'PUT', path: '/v1/symbols/binance/LUNAUSDT', body: { enabled: true } });
    const disableBreak = await call({ method: 'PUT', path: '/v1/symbols/binance/LUNAUSDT', body: { enabled: false } });
    const disableHalted = await call({ method: 'PUT', path: '/v1/symbols/binance/ETHUSDT', body: { enabled: false } });
    const reenableHalted = await call({ method: 'PUT', path: '/v1/symbols/binance/ETHUSDT', body: { enabled: true } });

    // Assert
    expect(collected.status).toBe(201);
    expect(enableBreak.status).toBe(409);
    expect(enableBreak.body.error).toMatchObject({ code: 'PAIR_NOT_TRADING', message: expect.stringContaining('status BREAK') });
    expect(disableBreak.status).toBe(201);
    expect(disableHalted.status).toBe(200);
    expect(reenableHalted.status).toBe(409);
    expect(reenableHalted.body.error.message).toContain('status HALT');
    const rows = await queryOnce<{ symbol: string; enabled: boolean }>(database.url, `SELECT symbol, enabled FROM collection_config ORDER BY symbol`);
    expect(rows).toEqual([
      { symbol: 'ETHUSDT', enabled: false },
      { symbol: 'LUNAUSDT', enabled: false },
    ]);
    expect((await publishedSnapshot())!.symbols.filter((s) => s.enabled)).toEqual([]);
  });
});

describe('settings', () => {
  it('changes only the given settings, resets with null, and publishes them in the snapshot', async () => {
    // Prepare
    const before = await call({ method: 'GET', path: '/v1/settings', caller: READER_ARN });

    // Act
    const changed = await call({ method: 'PATCH', path: '/v1/settings', headers: { 'If-Match': before.headers.ETag! }, body: { persistIntervalMs: 5000, staleAfterMs: 120_000 } });
    const reset = await call({ method: 'PATCH', path: '/v1/settings', body: { staleAfterMs: null } });

    // Assert
    expect(before.body).toMatchObject({ persistIntervalMs: null, staleAfterMs: null });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ persistIntervalMs: 5000, staleAfterMs: 120_000, anomalyThresholdPct: null, updatedBy: ADMIN_ARN });
    expect(reset.body).toMatchObject({ persistIntervalMs: 5000, staleAfterMs: null });
    expect((await publishedSnapshot())!.settings).toEqual({ persistIntervalMs: 5000 });
  });

  it('refuses values outside their ranges, naming the field', async () => {
    // Act
    const reply = await call({ method: 'PATCH', path: '/v1/settings', body: { persistIntervalMs: 50, maxStreamsPerConnection: 2000 } });

    // Assert
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['body.maxStreamsPerConnection', 'body.persistIntervalMs']);
  });
});

describe('authorization and input', () => {
  it('refuses a reader\'s write and an unknown principal, before touching the database', async () => {
    // Act
    const readerWrite = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', caller: READER_ARN, body: { enabled: true } });
    const stranger = await call({ method: 'GET', path: '/v1/symbols', caller: 'arn:aws:iam::123456789012:user/someone' });
    const anonymous = await call({ method: 'GET', path: '/v1/symbols', caller: null });

    // Assert
    expect([readerWrite.status, stranger.status, anonymous.status]).toEqual([403, 403, 403]);
    expect(readerWrite.body.error.code).toBe('ACCESS_DENIED');
    expect(await queryOnce(database.url, 'SELECT 1 FROM collection_config')).toHaveLength(0);
  });

  it.each([
    ['an SQL injection in the symbol', { method: 'PUT', path: `/v1/symbols/binance/${encodeURIComponent("BTC'; DROP TABLE collection_config; --")}`, body: { enabled: true } }, 'path.symbol'],
    ['a lower-case symbol', { method: 'GET', path: '/v1/rates/binance/btcusdt' }, 'path.symbol'],
    ['a path trick in the exchange', { method: 'GET', path: `/v1/history/${encodeURIComponent('../etc')}/BTCUSDT` }, 'path.exchange'],
    ['a wrong type', { method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: 'yes' } }, 'body.enabled'],
    ['an unknown field', { method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true, enable: true } }, 'body.enable'],
    ['an unknown query parameter', { method: 'GET', path: '/v1/rates?sortt=change_1m' }, 'query.sortt'],
    ['a repeated query parameter', { method: 'GET', path: '/v1/rates?limit=1&limit=2' }, 'query.limit'],
    ['an injection in a query value', { method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${encodeURIComponent("1' OR '1'='1")}` }, 'query.from'],
  ] as Array<[string, ApiEventInput, string]>)('answers 400 naming the field for %s', async (_name, input, field) => {
    // Act
    const reply = await call(input);

    // Assert
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('VALIDATION_FAILED');
    expect(reply.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await queryOnce(database.url, `SELECT to_regclass('collection_config') IS NOT NULL AS present`)).toEqual([{ present: true }]);
  });

  it('answers 413 to an oversized body and 415 to a body that is not JSON', async () => {
    // Act
    const oversized = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true, padding: 'x'.repeat(20_000) } });
    const notJson = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', headers: { 'Content-Type': 'text/plain' }, body: 'enabled=true' });

    // Assert
    expect(oversized.status).toBe(413);
    expect(notJson.status).toBe(415);
  });
});

describe('rates', () => {
  beforeEach(async () => {
    const rows: Array<[string, string, string, string]> = [
      ['BTCUSDT', '97000.10', '1.5', '-0.25'],
      ['ETHUSDT', '3500.00', '-2.0', '0.75'],
      ['SOLUSDT', '150.5', '0.1', '3.5'],
    ];
    for (const [symbol, price, change1m, change5m] of rows) {
      await redis.client.hset(`rates:binance:${symbol}`, { price, ts: '1764064800000', tradeTs: '1764064799990', change_1m: change1m, change_5m: change5m, flags: symbol === 'SOLUSDT' ? 'backfilled,gap' : '' });
      await redis.client.zadd('rates:binance:rank:1m', Number(change1m), symbol);
      await redis.client.zadd('rates:binance:rank:5m', Number(change5m), symbol);
    }
    // A ranked symbol whose hash expired must not appear.
    await redis.client.zadd('rates:binance:rank:5m', 99, 'GONEUSDT');
  });

  it('lists every live value with typed numbers and flags', async () => {
    // Act
    const reply = await call({ method: 'GET', path: '/v1/rates', caller: READER_ARN });

    // Assert
    expect(reply.status).toBe(200);
    expect(reply.body.count).toBe(3);
    expect(reply.body.rates[0]).toEqual({
      exchange: 'binance',
      symbol: 'BTCUSDT',
      price: '97000.10',
      ts: 1764064800000,
      time: new Date(1764064800000).toISOString(),
      tradeTs: 1764064799990,
      change_1m: 1.5,
      change_5m: -0.25,
      change_15m: null,
      flags: [],
    });
    expect(reply.body.rates[2].flags).toEqual(['backfilled', 'gap']);
  });

  it('lists a symbol with no change known yet from the symbol index, never scanning the keyspace', async () => {
    // Prepare: the index the collector maintains; NEWUSDT has a hash but no change in any window, so no rank.
    await redis.client.hset('rates:binance:NEWUSDT', { price: '1.25', ts: '1764064800000', tradeTs: '1764064800000', flags: '' });
    await redis.client.zadd('rates:binance:index', 0, 'BTCUSDT', 0, 'ETHUSDT', 0, 'NEWUSDT', 0, 'SOLUSDT', 0, 'GONEUSDT');
    const scans = new Redis(redis.url);
    const monitor = await scans.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(String(args[0]).toLowerCase()));

    // Act
    const reply = await call({ method: 'GET', path: '/v1/rates?exchange=binance', caller: READER_ARN });
    const limited = await call({ method: 'GET', path: '/v1/rates?exchange=binance&limit=2', caller: READER_ARN });
    monitor.disconnect();
    scans.disconnect();

    // Assert
    expect(reply.body.rates.map((r: { symbol: string }) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'NEWUSDT', 'SOLUSDT']);
    expect(reply.body.rates[2]).toMatchObject({ symbol: 'NEWUSDT', change_1m: null, change_5m: null, change_15m: null });
    expect(limited.body.rates.map((r: { symbol: string }) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(commands).not.toContain('scan');
    expect(commands).not.toContain('keys');
  });

  it('refuses a limit beyond the cost bound before reading Redis', async () => {
    // Act
    const reply = await call({ method: 'GET', path: '/v1/rates?limit=5001', caller: READER_ARN });

    // Assert
    expect(reply.status).toBe(400);
    expect(reply.body.error.details[0].field).toBe('query.limit');
  });

  it('serves top movers from the rank sets, skipping expired members', async () => {
    // Act
    const top = await call({ method: 'GET', path: '/v1/rates?sort=change_5m&order=desc&limit=2', caller: READER_ARN });
    const bottom = await call({ method: 'GET', path: '/v1/rates?sort=change_1m&order=asc&limit=1', caller: READER_ARN });

    // Assert
    expect(top.body.rates.map((r: { symbol: string }) => r.symbol)).toEqual(['SOLUSDT', 'ETHUSDT']);
    expect(bottom.body.rates.map((r: { symbol: string }) => r.symbol)).toEqual(['ETHUSDT']);
  });

  it('serves one symbol, and 404 for one without a live value', async () => {
    // Act
    const one = await call({ method: 'GET', path: '/v1/rates/binance/ETHUSDT', caller: READER_ARN });
    const missing = await call({ method: 'GET', path: '/v1/rates/binance/GONEUSDT', caller: READER_ARN });

    // Assert
    expect(one.body).toMatchObject({ symbol: 'ETHUSDT', change_1m: -2, change_5m: 0.75 });
    expect(missing.status).toBe(404);
  });
});

describe('history', () => {
  // An hour boundary an hour ago: inside every partitioning strategy's window on any
  // date, and aligned so 1m and 1h buckets start exactly at the first row.
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  /** The same instant written with a +01:00 offset, as a client in CET would send it. */
  const isoPlusOneHour = (ms: number) => new Date(ms + 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+01:00');

  beforeEach(async () => {
    // 180 rows, one a second, over three minutes: prices 100, 101, ... with a gap flag at 90 s.
    const values: string[] = [];
    for (let i = 0; i < 180; i += 1) {
      const time = new Date(base + i * 1000).toISOString();
      values.push(`('${time}', 'binance', 'BTCUSDT', ${100 + i}.5, ${i / 10}, NULL, NULL, '${i === 90 ? '{gap}' : '{}'}', '${time}')`);
    }
    await queryOnce(database.url, `INSERT INTO price_change_rates (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at) VALUES ${values.join(',')}`);
    await fillRollup();
  });

  /** The minutes of the stored raw rows, aggregated in SQL as migration 0010's backfill does (ingest keeps them in step in production). */
  async function fillRollup(): Promise<void> {
    await queryOnce(
      database.url,
      `INSERT INTO price_change_rates_1m (bucket, exchange, symbol, open, high, low, close, change_1m, change_5m, change_15m, flags, rows, open_time, close_time)
       SELECT date_trunc('minute', time), exchange, symbol,
              (array_agg(price ORDER BY time))[1], max(price), min(price), (array_agg(price ORDER BY time DESC))[1],
              (array_agg(change_1m ORDER BY time DESC))[1], (array_agg(change_5m ORDER BY time DESC))[1], (array_agg(change_15m ORDER BY time DESC))[1],
              mdc_flags_union_agg(flags), count(*)::int, min(time), max(time)
         FROM price_change_rates GROUP BY 1, 2, 3
       ON CONFLICT (exchange, symbol, bucket) DO NOTHING`,
    );
  }

  it('pages raw rows by keyset without losing or repeating one', async () => {
    // Act
    const times: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `from=${base}&to=${base + 180_000}&limit=50${cursor ? `&cursor=${cursor}` : ''}`;
      const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?${query}`, caller: READER_ARN });
      expect(reply.status).toBe(200);
      times.push(...reply.body.rows.map((r: { timeMs: number }) => r.timeMs));
      cursor = reply.body.nextCursor;
      pages += 1;
    } while (cursor !== null);

    // Assert
    expect(pages).toBe(4);
    expect(times).toEqual(Array.from({ length: 180 }, (_, i) => base + i * 1000));
  });

  it('says raw rows inside raw retention come from the raw table', async () => {
    // Act
    const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base}&to=${base + 180_000}&limit=5`, caller: READER_ARN });

    // Assert
    expect(reply.body.source).toBe('raw');
    expect(reply.body.rows[0]).toEqual({ time: iso(base), timeMs: base, price: '100.5', change_1m: 0, change_5m: null, change_15m: null, flags: [] });
  });

  it('accepts ISO-8601 with any offset and epoch ms, and answers with both', async () => {
    // Act
    const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${encodeURIComponent(isoPlusOneHour(base + 10_000))}&to=${base + 12_000}`, caller: READER_ARN });

    // Assert
    expect(reply.body.from).toEqual({ iso: iso(base + 10_000), epochMs: base + 10_000 });
    expect(reply.body.to).toEqual({ iso: iso(base + 12_000), epochMs: base + 12_000 });
    expect(reply.body.rows).toEqual([
      { time: iso(base + 10_000), timeMs: base + 10_000, price: '110.5', change_1m: 1, change_5m: null, change_15m: null, flags: [] },
      { time: iso(base + 11_000), timeMs: base + 11_000, price: '111.5', change_1m: 1.1, change_5m: null, change_15m: null, flags: [] },
    ]);
  });

  it('serves 1m buckets from the rollup: last price and changes, open / high / low, row count, flags of the minute', async () => {
    // Act
    const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base}&to=${base + 180_000}&interval=1m`, caller: READER_ARN });

    // Assert
    expect(reply.body.interval).toBe('1m');
    expect(reply.body.source).toBe('rollup');
    expect(reply.body.rows).toHaveLength(3);
    expect(reply.body.rows[1]).toEqual({ time: iso(base + 60_000), timeMs: base + 60_000, price: '219.5', open: '160.5', high: '219.5', low: '160.5', rows: 60, change_1m: 11.9, change_5m: null, change_15m: null, flags: ['gap'] });
    expect(reply.body.rows[0].flags).toEqual([]);
    expect(reply.body.nextCursor).toBeNull();
  });

  it('pages buckets by time window, so each page reads a bounded range', async () => {
    // Act
    const first = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base}&to=${base + 180_000}&interval=1m&limit=2`, caller: READER_ARN });
    const second = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base}&to=${base + 180_000}&interval=1m&limit=2&cursor=${first.body.nextCursor}`, caller: READER_ARN });

    // Assert
    expect(first.body.rows.map((r: { timeMs: number }) => r.timeMs)).toEqual([base, base + 60_000]);
    expect(second.body.rows.map((r: { timeMs: number }) => r.timeMs)).toEqual([base + 120_000]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('skips a window without rows to the next stored row instead of answering empty pages', async () => {
    // Act: one 1m bucket per page, starting two hours before the data.
    const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base - 7_200_000}&to=${base + 180_000}&interval=1m&limit=1`, caller: READER_ARN });

    // Assert
    expect(reply.body.rows.map((r: { timeMs: number }) => r.timeMs)).toEqual([base]);
    expect(reply.body.nextCursor).not.toBeNull();
  });

  it('aggregates coarser buckets from the rollup minutes: open of the first, close and changes of the last, max, min, sum, flags union', async () => {
    // Act: the three minutes in one 5m bucket (base is an hour boundary).
    const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base}&to=${base + 300_000}&interval=5m`, caller: READER_ARN });

    // Assert
    expect(reply.body.source).toBe('rollup');
    expect(reply.body.rows).toEqual([{ time: iso(base), timeMs: base, price: '279.5', open: '100.5', high: '279.5', low: '100.5', rows: 180, change_1m: 17.9, change_5m: null, change_15m: null, flags: ['gap'] }]);
  });

  it('refuses, before reading, a page that would aggregate more than 31 days of minutes, naming the largest limit', async () => {
    // Act: 1h buckets with limit 5000 would read 208 days of minutes in one request.
    const refused = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base - 5 * 86_400_000}&to=${base + 3 * 86_400_000}&interval=1h&limit=5000`, caller: READER_ARN });
    const atBound = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base - 40 * 86_400_000}&to=${base + 40 * 86_400_000}&interval=1h&limit=744`, caller: READER_ARN });

    // Assert: the empty 31 days before the data are skipped; the page holding it ends 31 days (744 h) after it starts, and the next page starts there.
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('COST_LIMIT_EXCEEDED');
    expect(refused.body.error.message).toMatch(/limit=744/);
    expect(atBound.status).toBe(200);
    expect(atBound.body.rows.map((r: { timeMs: number }) => r.timeMs)).toEqual([base]);
    expect(Buffer.from(atBound.body.nextCursor, 'base64url').toString('utf8')).toBe(`1h:${base + 744 * 3_600_000}`);
  });

  describe('older than raw retention', () => {
    // Two days ago, a minute boundary: inside the default 7-day raw retention when written, outside once it is set to 1 day.
    const old = Math.floor((Date.now() - 2 * 86_400_000) / 60_000) * 60_000;

    beforeEach(async () => {
      const values: string[] = [];
      for (let i = 0; i < 120; i += 1) {
        const time = new Date(old + i * 1000).toISOString();
        values.push(`('${time}', 'binance', 'BTCUSDT', ${500 + i}, ${i}, ${-i}, NULL, '${i === 70 ? '{anomaly}' : '{}'}', '${time}')`);
      }
      await queryOnce(database.url, `SELECT count(*) FROM mdc_ensure_history_partitions(ARRAY['${iso(old)}'::timestamptz])`);
      await queryOnce(database.url, `INSERT INTO price_change_rates (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at) VALUES ${values.join(',')}`);
      await fillRollup();
      await queryOnce(database.url, 'UPDATE collection_settings SET raw_retention_days = 1');
    });

    it('serves a raw query from the rollup minutes and says so', async () => {
      // Act
      const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${old}&to=${old + 120_000}`, caller: READER_ARN });

      // Assert
      expect(reply.body.source).toBe('rollup');
      expect(reply.body.rows).toEqual([
        { time: iso(old), timeMs: old, price: '559', open: '500', high: '559', low: '500', rows: 60, change_1m: 59, change_5m: -59, change_15m: null, flags: [] },
        { time: iso(old + 60_000), timeMs: old + 60_000, price: '619', open: '560', high: '619', low: '560', rows: 60, change_1m: 119, change_5m: -119, change_15m: null, flags: ['anomaly'] },
      ]);
      expect(reply.body.nextCursor).toBeNull();
    });

    it('serves 1s buckets older than raw retention as rollup minutes', async () => {
      // Act
      const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${old}&to=${old + 120_000}&interval=1s`, caller: READER_ARN });

      // Assert
      expect(reply.body.source).toBe('rollup');
      expect(reply.body.rows.map((r: { timeMs: number; rows: number }) => [r.timeMs, r.rows])).toEqual([
        [old, 60],
        [old + 60_000, 60],
      ]);
    });

    it('pages a range straddling raw retention from the rollup into the raw rows without a gap or a repeat', async () => {
      // Act
      const pages: Array<{ source: string; times: number[] }> = [];
      let cursor: string | null = null;
      do {
        const query: string = `from=${old}&to=${base + 180_000}&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
        const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?${query}`, caller: READER_ARN });
        expect(reply.status).toBe(200);
        pages.push({ source: reply.body.source, times: reply.body.rows.map((r: { timeMs: number }) => r.timeMs) });
        cursor = reply.body.nextCursor;
      } while (cursor !== null && pages.length < 10);

      // Assert: the old minutes from the rollup, then every raw row of the last hour.
      expect(pages[0]).toEqual({ source: 'rollup', times: [old, old + 60_000] });
      expect(pages.slice(1).every((page) => page.source === 'raw')).toBe(true);
      expect(pages.slice(1).flatMap((page) => page.times)).toEqual(Array.from({ length: 180 }, (_, i) => base + i * 1000));
    });

    it('pages 1s buckets of a straddling range from rollup minutes into raw seconds', async () => {
      // Act
      const pages: Array<{ source: string; rows: Array<{ timeMs: number; rows: number }> }> = [];
      let cursor: string | null = null;
      do {
        const query: string = `from=${old}&to=${base + 180_000}&interval=1s&limit=5000${cursor ? `&cursor=${cursor}` : ''}`;
        const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?${query}`, caller: READER_ARN });
        expect(reply.status).toBe(200);
        pages.push({ source: reply.body.source, rows: reply.body.rows });
        cursor = reply.body.nextCursor;
      } while (cursor !== null && pages.length < 50);

      // Assert: two minute bars of the old range, then the 180 one-second buckets of the last hour, each once.
      const rollup = pages.filter((page) => page.source === 'rollup').flatMap((page) => page.rows);
      const raw = pages.filter((page) => page.source === 'raw').flatMap((page) => page.rows);
      expect(rollup.map((r) => [r.timeMs, r.rows])).toEqual([
        [old, 60],
        [old + 60_000, 60],
      ]);
      expect(raw.map((r) => r.timeMs)).toEqual(Array.from({ length: 180 }, (_, i) => base + i * 1000));
      expect(cursor).toBeNull();
    });

    it('serves 1m buckets of a straddling range from the rollup throughout', async () => {
      // Act
      const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${old}&to=${old + 180_000}&interval=1m`, caller: READER_ARN });

      // Assert
      expect(reply.body.source).toBe('rollup');
      expect(reply.body.rows.map((r: { timeMs: number }) => r.timeMs)).toEqual([old, old + 60_000]);
    });
  });

  it('answers 400 to a cursor beyond any stored time', async () => {
    // Act
    const cursor = Buffer.from('raw:99999999999999999999', 'utf8').toString('base64url');
    const reply = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?cursor=${cursor}`, caller: READER_ARN });

    // Assert
    expect(reply.status).toBe(400);
  });

  it('refuses from after to, and a cursor of another interval', async () => {
    // Prepare
    const raw = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base}&to=${base + 180_000}&limit=1`, caller: READER_ARN });

    // Act
    const reversed = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base + 1000}&to=${base}`, caller: READER_ARN });
    const mixed = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base}&to=${base + 180_000}&interval=1m&cursor=${raw.body.nextCursor}`, caller: READER_ARN });

    // Assert
    expect(reversed.status).toBe(400);
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details[0].field).toBe('query.cursor');
  });

  describe('as CSV', () => {
    const csvCall = async (query: string) => {
      const result: APIGatewayProxyResult = await handle(apiEvent({ method: 'GET', path: `/v1/history/binance/BTCUSDT?${query}`, caller: READER_ARN }));
      return { status: result.statusCode, headers: (result.headers ?? {}) as Record<string, string>, lines: result.body.split('\n').filter((line) => line !== '') };
    };

    it('serves 1-minute bars from the rollup in one page, written by the database', async () => {
      // Act
      const reply = await csvCall(`from=${base}&to=${base + 180_000}&interval=1m&format=csv`);

      // Assert
      expect(reply.status).toBe(200);
      expect(reply.headers['Content-Type']).toBe('text/csv; charset=utf-8');
      expect(reply.headers['X-History-Source']).toBe('rollup');
      expect(reply.headers['X-Next-Cursor']).toBeUndefined();
      expect(reply.lines).toEqual([
        'time,open,high,low,close,change_1m,change_5m,change_15m,flags,rows',
        `${iso(base).replace('Z', '000Z')},100.5,159.5,100.5,159.5,5.9,,,,60`,
        `${iso(base + 60_000).replace('Z', '000Z')},160.5,219.5,160.5,219.5,11.9,,,gap,60`,
        `${iso(base + 120_000).replace('Z', '000Z')},220.5,279.5,220.5,279.5,17.9,,,,60`,
      ]);
    });

    it('pages raw rows by keyset with the cursor in a header, the same rows as JSON', async () => {
      // Act
      const lines: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const reply = await csvCall(`from=${base}&to=${base + 180_000}&limit=70&format=csv${cursor ? `&cursor=${cursor}` : ''}`);
        expect(reply.headers['X-History-Source']).toBe('raw');
        expect(reply.lines[0]).toBe('time,price,change_1m,change_5m,change_15m,flags');
        lines.push(...reply.lines.slice(1));
        cursor = reply.headers['X-Next-Cursor'];
        pages += 1;
      } while (cursor !== undefined);

      // Assert
      expect(pages).toBe(3);
      expect(lines).toHaveLength(180);
      expect(lines[0]).toBe(`${iso(base).replace('Z', '000Z')},100.5,0,,,`);
      expect(lines[90]).toBe(`${iso(base + 90_000).replace('Z', '000Z')},190.5,9,,,gap`);
      expect(lines.map((line) => Date.parse(line.slice(0, 23) + 'Z'))).toEqual(Array.from({ length: 180 }, (_, i) => base + i * 1000));
    });

    it('writes coarser buckets the same way', async () => {
      // Act
      const reply = await csvCall(`from=${base}&to=${base + 180_000}&interval=5m&format=csv`);

      // Assert
      expect(reply.lines).toEqual(['time,open,high,low,close,change_1m,change_5m,change_15m,flags,rows', `${iso(base).replace('Z', '000Z')},100.5,279.5,100.5,279.5,17.9,,,gap,180`]);
    });

    it('allows a month of minutes in one CSV page but refuses JSON pages beyond 5000 rows', async () => {
      // Act
      const csv = await csvCall(`from=${base}&to=${base + 180_000}&interval=1m&limit=44640&format=csv`);
      const json = await call({ method: 'GET', path: `/v1/history/binance/BTCUSDT?from=${base}&to=${base + 180_000}&interval=1m&limit=44640`, caller: READER_ARN });
      const beyond = await csvCall(`from=${base}&to=${base + 180_000}&interval=1m&limit=44641&format=csv`);

      // Assert
      expect(csv.status).toBe(200);
      expect(json.status).toBe(400);
      expect(json.body.error).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', message: expect.stringMatching(/format=csv/) });
      expect(beyond.status).toBe(400);
    });
  });
});

describe('status', () => {
  it('joins Redis heartbeats and collection_status rows, with their ages', async () => {
    // Prepare
    const now = new Date();
    await redis.client.hset('status:collector:c-1', { collectorId: 'c-1', exchange: 'binance', state: 'running', startedAt: now.toISOString(), heartbeatAt: now.toISOString(), shard: '0/1', configVersion: '7', symbols: '200', connections: '1', connectionsOpen: '1', reconnects: '0', tradesProcessed: '1000' });
    await queryOnce(
      database.url,
      `INSERT INTO collection_status (collector_id, connection_id, exchange, state, streams, last_message_at, reconnects, errors, updated_at)
       VALUES ('c-1', 'c-1/0', 'binance', 'open', 200, now(), 0, 0, now()),
              ('c-2', 'c-2/0', 'binance', 'open', 10, now() - interval '5 minutes', 1, 0, now() - interval '5 minutes'),
              ('c-old', 'c-old/0', 'binance', 'open', 10, NULL, 0, 0, now() - interval '2 hours')`,
    );

    // Act
    const reply = await call({ method: 'GET', path: '/v1/status', caller: READER_ARN });

    // Assert
    expect(reply.status).toBe(200);
    expect(reply.body.collectors.map((c: { collectorId: string }) => c.collectorId)).toEqual(['c-1', 'c-2']);
    const [live, silent] = reply.body.collectors;
    expect(live).toMatchObject({ live: true, heartbeat: { state: 'running', configVersion: 7, symbols: 200 }, connections: [{ connectionId: 'c-1/0', stale: false }] });
    expect(silent).toMatchObject({ live: false, heartbeat: null, connections: [{ connectionId: 'c-2/0', stale: true }] });
    expect(silent.connections[0].ageMs).toBeGreaterThanOrEqual(299_000);
    expect(reply.body.config).toEqual({ version: 0, epoch: 0, publishedVersion: null, publishedEpoch: null, inSync: false, collectorsDiverged: ['c-1'] });
  });
});

describe('publishing and reconciliation', () => {
  it('commits a write when Redis is down, says so, and reconciliation publishes it later', async () => {
    // Prepare: a publisher on a Redis that refuses connections.
    const deadRedis = new Redis('redis://127.0.0.1:1/0', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    deadRedis.on('error', () => undefined);
    const failing = createApiHandler({
      dependencies: fixed({ ...deps, publisher: new SnapshotPublisher(deadRedis) }),
      principals: { readers: [], admins: [ADMIN_ARN] },
      maxBodyBytes: 16_384,
      logger,
    });

    // Act
    const result = await failing(apiEvent({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } }));
    const beforeReconcile = await publishedSnapshot();
    const reconciled = await createReconciler({ dependencies: fixed(deps), logger })();

    // Assert
    expect(result.statusCode).toBe(201);
    expect(result.headers?.['X-Config-Published']).toBe('false');
    expect(metrics.counts.ConfigPublishFailures).toBe(1);
    expect(beforeReconcile).toBeNull();
    expect(reconciled.republished).toBe(true);
    expect((await publishedSnapshot())!.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT']);
    deadRedis.disconnect();
  });

  it('starts a new epoch past a snapshot in Redis that is ahead of the database, and publishes the change', async () => {
    // Prepare: Redis kept a snapshot from before the database was restored.
    await new SnapshotPublisher(redis.client).publish({ version: 1000, epoch: 0, symbols: [{ exchange: 'binance', symbol: 'OLDUSDT', enabled: true }], settings: {} });

    // Act
    const reply = await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });

    // Assert
    expect(reply.headers['X-Config-Published']).toBe('true');
    const snapshot = await publishedSnapshot();
    expect(snapshot!.version).toBeGreaterThan(1000);
    expect(snapshot!.epoch).toBe(1);
    expect(snapshot!.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT']);
    expect(metrics.counts.ConfigVersionDivergence).toBe(1);
    expect((await call({ method: 'GET', path: '/v1/status', caller: READER_ARN })).body.config).toEqual({
      version: snapshot!.version,
      epoch: 1,
      publishedVersion: snapshot!.version,
      publishedEpoch: 1,
      inSync: true,
      collectorsDiverged: [],
    });
  });

  it('publishes nothing while the config was never written (collectors keep their SYMBOLS)', async () => {
    // Act
    const result = await createReconciler({ dependencies: fixed(deps), logger })();

    // Assert
    expect(result).toEqual({ databaseVersion: 0, databaseEpoch: 0, publishedVersion: null, publishedEpoch: null, republished: false, diverged: false, collectorsDiverged: [] });
    expect(await publishedSnapshot()).toBeNull();
  });

  it('never replaces a newer snapshot with an older one', async () => {
    // Prepare
    const publisher = new SnapshotPublisher(redis.client);
    await publisher.publish({ version: 9, epoch: 0, symbols: [], settings: {} });

    // Act
    const older = await publisher.publish({ version: 8, epoch: 0, symbols: [{ exchange: 'binance', symbol: 'BTCUSDT', enabled: true }], settings: {} });

    // Assert
    expect(older).toBe(false);
    expect((await publishedSnapshot())!.version).toBe(9);
  });
});

describe('snapshot epochs', () => {
  const snap = (epoch: number, version: number) => ({ version, epoch, symbols: [], settings: {} });

  it('lets a later epoch replace a higher version, and never lets an earlier epoch replace a later one', async () => {
    // Prepare
    const publisher = new SnapshotPublisher(redis.client);
    await publisher.publish(snap(0, 120));

    // Act
    const laterEpoch = await publisher.publish(snap(1, 81));
    const earlierEpoch = await publisher.publish(snap(0, 130));

    // Assert
    expect([laterEpoch, earlierEpoch]).toEqual([true, false]);
    expect(await publishedSnapshot()).toMatchObject({ version: 81, epoch: 1 });
    expect((await redis.client.get(CONFIG_SNAPSHOT_KEY))!.startsWith('{"version":81,"epoch":1,')).toBe(true);
  });

  it('counts a snapshot without an epoch (an older API) as epoch 0', async () => {
    // Prepare
    await redis.client.set(CONFIG_SNAPSHOT_KEY, JSON.stringify({ version: 50, symbols: [], settings: {} }));
    const publisher = new SnapshotPublisher(redis.client);

    // Act
    const older = await publisher.publish(snap(0, 40));
    const newer = await publisher.publish(snap(0, 51));

    // Assert
    expect([older, newer]).toEqual([false, true]);
    expect(await publishedSnapshot()).toMatchObject({ version: 51, epoch: 0 });
  });

  it('starts a new epoch when a write reaches the version Redis holds with other changes (a restored database, Redis kept)', async () => {
    // Prepare: Redis kept version 2 of the history the restore undid.
    await call({ method: 'PUT', path: '/v1/symbols/binance/BTCUSDT', body: { enabled: true } });
    const lost = await call({ method: 'PUT', path: '/v1/symbols/binance/ETHUSDT', body: { enabled: true } });
    await queryOnce(database.url, `DELETE FROM collection_config WHERE symbol = 'ETHUSDT'`);
    await queryOnce(database.url, `UPDATE config_state SET version = version - 1`);
    await queryOnce(database.url, `SELECT setval('config_version_seq', (SELECT version FROM config_state))`);

    // Act: the same version number as the one in Redis.
    const reply = await call({ method: 'PUT', path: '/v1/symbols/binance/SOLUSDT', body: { enabled: true } });

    // Assert
    expect(reply.body.version).toBe(lost.body.version);
    expect(reply.headers['X-Config-Published']).toBe('true');
    expect(metrics.counts.ConfigVersionDivergence).toBe(1);
    const snapshot = await publishedSnapshot();
    expect(snapshot).toMatchObject({ epoch: 1, version: lost.body.version + 1 });
    expect(snapshot!.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT', 'SOLUSDT']);
  });
});

describe('openapi', () => {
  it('serves the generated document to readers', async () => {
    // Act
    const reply = await call({ method: 'GET', path: '/v1/openapi.json', caller: READER_ARN });

    // Assert
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toBe('3.1.0');
    expect(Object.keys(reply.body.paths)).toContain('/v1/history/{exchange}/{symbol}');
  });
});
