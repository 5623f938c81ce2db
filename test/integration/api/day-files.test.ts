import type { APIGatewayProxyResult } from 'aws-lambda';
import { Client, type Pool } from 'pg';
import { connectDependencies, createApiHandler, type ApiDependencies, type ApiHandler } from '../../../lambdas/api';
import { createIngestHandler, createIngestPool, type IngestHandler, type IngestMetrics, type SqsEvent } from '../../../lambdas/ingest';
import { DependencyCache } from '../../../services/shared/lifecycle';
import { createLogger } from '../../../services/shared/logger';
import { apiEvent, createTestDatabase, migrateWithRoles, openTestRedis, READER_ARN, roleUrl, type TestDatabase, type TestRedis } from '../../support';
import { ratesBody, row } from '../ingest/fixtures';

/**
 * Day files (migration 0012): whole closed days of 1-minute bars served from
 * stored CSV text, built on first read, deleted by ingest when a late row
 * lands in the day. The API and ingest run as their own roles. Days are placed
 * relative to now (two to four days back, inside raw retention so ingest takes
 * the rows), never on a calendar date.
 */
const logger = createLogger({ serviceName: 'day-files-test', logLevel: process.env.LOG_LEVEL ?? 'SILENT' });
const noMetrics: IngestMetrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined };
const DAY_MS = 86_400_000;
const SYMBOL = 'DAYFUSDT';
const TODAY = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const DAYS = [TODAY - 4 * DAY_MS, TODAY - 3 * DAY_MS, TODAY - 2 * DAY_MS];
/** Ends inside the day after the last fixture day, so that day is partial: the stored days are exactly DAYS whatever the time of day. */
const END = DAYS[2]! + DAY_MS + 12 * 3_600_000;
const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const HEADER = 'time,open,high,low,close,change_1m,change_5m,change_15m,flags,rows';

let seq = 0;
const event = (bodies: string[]): SqsEvent => ({
  Records: bodies.map((body) => {
    const id = `d-${(seq += 1)}`;
    return {
      messageId: id,
      receiptHandle: id,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs' as const,
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
      awsRegion: 'us-east-1',
    };
  }),
});

let db: TestDatabase;
let redis: TestRedis;
let admin: Client;
let ingestPool: Pool;
let ingest: IngestHandler;
let deps: ApiDependencies & { close(): Promise<void> };
let api: ApiHandler;

async function store(rows: ReturnType<typeof row>[]): Promise<void> {
  const result = await ingest(event([ratesBody(rows)]));
  if (result.batchItemFailures.length > 0) throw new Error('ingest refused the test rows');
}

async function csv(fromMs: number, toMs: number): Promise<string> {
  const result: APIGatewayProxyResult = await api(apiEvent({ method: 'GET', path: `/v1/history/binance/${SYMBOL}?from=${fromMs}&to=${toMs}&interval=1m&limit=44640&format=csv`, caller: READER_ARN }));
  if (result.statusCode !== 200) throw new Error(`HTTP ${result.statusCode}: ${result.body}`);
  return result.body;
}

/** The same bars straight from the rollup, through the one line encoder. */
async function reference(fromMs: number, toMs: number): Promise<string> {
  const { rows } = await admin.query<{ line: string }>(
    `SELECT mdc_minute_bar_csv_line(bucket, open, high, low, close, change_1m, change_5m, change_15m, flags, rows) AS line
       FROM price_change_rates_1m WHERE exchange = 'binance' AND symbol = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket`,
    [SYMBOL, new Date(fromMs), new Date(toMs)],
  );
  return `${HEADER}\n${rows.map((r) => `${r.line}\n`).join('')}`;
}

async function storedDays(): Promise<Record<string, number>> {
  const { rows } = await admin.query<{ day: string; bars: number }>('SELECT day::text AS day, bars FROM price_change_rates_1m_days WHERE symbol = $1 ORDER BY day', [SYMBOL]);
  return Object.fromEntries(rows.map((r) => [r.day, r.bars]));
}

beforeAll(async () => {
  db = await createTestDatabase('mdc_day_files');
  await migrateWithRoles(db);
  redis = await openTestRedis();
  admin = new Client({ connectionString: db.url });
  await admin.connect();
  ingestPool = createIngestPool({ connectionString: roleUrl(db, 'mdc_ingest'), max: 2, logger });
  ingest = createIngestHandler({ pool: ingestPool, logger, metrics: noMetrics });
  deps = connectDependencies({ databaseUrl: roleUrl(db, 'mdc_api'), redisUrl: redis.url, logger, metrics: { addMetric: () => undefined } });
  api = createApiHandler({ dependencies: new DependencyCache({ create: async () => deps, close: async () => undefined }), principals: { readers: [READER_ARN], admins: [] }, maxBodyBytes: 16_384, logger });
});

afterAll(async () => {
  await deps?.close();
  await ingestPool?.end();
  await admin?.end();
  await redis?.cleanup();
  await db?.drop();
});

beforeEach(async () => {
  await admin.query('TRUNCATE price_change_rates, price_change_rates_1m, price_change_rates_1m_days');
  await admin.query('UPDATE collection_settings SET rollup_retention_days = 730');
  // Three minutes of two rows in each closed day (one with flags), and a minute of today.
  const rows = DAYS.flatMap((day, d) =>
    [0, 1, 2].flatMap((minute) => {
      const at = day + (600 + minute) * 60_000;
      const flagged = row(at + 30_000, SYMBOL, `${100 + d}.${minute}5`, at + 30_500, null);
      flagged[6] = ['gap'];
      return [row(at, SYMBOL, `${100 + d}.${minute}`, at + 500), flagged];
    }),
  );
  await store([...rows, row(Date.now() - 5 * 60_000, SYMBOL, '200', Date.now() - 5 * 60_000 + 500)]);
});

describe('day files of 1-minute bars', () => {
  it('serves closed days from stored text identical to the rollup, built on first read', async () => {
    // Act
    const first = await csv(DAYS[0]!, Date.now());
    const stored = await storedDays();
    const second = await csv(DAYS[0]!, Date.now());

    // Assert
    expect(first).toBe(await reference(DAYS[0]!, Date.now()));
    expect(first.split('\n').filter((line) => line !== '')).toHaveLength(1 + 9 + 1);
    expect(first).toContain(',gap,2\n');
    expect(stored).toMatchObject({ [dayName(DAYS[0]!)]: 3, [dayName(DAYS[1]!)]: 3, [dayName(DAYS[2]!)]: 3 });
    expect(second).toBe(first);
  });

  it('reads a stored day instead of the rollup', async () => {
    // Prepare: the files exist, then one is altered where only a day-file read would see it.
    await csv(DAYS[0]!, END);
    await admin.query(`UPDATE price_change_rates_1m_days SET csv = 'from-the-day-file\n', bars = 1 WHERE symbol = $1 AND day = $2`, [SYMBOL, dayName(DAYS[1]!)]);

    // Act
    const body = await csv(DAYS[0]!, END);

    // Assert
    expect(body.split('\n')).toContain('from-the-day-file');
  });

  it('drops a day file when a late row lands in its day, and the next read shows the row', async () => {
    // Prepare
    await csv(DAYS[0]!, END);
    const late = DAYS[1]! + 720 * 60_000;

    // Act
    await store([row(late, SYMBOL, '555.5', late + 500)]);
    const afterWrite = await storedDays();
    const body = await csv(DAYS[0]!, END);

    // Assert
    expect(afterWrite).toEqual({ [dayName(DAYS[0]!)]: 3, [dayName(DAYS[2]!)]: 3 });
    expect(body).toContain(',555.5,555.5,555.5,555.5,');
    expect(body).toBe(await reference(DAYS[0]!, END));
    expect(await storedDays()).toEqual({ [dayName(DAYS[0]!)]: 3, [dayName(DAYS[1]!)]: 4, [dayName(DAYS[2]!)]: 3 });
  });

  it('waits for an ingest transaction writing the day before it builds the day, and includes its write', async () => {
    // Prepare: a writer holds the day's lock, as ingest does from its invalidation until COMMIT.
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('SELECT mdc_invalidate_minute_days($1::text[], $2::text[], $3::date[])', [['binance'], [SYMBOL], [dayName(DAYS[1]!)]]);
      const bucket = new Date(DAYS[1]! + 900 * 60_000);
      await writer.query(
        `INSERT INTO price_change_rates_1m (bucket, exchange, symbol, open, high, low, close, change_1m, change_5m, change_15m, flags, rows, open_time, close_time)
         VALUES ($1, 'binance', $2, 7, 7, 7, 7, NULL, NULL, NULL, '{}', 1, $1, $1)`,
        [bucket, SYMBOL],
      );

      // Act
      const reading = csv(DAYS[0]!, END);
      await waitForAdvisoryLockWaiter();
      await writer.query('COMMIT');
      const body = await reading;

      // Assert
      expect(body).toContain(',7,7,7,7,,,,,1\n');
      expect(await storedDays()).toMatchObject({ [dayName(DAYS[1]!)]: 4 });
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      await writer.end();
    }
  });

  it('never stores today, a day older than rollup retention, nor one more than 92 days back', async () => {
    // Prepare
    await admin.query('UPDATE collection_settings SET rollup_retention_days = 30');
    const apiClient = new Client({ connectionString: roleUrl(db, 'mdc_api') });
    await apiClient.connect();
    try {
      // Act
      const { rows } = await apiClient.query<{ day: string }>('SELECT day::text AS day FROM mdc_minute_bar_days($1, $2, $3::date[])', [
        'binance',
        SYMBOL,
        [dayName(TODAY), dayName(DAYS[1]!), dayName(TODAY - 40 * DAY_MS)],
      ]);

      await admin.query('UPDATE collection_settings SET rollup_retention_days = 730');
      const quarter = await apiClient.query<{ day: string }>('SELECT day::text AS day FROM mdc_minute_bar_days($1, $2, $3::date[])', ['binance', SYMBOL, [dayName(TODAY - 91 * DAY_MS), dayName(TODAY - 93 * DAY_MS)]]);

      // Assert
      expect(rows.map((r) => r.day)).toEqual([dayName(DAYS[1]!)]);
      expect(quarter.rows.map((r) => r.day)).toEqual([dayName(TODAY - 91 * DAY_MS)]);
      expect(Object.keys(await storedDays()).sort()).toEqual([dayName(TODAY - 91 * DAY_MS), dayName(DAYS[1]!)]);
    } finally {
      await apiClient.end();
    }
  });

  it('maintenance drops day files of days older than rollup retention', async () => {
    // Prepare
    await csv(DAYS[0]!, END);
    await admin.query(`INSERT INTO price_change_rates_1m_days (exchange, symbol, day, csv, bars) VALUES ('binance', $1, $2, '', 0)`, [SYMBOL, dayName(TODAY - 40 * DAY_MS)]);
    await admin.query('UPDATE collection_settings SET rollup_retention_days = 30');
    const ingestClient = new Client({ connectionString: roleUrl(db, 'mdc_ingest') });
    await ingestClient.connect();
    try {
      // Act
      const { rows } = await ingestClient.query<{ action: string; partition_name: string }>('SELECT * FROM mdc_run_partition_maintenance()');

      // Assert
      expect(rows).toContainEqual({ action: 'drop day files', partition_name: '1 days' });
      expect(Object.keys(await storedDays())).toEqual(DAYS.map(dayName));
    } finally {
      await ingestClient.end();
    }
  });
});

/** Until a backend of this database waits on an advisory lock (the builder behind the writer). */
async function waitForAdvisoryLockWaiter(): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
    );
    if (rows[0]!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no reader waited on the day lock within 10 s');
}
