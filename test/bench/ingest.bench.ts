import { DeleteQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  aggregateMinutes,
  createIngestHandler,
  createIngestPool,
  createSqsClient,
  encodeRatesCopy,
  ensureQueues,
  mergeMessages,
  parseHistoryMessage,
  RATE_COPY_COLUMNS,
  ratePrecedenceKey,
  RATES_COPY_SQL,
  RATES_DIRECT_COPY_SQL,
  RATES_INSERT_SQL,
  RATES_STAGE_SQL,
  ROLLUP_MINUTES_MERGE_SQL,
  SqsEventSourceRunner,
  type IngestMetrics,
  type MinuteRecord,
  type RateRecord,
  type SqsEvent,
} from '../../lambdas/ingest';
import type { RateRow } from '../../services/shared/history';
import { createLogger } from '../../services/shared/logger';
import { createTestDatabase, sqsEndpoint } from '../support';
import { createIngestSchema } from '../integration/ingest/schema';

/**
 * Rows a second through the ingest handler (JSON parse, schema validation,
 * merge, the raw write and the rollup merge in one transaction) into local PostgreSQL, against a bare
 * COPY of the same rows into a same-shaped table (the ceiling); the upsert of
 * a redelivered batch (every row already stored); and the lag from SQS send to
 * a stored row through the local runner. Batches are what the Lambda gets: 10
 * SQS records of 2,000 rows each, one persistence interval of 2,000 symbols per
 * record, the collector's real message size.
 */
const SYMBOLS = 2_000;
const RECORDS_PER_BATCH = 10;
const BATCHES = Number(process.env.BENCH_INGEST_BATCHES ?? 30);
const LAG_MESSAGES = 60;
const SHAPE_BATCHES = Number(process.env.BENCH_INGEST_SHAPE_BATCHES ?? 8);

const noMetrics: IngestMetrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined };
const logger = createLogger({ serviceName: 'ingest-bench', logLevel: 'SILENT' });
const symbols = Array.from({ length: SYMBOLS }, (_, i) => `S${String(i).padStart(4, '0')}USDT`);

function intervalRows(time: number): RateRow[] {
  return symbols.map((symbol, i) => [time, symbol, (100 + i / 7 + (time % 97) / 1000).toFixed(8), 0.1234, i % 3 === 0 ? null : -0.5, 1.75, i % 50 === 0 ? ['backfilled'] : [], time + 999]);
}

function body(rows: RateRow[]): string {
  return JSON.stringify({ v: 1, kind: 'rates', exchange: 'binance', collectorId: 'bench', intervalMs: 1000, rows });
}

function sqsEvent(batch: number, start: number): SqsEvent {
  return {
    Records: Array.from({ length: RECORDS_PER_BATCH }, (_, r) => {
      const id = `b${batch}-r${r}`;
      return {
        messageId: id,
        receiptHandle: id,
        body: body(intervalRows(start + (batch * RECORDS_PER_BATCH + r) * 1000)),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs' as const,
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
        awsRegion: 'us-east-1',
      };
    }),
  };
}

/** COPY text format: tab-separated, \N for NULL, arrays as {a,b}. */
function copyLines(events: SqsEvent[]): string[] {
  const lines: string[] = [];
  for (const e of events) {
    for (const record of e.Records) {
      const message = JSON.parse(record.body) as { exchange: string; rows: RateRow[] };
      const out: string[] = [];
      for (const [time, symbol, price, c1, c5, c15, flags, evaluatedAt] of message.rows) {
        const num = (v: number | null) => (v === null ? '\\N' : String(v));
        out.push(`${new Date(time).toISOString()}\t${message.exchange}\t${symbol}\t${price}\t${num(c1)}\t${num(c5)}\t${num(c15)}\t{${flags.join(',')}}\t${new Date(evaluatedAt).toISOString()}\n`);
      }
      lines.push(out.join(''));
    }
  }
  return lines;
}

/**
 * Write shapes tried for the raw write plus the rollup (docs/ingest.md "Write
 * path"), each on its own times, timed from BEGIN to COMMIT without the JSON
 * parse and validation the handler adds. `unnest_upsert_no_rollup` is the former
 * statement (no rollup), for reference.
 */
const UNNEST_SELECT = `SELECT u.time, u.exchange, u.symbol, u.price, u.change_1m, u.change_5m, u.change_15m, string_to_array(u.flags, ','), u.evaluated_at
FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::numeric[], $5::float8[], $6::float8[], $7::float8[], $8::text[], $9::timestamptz[])
  AS u(time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at)`;
const STAGE_SELECT = `SELECT ${RATE_COPY_COLUMNS} FROM mdc_ingest_rates\n  ON CONFLICT`;
const FORMER_UPSERT = `INSERT INTO price_change_rates AS p (${RATE_COPY_COLUMNS}) ${UNNEST_SELECT}
ON CONFLICT (exchange, symbol, time) DO UPDATE SET price = EXCLUDED.price, change_1m = EXCLUDED.change_1m, change_5m = EXCLUDED.change_5m,
  change_15m = EXCLUDED.change_15m, flags = EXCLUDED.flags, evaluated_at = EXCLUDED.evaluated_at
WHERE ${ratePrecedenceKey('EXCLUDED')} > ${ratePrecedenceKey('p')}`;
const iso = (ms: number): string => new Date(ms).toISOString();
const unnestValues = (rows: RateRecord[]): unknown[] => [
  rows.map((r) => iso(r.time)), rows.map((r) => r.exchange), rows.map((r) => r.symbol), rows.map((r) => r.price), rows.map((r) => r.change1m),
  rows.map((r) => r.change5m), rows.map((r) => r.change15m), rows.map((r) => r.flags.join(',')), rows.map((r) => iso(r.evaluatedAt)),
];
const minuteValues = (minutes: MinuteRecord[]): unknown[] => [
  minutes.map((m) => iso(m.bucket)), minutes.map((m) => m.exchange), minutes.map((m) => m.symbol), minutes.map((m) => m.open), minutes.map((m) => m.high),
  minutes.map((m) => m.low), minutes.map((m) => m.close), minutes.map((m) => m.change1m), minutes.map((m) => m.change5m), minutes.map((m) => m.change15m),
  minutes.map((m) => m.flags.join(',')), minutes.map((m) => m.rows), minutes.map((m) => iso(m.openTime)), minutes.map((m) => iso(m.closeTime)),
];
const copyInto = async (client: Client, sql: string, rows: RateRecord[]): Promise<void> => pipeline(Readable.from(encodeRatesCopy(rows)), client.query(copyFrom(sql)));

type Shape = (client: Client, rows: RateRecord[]) => Promise<unknown>;
const SHAPES: Record<string, Shape> = {
  unnest_upsert_no_rollup: (c, rows) => c.query(FORMER_UPSERT, unnestValues(rows)),
  unnest_insert_sql_rollup: (c, rows) => c.query(RATES_INSERT_SQL.replace(STAGE_SELECT, `${UNNEST_SELECT}\n  ON CONFLICT`), unnestValues(rows)),
  stage_copy_insert_sql_rollup: async (c, rows) => {
    await c.query(RATES_STAGE_SQL);
    await copyInto(c, RATES_COPY_SQL, rows);
    await c.query(RATES_INSERT_SQL);
  },
  stage_copy_sorted_insert_sql_rollup: async (c, rows) => {
    await c.query(RATES_STAGE_SQL);
    await copyInto(c, RATES_COPY_SQL, rows);
    await c.query(RATES_INSERT_SQL.replace(STAGE_SELECT, `SELECT ${RATE_COPY_COLUMNS} FROM mdc_ingest_rates ORDER BY exchange, symbol, time\n  ON CONFLICT`));
  },
  direct_copy_client_rollup: async (c, rows) => {
    await copyInto(c, RATES_DIRECT_COPY_SQL, rows);
    await c.query(ROLLUP_MINUTES_MERGE_SQL, minuteValues(aggregateMinutes(rows)));
  },
};

async function measureShapes(client: Client, start: number): Promise<Record<string, number>> {
  const rowsOf = (batch: number): RateRecord[] => mergeMessages(sqsEvent(batch, start).Records.map((r) => parseHistoryMessage(r.body))).rates;
  const seconds: Record<string, number> = {};
  let batch = 0;
  // Interleaved, so load from elsewhere on the machine falls on every shape alike.
  for (let round = 0; round <= SHAPE_BATCHES; round += 1) {
    for (const [name, shape] of Object.entries(SHAPES)) {
      const rows = rowsOf((batch += 1));
      const started = performance.now();
      await client.query('BEGIN');
      await shape(client, rows);
      await client.query('COMMIT');
      // Round 0 warms up plans and caches.
      if (round > 0) seconds[name] = (seconds[name] ?? 0) + (performance.now() - started) / 1000;
    }
  }
  return Object.fromEntries(Object.entries(seconds).map(([name, s]) => [`shape_${name}_rows_per_second`, Math.round((SHAPE_BATCHES * RECORDS_PER_BATCH * SYMBOLS) / s)]));
}

export default async function runIngestBench(): Promise<{ name: string; metrics: Record<string, number | string>; notes: string[] }> {
  const db = await createTestDatabase('mdc_bench_ingest');
  const admin = new Client({ connectionString: db.url });
  const pool = createIngestPool({ connectionString: db.url, max: 2, logger });
  try {
    await createIngestSchema(db.url);
    await admin.connect();
    await admin.query('CREATE TABLE price_change_rates_copy (LIKE price_change_rates INCLUDING ALL)');
    const handler = createIngestHandler({ pool, logger, metrics: noMetrics });
    // Recent times: the table is partitioned by day, with partitions from yesterday on.
    const start = Math.floor(Date.now() / 1000) * 1000 - 30 * 60_000;
    const events = Array.from({ length: BATCHES }, (_, b) => sqsEvent(b, start));
    const totalRows = BATCHES * RECORDS_PER_BATCH * SYMBOLS;
    const bodyBytes = Buffer.byteLength(events[0]!.Records[0]!.body);

    // Warm-up on other times so plans, caches and the JIT are settled before measuring.
    for (const e of [sqsEvent(0, start - 60 * 60_000)]) await handler(e);

    // Handler and bare COPY alternate batch by batch, so load from elsewhere on the
    // machine (shared cores) falls on both alike and their ratio stays meaningful.
    let handlerSeconds = 0;
    let copySeconds = 0;
    for (const e of events) {
      let t = performance.now();
      const response = await handler(e);
      handlerSeconds += (performance.now() - t) / 1000;
      if (response.batchItemFailures.length > 0) throw new Error('benchmark batch failed');
      t = performance.now();
      await pipeline(Readable.from(copyLines([e])), admin.query(copyFrom('COPY price_change_rates_copy (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at) FROM STDIN')));
      copySeconds += (performance.now() - t) / 1000;
    }
    const stored = Number((await admin.query(`SELECT count(*) AS n FROM price_change_rates WHERE time >= $1`, [new Date(start)])).rows[0].n);
    if (stored !== totalRows) throw new Error(`expected ${totalRows} rows, found ${stored}`);

    let started = performance.now();
    for (const e of events) await handler(e);
    const redeliverySeconds = (performance.now() - started) / 1000;

    // Parsing and validation alone, to show where the handler's time goes.
    const { parseHistoryMessage } = await import('../../lambdas/ingest');
    started = performance.now();
    for (const e of events) for (const r of e.Records) parseHistoryMessage(r.body);
    const parseSeconds = (performance.now() - started) / 1000;


    const shapes = await measureShapes(admin, start - 6 * 3600_000);
    const lag = await measureLag(db.url);
    const handlerRate = Math.round(totalRows / handlerSeconds);
    const copyRate = Math.round(totalRows / copySeconds);
    return {
      name: 'ingest',
      metrics: {
        rows: totalRows,
        handler_rows_per_second: handlerRate,
        copy_rows_per_second: copyRate,
        handler_vs_copy: Number((handlerRate / copyRate).toFixed(2)),
        redelivery_rows_per_second: Math.round(totalRows / redeliverySeconds),
        parse_validate_rows_per_second: Math.round(totalRows / parseSeconds),
        handler_ms_per_batch: Math.round((handlerSeconds * 1000) / BATCHES),
        message_bytes: bodyBytes,
        sqs_to_row_lag_p50_ms: lag.p50,
        sqs_to_row_lag_p99_ms: lag.p99,
        ...shapes,
      },
      notes: [
        `${BATCHES} handler calls of ${RECORDS_PER_BATCH} SQS records x ${SYMBOLS} rows (${Math.round(bodyBytes / 1024)} KiB bodies) into price_change_rates as the migrations create it (partitioned by day on this server) on local PostgreSQL, with the rollup price_change_rates_1m maintained in the same transaction; the handler time includes JSON parse and zod validation.`,
        'copy: COPY FROM STDIN (pg-copy-streams, text format) of the same rows into a same-shaped table (primary key, not partitioned), one COPY per batch right after the handler call of that batch, timed from JSON.parse of the bodies: the ceiling for getting rows into PostgreSQL.',
        'redelivery: the same batches again; the direct COPY fails on the first stored key, the batch goes through the staging table, every row conflicts and is left unchanged.',
        `shape_*: ${SHAPE_BATCHES} batches of ${RECORDS_PER_BATCH * SYMBOLS} rows per write shape, interleaved, BEGIN to COMMIT without parse/validation (docs/ingest.md "Write path"); all but unnest_upsert_no_rollup include the rollup.`,
        `lag: ${LAG_MESSAGES} single-message sends of ${SYMBOLS} rows, one every 250 ms, through the SQS endpoint and the local runner (batch size 10, window 0), until the handler has committed the row.`,
      ],
    };
  } finally {
    await pool.end();
    await admin.end().catch(() => undefined);
    await db.drop();
  }
}

async function measureLag(databaseUrl: string): Promise<{ p50: number; p99: number }> {
  const sqs = createSqsClient({ endpoint: sqsEndpoint() });
  const name = `ingest-bench-${process.pid}-${Date.now()}`;
  const queues = await ensureQueues({ queueName: name, dlqName: `${name}-dlq`, maxReceiveCount: 5, client: sqs });
  const pool = createIngestPool({ connectionString: databaseUrl, max: 3, logger });
  const sent = new Map<number, number>();
  const lags: number[] = [];
  const handler = createIngestHandler({ pool, logger, metrics: noMetrics });
  const runner = new SqsEventSourceRunner({
    client: sqs,
    queueUrl: queues.queueUrl,
    logger,
    batchSize: 10,
    batchingWindowMs: 0,
    concurrency: 2,
    waitTimeSeconds: 1,
    handler: async (e) => {
      const response = await handler(e);
      const now = performance.now();
      for (const r of e.Records) {
        const time = (JSON.parse(r.body) as { rows: RateRow[] }).rows[0]![0];
        const at = sent.get(time);
        if (at !== undefined) lags.push(now - at);
      }
      return response;
    },
  });
  try {
    await runner.start();
    const base = Date.UTC(2026, 1, 1);
    for (let i = 0; i < LAG_MESSAGES; i += 1) {
      const time = base + i * 1000;
      sent.set(time, performance.now());
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: queues.queueUrl, Entries: [{ Id: '0', MessageBody: body(intervalRows(time)) }] }));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const deadline = Date.now() + 20_000;
    while (lags.length < LAG_MESSAGES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    await runner.stop();
    await pool.end();
    for (const url of [queues.queueUrl, queues.dlqUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    sqs.destroy();
  }
  const sorted = lags.sort((a, b) => a - b);
  const pick = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
  return { p50: pick(0.5), p99: pick(0.99) };
}
