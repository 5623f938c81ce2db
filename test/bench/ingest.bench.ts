import { DeleteQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createIngestHandler, createIngestPool, createSqsClient, ensureQueues, SqsEventSourceRunner, type IngestMetrics, type SqsEvent } from '../../lambdas/ingest';
import type { RateRow } from '../../services/shared/history';
import { createLogger } from '../../services/shared/logger';
import { createTestDatabase, sqsEndpoint } from '../support';
import { createIngestSchema } from '../integration/ingest/schema';

/**
 * Rows a second through the ingest handler (JSON parse, schema validation,
 * merge, one unnest upsert per batch) into local PostgreSQL, against a bare
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

    let started = performance.now();
    for (const e of events) {
      const response = await handler(e);
      if (response.batchItemFailures.length > 0) throw new Error('benchmark batch failed');
    }
    const handlerSeconds = (performance.now() - started) / 1000;
    const stored = Number((await admin.query(`SELECT count(*) AS n FROM price_change_rates WHERE time >= $1`, [new Date(start)])).rows[0].n);
    if (stored !== totalRows) throw new Error(`expected ${totalRows} rows, found ${stored}`);

    started = performance.now();
    for (const e of events) await handler(e);
    const redeliverySeconds = (performance.now() - started) / 1000;

    // Parsing and validation alone, to show where the handler's time goes.
    const { parseHistoryMessage } = await import('../../lambdas/ingest');
    started = performance.now();
    for (const e of events) for (const r of e.Records) parseHistoryMessage(r.body);
    const parseSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    await pipeline(Readable.from(copyLines(events)), admin.query(copyFrom('COPY price_change_rates_copy (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at) FROM STDIN')));
    const copySeconds = (performance.now() - started) / 1000;

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
      },
      notes: [
        `${BATCHES} handler calls of ${RECORDS_PER_BATCH} SQS records x ${SYMBOLS} rows (${Math.round(bodyBytes / 1024)} KiB bodies) into price_change_rates as the migrations create it (partitioned by day on this server) on local PostgreSQL; the handler time includes JSON parse and zod validation.`,
        'copy: COPY FROM STDIN (pg-copy-streams, text format) of the same rows into a same-shaped table, from already-decoded rows: the ceiling for getting rows into PostgreSQL.',
        'redelivery: the same batches again; every row conflicts and is left unchanged (WHERE evaluated_at < EXCLUDED.evaluated_at).',
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
