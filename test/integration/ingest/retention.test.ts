import type { Pool } from 'pg';
import { createIngestHandler, createIngestPool, type IngestHandler, type IngestMetrics, type SqsEvent } from '../../../lambdas/ingest';
import type { RateRow } from '../../../services/shared/history';
import { createLogger } from '../../../services/shared/logger';
import { createTestDatabase, queryOnce, type TestDatabase } from '../../support';
import { ratesBody } from './fixtures';
import { createIngestSchema, ingestRoleUrl } from './schema';

const DAY = 86_400_000;

class RecordingMetrics implements IngestMetrics {
  readonly values: Record<string, number[]> = {};
  addMetric(name: string, _unit: unknown, value: number): void {
    (this.values[name] ??= []).push(value);
  }
  readonly single: { dimensions: Record<string, string>; name: string; value: number }[] = [];
  publishStoredMetrics(): void {}
  singleMetric() {
    const dimensions: Record<string, string> = {};
    return {
      addDimension: (name: string, value: string) => (dimensions[name] = value),
      addMetric: (name: string, _unit: unknown, value: number) => this.single.push({ dimensions, name, value }),
    };
  }
  last(name: string): number | undefined {
    return this.values[name]?.at(-1);
  }
}

let seq = 0;
const event = (body: string): SqsEvent => {
  const id = `ret-${(seq += 1)}`;
  return {
    Records: [
      {
        messageId: id,
        receiptHandle: id,
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
        awsRegion: 'us-east-1',
      },
    ],
  };
};

/** A row `daysAgo` days before now (whole seconds), so partitions depend on now, not on a fixed date. */
const rowDaysAgo = (daysAgo: number, symbol: string, price: string): RateRow => {
  const time = Math.floor((Date.now() - daysAgo * DAY) / 1000) * 1000;
  return [time, symbol, price, 0.5, null, null, [], time + 900];
};

describe.each(['native', 'pg_partman'] as const)('every day inside raw retention is writable, older rows are refused (%s)', (strategy) => {
  let db: TestDatabase;
  let pool: Pool;
  let metrics: RecordingMetrics;
  let handler: IngestHandler;
  const logger = createLogger({ serviceName: 'retention-test', logLevel: 'SILENT' });

  beforeAll(async () => {
    db = await createTestDatabase('mdc_ingest_retention');
    await queryOnce(db.url, `ALTER DATABASE "${db.name}" SET mdc.partitioning = '${strategy}'`);
    await createIngestSchema(db.url);
    // Partitions exist about a week around today; 90 days of raw retention make
    // rows 30 and 80 days old writable only through partitions made on demand.
    await queryOnce(db.url, 'UPDATE collection_settings SET raw_retention_days = 90');
    const [chosen] = await queryOnce<{ strategy: string }>(db.url, "SELECT strategy FROM schema_partitioning WHERE table_name = 'price_change_rates'");
    expect(chosen?.strategy).toBe(strategy);
    // As the ingest function's own role: partitions are created through the owner's functions.
    pool = createIngestPool({ connectionString: ingestRoleUrl(db.url), logger });
    metrics = new RecordingMetrics();
    handler = createIngestHandler({ pool, logger, metrics });
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const stored = (symbol: string) => queryOnce<{ time: Date; price: string }>(db.url, 'SELECT time, price::text FROM price_change_rates WHERE symbol = $1 ORDER BY time', [symbol]);
  const minutes = (symbol: string) =>
    queryOnce<{ bucket: Date; open: string; rows: number }>(db.url, 'SELECT bucket, open::text, rows FROM price_change_rates_1m WHERE symbol = $1 ORDER BY bucket', [symbol]);

  it('stores rows 30 and 80 days old, and one just inside retention on the cutoff day, with their minutes in the rollup', async () => {
    // Prepare: none of these days has a partition yet.
    const rows = [rowDaysAgo(89.9, 'OLDUSDT', '3'), rowDaysAgo(80, 'OLDUSDT', '2'), rowDaysAgo(30, 'OLDUSDT', '1')];

    // Act
    const result = await handler(event(ratesBody(rows)));

    // Assert
    expect(result).toEqual({ batchItemFailures: [] });
    expect((await stored('OLDUSDT')).map((r) => [r.time.getTime(), r.price])).toEqual(rows.map((r) => [r[0], r[2]]));
    expect((await minutes('OLDUSDT')).map((m) => [m.bucket.getTime(), m.open, m.rows])).toEqual(rows.map((r) => [Math.floor(r[0] / 60_000) * 60_000, r[2], 1]));
    expect(metrics.last('RowsInserted')).toBe(3);
    expect(metrics.last('RowsRefused')).toBe(0);
  });

  it('refuses a row older than raw retention without failing its record, counts and logs it, and stores its batch-mates', async () => {
    // Prepare
    const warn = jest.spyOn(logger, 'warn');
    const rows = [rowDaysAgo(100, 'EXPUSDT', '5'), rowDaysAgo(2, 'EXPUSDT', '6')];

    // Act
    const result = await handler(event(ratesBody(rows)));

    // Assert
    expect(result).toEqual({ batchItemFailures: [] });
    expect((await stored('EXPUSDT')).map((r) => r.price)).toEqual(['6']);
    expect((await minutes('EXPUSDT')).map((m) => m.open)).toEqual(['6']);
    expect(metrics.last('RowsRefused')).toBe(1);
    expect(metrics.last('RowsInserted')).toBe(1);
    expect(metrics.last('RecordsFailed')).toBe(0);
    expect(metrics.single.at(-1)).toEqual({ dimensions: { reason: 'older_than_retention' }, name: 'RowsRefused', value: 1 });
    const refusals = warn.mock.calls.filter(([message]) => String(message).includes('older than raw retention'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]![1]).toMatchObject({ reason: 'older_than_retention', rowsRefused: 1 });
    warn.mockRestore();
  });
});
