import fc from 'fast-check';
import { Client, type Pool } from 'pg';
import {
  aggregateMinutes,
  createIngestHandler,
  createIngestPool,
  ROLLUP_MINUTES_MERGE_SQL,
  type IngestHandler,
  type IngestMetrics,
  type RateRecord,
  type SqsEvent,
} from '../../../lambdas/ingest';
import type { RateRow } from '../../../services/shared/history';
import { createLogger } from '../../../services/shared/logger';
import { createTestDatabase, type TestDatabase } from '../../support';
import { ratesBody } from './fixtures';
import { createIngestSchema, ingestRoleUrl } from './schema';

const logger = createLogger({ serviceName: 'rollup-test', logLevel: process.env.LOG_LEVEL ?? 'SILENT' });
const noMetrics: IngestMetrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined };
// Minutes relative to now, so their day partitions exist (no dependence on today's date).
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;

let seq = 0;
function event(bodies: string[]): SqsEvent {
  return {
    Records: bodies.map((body) => {
      const id = `r-${(seq += 1)}`;
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
  };
}

/**
 * Every rollup row against the aggregate of the stored raw rows, computed here
 * independently of the ingest code (window functions for first/last, the
 * migration's flag aggregate): the rows that differ, in either direction.
 * Prices compare numerically (IS DISTINCT FROM on numeric).
 */
const MISMATCHES_SQL = `
WITH raw AS (
  SELECT date_trunc('minute', time) AS bucket, exchange, symbol, time, price, change_1m, change_5m, change_15m, flags,
         first_value(price) OVER w AS open, last_value(price) OVER w AS close,
         last_value(change_1m) OVER w AS c1, last_value(change_5m) OVER w AS c5, last_value(change_15m) OVER w AS c15
  FROM price_change_rates
  WINDOW w AS (PARTITION BY exchange, symbol, date_trunc('minute', time) ORDER BY time ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
expected AS (
  SELECT bucket, exchange, symbol, min(open) AS open, max(price) AS high, min(price) AS low, min(close) AS close,
         min(c1) AS change_1m, min(c5) AS change_5m, min(c15) AS change_15m, mdc_flags_union_agg(flags) AS flags,
         count(*)::int AS rows, min(time) AS open_time, max(time) AS close_time
  FROM raw GROUP BY bucket, exchange, symbol
)
SELECT e.*, r.*
FROM expected AS e FULL JOIN price_change_rates_1m AS r USING (bucket, exchange, symbol)
WHERE (e.open, e.high, e.low, e.close, e.change_1m, e.change_5m, e.change_15m, e.flags, e.rows, e.open_time, e.close_time)
      IS DISTINCT FROM (r.open, r.high, r.low, r.close, r.change_1m, r.change_5m, r.change_15m, r.flags, r.rows, r.open_time, r.close_time)`;

describe('1-minute rollup maintained by ingest (PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let admin: Client;
  let handler: IngestHandler;

  beforeAll(async () => {
    db = await createTestDatabase('mdc_ingest_rollup');
    await createIngestSchema(db.url);
    // As the ingest function's own role: the write path needs nothing it lacks.
    pool = createIngestPool({ connectionString: ingestRoleUrl(db.url), max: 4, logger });
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    handler = createIngestHandler({ pool, logger, metrics: noMetrics });
  });

  afterAll(async () => {
    await pool?.end();
    await admin?.end();
    await db?.drop();
  });

  /** Delivers until every record is stored, as SQS redelivers failed ones (e.g. a deadlock between concurrent batches). */
  async function deliver(bodies: string[]): Promise<void> {
    let pending = bodies;
    for (let attempt = 0; attempt < 5 && pending.length > 0; attempt += 1) {
      const e = event(pending);
      const failed = new Set((await handler(e)).batchItemFailures.map((f) => f.itemIdentifier));
      pending = e.Records.filter((r) => failed.has(r.messageId)).map((r) => r.body);
    }
    if (pending.length > 0) throw new Error(`${pending.length} records not stored after 5 deliveries`);
  }

  // Rows over few symbols, minutes and seconds, so batches collide: the same time
  // again (a duplicate) or with another evaluatedAt, price or flags (a replacement
  // when its precedence is greater, ignored otherwise).
  const rowArb = fc
    .record({
      symbol: fc.constantFrom('AAAUSDT', 'BBBUSDT', 'CCCUSDT'),
      minute: fc.integer({ min: 0, max: 2 }),
      second: fc.constantFrom(0, 1, 17, 30, 59),
      price: fc.constantFrom('1', '1.5', '1.50', '2.25', '0.75', '100.125', '99.9'),
      change: fc.option(fc.constantFrom(-1.5, 0, 0.25, 3), { nil: null }),
      flags: fc.subarray<RateRow[6][number]>(['anomaly', 'backfilled', 'gap', 'stale']),
      evaluatedOffset: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ symbol, minute, second, price, change, flags, evaluatedOffset }): RateRow => {
      const time = BASE + minute * 60_000 + second * 1000;
      return [time, symbol, price, change, change === null ? 0.5 : null, change, flags, time + 500 + evaluatedOffset * 1000];
    });
  // A batch: 1-3 SQS records of 1-6 rows; `together` runs it concurrently with the next one.
  const batchArb = fc.record({ records: fc.array(fc.array(rowArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }), together: fc.boolean() });

  it('equals the aggregate of the stored raw rows for random batches, in random order, with duplicates, replacements and concurrent batches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 6 }), fc.nat(), async (batches, redeliverSeed) => {
        // Prepare
        await admin.query('TRUNCATE price_change_rates, price_change_rates_1m');
        const bodies = batches.map((b) => b.records.map((rows) => ratesBody(rows)));
        // A redelivery of one batch at the end.
        bodies.push(bodies[redeliverSeed % bodies.length]!);

        // Act
        for (let i = 0; i < bodies.length; i += 1) {
          if (batches[i]?.together && i + 1 < bodies.length) {
            await Promise.all([deliver(bodies[i]!), deliver(bodies[i + 1]!)]);
            i += 1;
          } else {
            await deliver(bodies[i]!);
          }
        }

        // Assert
        const mismatches = (await admin.query(MISMATCHES_SQL)).rows;
        expect(mismatches).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it('recomputes a minute with a replaced row after a concurrent batch that holds the minute commits, so its row is counted', async () => {
    // Prepare: the minute holds one row; another writer (the same statements as
    // ingest) inserts a second row into it and merges that into the rollup, and
    // has not committed yet.
    await admin.query('TRUNCATE price_change_rates, price_change_rates_1m');
    const minute = BASE + 5 * 60_000;
    const first: RateRow = [minute + 1000, 'CONCUSDT', '10', 0.1, null, null, [], minute + 1500];
    await expect(handler(event([ratesBody([first])]))).resolves.toEqual({ batchItemFailures: [] });
    const concurrent = new Client({ connectionString: db.url });
    await concurrent.connect();
    const second: RateRecord = { time: minute + 2000, exchange: 'binance', symbol: 'CONCUSDT', price: '12', change1m: 0.2, change5m: null, change15m: null, flags: ['gap'], evaluatedAt: minute + 2500 };
    await concurrent.query('BEGIN');
    await concurrent.query(
      `INSERT INTO price_change_rates (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at)
       VALUES (to_timestamp($1 / 1000.0), 'binance', 'CONCUSDT', 12, 0.2, NULL, NULL, '{gap}', to_timestamp($2 / 1000.0))`,
      [second.time, second.evaluatedAt],
    );
    const [m] = aggregateMinutes([second]);
    await concurrent.query(ROLLUP_MINUTES_MERGE_SQL, [
      [new Date(m!.bucket).toISOString()], [m!.exchange], [m!.symbol], [m!.open], [m!.high], [m!.low], [m!.close],
      [m!.change1m], [m!.change5m], [m!.change15m], [m!.flags.join(',')], [m!.rows], [new Date(m!.openTime).toISOString()], [new Date(m!.closeTime).toISOString()],
    ]);

    // Act: a newer evaluation of the first row (a rewrite, lower price) must wait for
    // the minute, then recompute it with the other writer's row committed.
    const rewrite: RateRow = [minute + 1000, 'CONCUSDT', '9', 0.1, null, null, [], minute + 9000];
    const pending = handler(event([ratesBody([rewrite])]));
    let waited = false;
    for (let i = 0; i < 200 && !waited; i += 1) {
      const waiting = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'mdc-ingest' AND wait_event_type = 'Lock'`);
      waited = (waiting.rowCount ?? 0) > 0;
      if (!waited) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await concurrent.query('COMMIT');
    await concurrent.end();
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });

    // Assert
    expect(waited).toBe(true);
    const rollup = await admin.query(`SELECT open::text, high::text, low::text, close::text, rows, flags FROM price_change_rates_1m WHERE symbol = 'CONCUSDT'`);
    expect(rollup.rows).toEqual([{ open: '9', high: '12', low: '9', close: '12', rows: 2, flags: ['gap'] }]);
    expect((await admin.query(MISMATCHES_SQL)).rows).toEqual([]);
  });
});
