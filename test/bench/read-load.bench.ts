import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DeleteQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { createIngestHandler, createIngestPool, createSqsClient, ensureQueues, SqsEventSourceRunner, type IngestMetrics } from '../../lambdas/ingest';
import { symbolIndexKey } from '../../lambdas/api';
import { runMigrations } from '../../services/shared/db';
import type { RateRow } from '../../services/shared/history';
import { createLogger } from '../../services/shared/logger';
import { createTestDatabase, sqsEndpoint, type TestDatabase } from '../support';
import type { BenchResult } from './run';

/**
 * Reads cannot starve ingest (issue 12, section 4): the ingest handler behind the
 * local SQS event-source runner consumes one message a second of 1,500 rows (the
 * collector's 1,500 symbols at 1 s), first alone, then while the config API (local
 * gateway + handler, in a process of its own) is driven at the stage throttle
 * (50 rps) with the most expensive valid requests. Ingest lag (send to committed)
 * p50 / p99 and the DLQ count, with and without the read load.
 *
 * Everything shares this machine's cores: the API process's own CPU (JSON of
 * 5,000-row pages, SigV4 verification) competes with ingest here, where in AWS it
 * runs on Lambda compute and only the database is shared.
 */
const SYMBOLS = 1_500;
const PHASE_SECONDS = Number(process.env.BENCH_READ_LOAD_SECONDS ?? 40);
const RPS = Number(process.env.BENCH_READ_LOAD_RPS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_READ_LOAD_CONCURRENCY ?? 10);
const MONTH_MINUTES = 30 * 1440;
const DAY_MS = 86_400_000;
const REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
  url.pathname = `/${process.env.BENCH_READ_LOAD_REDIS_DB ?? 12}`;
  return url.toString();
})();

const logger = createLogger({ serviceName: 'read-load-bench', logLevel: 'SILENT' });
const noMetrics: IngestMetrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined };
const symbols = Array.from({ length: SYMBOLS }, (_, i) => `L${String(i).padStart(4, '0')}USDT`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
}

interface DriverResult {
  sent: number;
  throttled: number;
  statuses: Record<string, number>;
  rps: number;
  p50: number;
  p99: number;
  routeP50: Record<string, number>;
}

function runDriver(envVars: Record<string, string>): Promise<DriverResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'support', 'read-load-driver.ts')], { env: { ...process.env, ...envVars }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as DriverResult) : reject(new Error(`read-load driver exited ${code}`))));
  });
}

export default async function runReadLoadBench(): Promise<BenchResult> {
  const metrics: Record<string, number | string> = {};
  const notes: string[] = [];
  let db: TestDatabase | undefined;
  let redis: Redis | undefined;
  const sqs = createSqsClient({ endpoint: sqsEndpoint() });
  const name = `read-load-${process.pid}-${Date.now()}`;
  let queues: Awaited<ReturnType<typeof ensureQueues>> | undefined;
  let runner: SqsEventSourceRunner | undefined;
  let ingestPool: Pool | undefined;
  try {
    db = await createTestDatabase('mdc_bench_read_load');
    await runMigrations({ databaseUrl: db.url, logger });
    const setup = new Pool({ connectionString: db.url, max: 1 });
    const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const monthStart = end - MONTH_MINUTES * 60_000;
    const heavy = symbols[0]!;
    try {
      // What the expensive reads read: a month of minutes for five symbols, a day of raw seconds for one.
      await setup.query('SELECT count(*) FROM mdc_ensure_history_partitions($1::timestamptz[])', [[new Date(monthStart), new Date(end - DAY_MS), new Date(end)]]);
      await setup.query(
        `INSERT INTO price_change_rates_1m (bucket, exchange, symbol, open, high, low, close, change_1m, change_5m, change_15m, flags, rows, open_time, close_time)
         SELECT b, 'binance', s, p, p + 0.5, p - 0.5, p + 0.25, sin(i / 60.0), sin(i / 300.0), sin(i / 900.0), '{}'::text[], 60, b, b + interval '59 seconds'
           FROM unnest($1::text[]) AS s, generate_series(0, $3 - 1) AS i,
                LATERAL (SELECT $2::timestamptz + i * interval '1 minute' AS b, round((100 + 5 * sin(i / 900.0))::numeric, 8) AS p) AS g`,
        [symbols.slice(0, 5), new Date(monthStart), MONTH_MINUTES],
      );
      await setup.query(
        `INSERT INTO price_change_rates (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at)
         SELECT t, 'binance', $1, round((100 + 5 * sin(i / 900.0))::numeric, 8), sin(i / 60.0), NULL, NULL, '{}'::text[], t
           FROM generate_series(0, 86399) AS i, LATERAL (SELECT $2::timestamptz + i * interval '1 second' AS t) AS g`,
        [heavy, new Date(end - 2 * DAY_MS)],
      );
      await setup.query('ANALYZE price_change_rates_1m');
      await setup.query('ANALYZE price_change_rates');
    } finally {
      await setup.end();
    }

    // Redis: the 1,500 symbols' rates hashes and the symbol index /v1/rates reads.
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.flushdb();
    const fill = redis.pipeline();
    for (const symbol of symbols) fill.hset(`rates:binance:${symbol}`, { price: '100.00000000', ts: String(end), tradeTs: String(end), change_1m: '0.1', flags: '' });
    fill.zadd(symbolIndexKey('binance'), ...symbols.flatMap((symbol) => [0, symbol]));
    await fill.exec();

    // Ingest: the handler behind the local event-source runner, as the Lambda runs it (batch 10, window 0).
    queues = await ensureQueues({ queueName: name, dlqName: `${name}-dlq`, maxReceiveCount: 5, client: sqs });
    ingestPool = createIngestPool({ connectionString: db.url, max: 3, logger });
    const handler = createIngestHandler({ pool: ingestPool, logger, metrics: noMetrics });
    const sentAt = new Map<number, number>();
    let lags: number[] = [];
    runner = new SqsEventSourceRunner({
      client: sqs,
      queueUrl: queues.queueUrl,
      logger,
      batchSize: 10,
      batchingWindowMs: 0,
      concurrency: 2,
      waitTimeSeconds: 1,
      handler: async (event) => {
        const response = await handler(event);
        const now = performance.now();
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        for (const record of event.Records) {
          if (failed.has(record.messageId)) continue;
          const at = sentAt.get((JSON.parse(record.body) as { rows: RateRow[] }).rows[0]![0]);
          if (at !== undefined) lags.push(now - at);
        }
        return response;
      },
    });
    await runner.start();

    // One interval of 1,500 rows a second, stamped with its second (inside today's raw partition).
    let producing = true;
    let second = Math.floor(Date.now() / 1000) * 1000;
    const producer = (async () => {
      while (producing) {
        second += 1000;
        const rows: RateRow[] = symbols.map((symbol, i) => [second, symbol, (100 + i / 7).toFixed(8), 0.12, -0.5, 1.75, [], second + 999]);
        sentAt.set(second, performance.now());
        await sqs.send(new SendMessageCommand({ QueueUrl: queues!.queueUrl, MessageBody: JSON.stringify({ v: 1, kind: 'rates', exchange: 'binance', collectorId: 'read-load', intervalMs: 1000, rows }) }));
        await sleep(Math.max(0, second + 1000 - Date.now()));
      }
    })();
    const dlqCount = async () => {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues!.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    };

    // Warm-up, then ingest alone.
    await sleep(5_000);
    lags = [];
    await sleep(PHASE_SECONDS * 1000);
    const quiet = lags;
    metrics.ingest_alone_messages = quiet.length;
    metrics.ingest_alone_lag_p50_ms = quantile(quiet, 0.5);
    metrics.ingest_alone_lag_p99_ms = quantile(quiet, 0.99);
    metrics.ingest_alone_dlq = await dlqCount();

    // Ingest while the API is driven at the throttle.
    lags = [];
    const reads = await runDriver({
      DATABASE_URL: db.url,
      REDIS_URL,
      READ_LOAD_SYMBOL: heavy,
      READ_LOAD_FROM_MS: String(monthStart),
      READ_LOAD_TO_MS: String(end),
      READ_LOAD_RAW_FROM_MS: String(end - 2 * DAY_MS),
      READ_LOAD_SECONDS: String(PHASE_SECONDS),
      READ_LOAD_RPS: String(RPS),
      READ_LOAD_CONCURRENCY: String(CONCURRENCY),
      LOG_LEVEL: 'ERROR',
    });
    const loaded = lags;
    producing = false;
    await producer;
    await sleep(3_000);
    metrics.ingest_under_reads_messages = loaded.length;
    metrics.ingest_under_reads_lag_p50_ms = quantile(loaded, 0.5);
    metrics.ingest_under_reads_lag_p99_ms = quantile(loaded, 0.99);
    metrics.ingest_under_reads_dlq = await dlqCount();
    metrics.reads_sent = reads.sent;
    metrics.reads_rps = reads.rps;
    metrics.reads_throttled = reads.throttled;
    for (const [status, count] of Object.entries(reads.statuses)) metrics[`reads_status_${status}`] = count;
    metrics.reads_latency_p50_ms = reads.p50;
    metrics.reads_latency_p99_ms = reads.p99;
    for (const [route, p50] of Object.entries(reads.routeP50)) metrics[`reads_${route}_p50_ms`] = p50;
    const stored = await ingestPool.query<{ n: string }>("SELECT count(*) AS n FROM price_change_rates WHERE exchange = 'binance' AND symbol = $1 AND time > now() - interval '10 minutes'", [symbols[1]]);
    metrics.ingest_rows_stored_per_symbol = Number(stored.rows[0]!.n);

    notes.push(
      `ingest: ${SYMBOLS} rows a second (one SQS message per second on the local endpoint, stamped with the current second), the ingest handler behind SqsEventSourceRunner (batch 10, window 0, concurrency 2, pool 3) in the benchmark process; lag = handler committed - message sent; ${PHASE_SECONDS} s alone (after 5 s warm-up), then ${PHASE_SECONDS} s under reads`,
      `reads: a separate process runs the local API gateway + api handler (signed SigV4 requests, pool 2, statement timeouts at their defaults) and drives it open-loop at ${RPS} rps (the stage throttle) with at most ${CONCURRENCY} in flight (the function's reserved concurrency; a request arriving while all are busy is counted as throttled, as Lambda would refuse it), cycling the most expensive valid requests: interval=1h&limit=744 over 30 days (43,200 minutes aggregated), interval=1m&limit=5000, raw limit=5000, interval=1s&limit=5000 (5,000 raw rows bucketed), GET /v1/rates (1,500 symbols from the symbol index)`,
      'data: price_change_rates_1m holds 30 days of minutes for 5 symbols, price_change_rates a day of 1-second rows for the read symbol, Redis 1,500 rates hashes and rates:binance:index; one PostgreSQL shared with the other engineers\' work on this 2-core machine, so figures are noisy',
    );
    return { name: 'read-load', metrics, notes };
  } finally {
    await runner?.stop().catch(() => undefined);
    await ingestPool?.end().catch(() => undefined);
    if (queues) for (const url of [queues.queueUrl, queues.dlqUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    sqs.destroy();
    if (redis) {
      await redis.flushdb().catch(() => undefined);
      redis.disconnect();
    }
    await db?.drop().catch((error: unknown) => console.error(`dropping ${db?.name} failed`, error));
  }
}
