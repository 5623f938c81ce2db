import type { APIGatewayProxyResult } from 'aws-lambda';
import { Pool } from 'pg';
import { connectDependencies, createApiHandler } from '../../../lambdas/api';
import { HistoryStore } from '../../../lambdas/api/store';
import { DependencyCache } from '../../../services/shared/lifecycle';
import type { Logger } from '../../../services/shared/logger';
import { apiEvent, READER_ARN } from '../../support/api-events';

const DAY_MS = 86_400_000;
const MONTH_MINUTES = 30 * 1440;
/** A handful of symbols share the rollup, so the month is read out of a table of more than one symbol. */
const ROLLUP_SYMBOLS = ['BENCH0USDT', 'BENCH1USDT', 'BENCH2USDT', 'BENCH3USDT', 'BENCH4USDT'];
const SAMPLES = Number(process.env.BENCH_HISTORY_SAMPLES ?? 40);
const WARMUP = 5;

const round = (ms: number, digits = 1): number => Number(ms.toFixed(digits));

function quantiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: round(at(0.5), 2), p95: round(at(0.95), 2) };
}

async function time(samples: number, action: () => Promise<void>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < WARMUP; i += 1) await action();
  const durations: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const t0 = performance.now();
    await action();
    durations.push(performance.now() - t0);
  }
  return quantiles(durations);
}

/**
 * History tiers (issue 12): 30 days of 1-minute rollup rows for five symbols
 * (43,200 each), and one day of 1-second raw rows of one of them, in the
 * database `databaseUrl` (migrated). Timed through the API handler (proxy event
 * in, JSON body out, no HTTP or signing) and, for the single-response month,
 * through HistoryStore. The "before" shape is the bucket SQL the API ran on the
 * raw table until now: a day of 1-second rows into 1,440 one-minute buckets.
 */
export async function measureHistoryTiers(databaseUrl: string, logger: Logger): Promise<{ metrics: Record<string, number | string>; notes: string[] }> {
  const metrics: Record<string, number | string> = {};
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const deps = connectDependencies({ databaseUrl, redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', logger, metrics: { addMetric: () => undefined } });
  try {
    // An hour boundary, so the month is exactly 720 hourly buckets.
    const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const monthStart = end - MONTH_MINUTES * 60_000;
    const symbol = ROLLUP_SYMBOLS[0]!;
    // Rollup months for the whole range (project-managed partitions cover the previous month on).
    await pool.query('SELECT count(*) FROM mdc_ensure_history_partitions($1::timestamptz[])', [[new Date(monthStart), new Date(end - DAY_MS), new Date(end)]]);
    const fillStart = performance.now();
    await pool.query(
      `INSERT INTO price_change_rates_1m (bucket, exchange, symbol, open, high, low, close, change_1m, change_5m, change_15m, flags, rows, open_time, close_time)
       SELECT b, 'binance', s, p, p + 0.5, p - 0.5, p + 0.25, sin(i / 60.0), sin(i / 300.0), sin(i / 900.0),
              CASE WHEN i % 240 = 0 THEN ARRAY['gap'] ELSE '{}'::text[] END, 60, b, b + interval '59 seconds'
         FROM unnest($1::text[]) AS s, generate_series(0, $3 - 1) AS i,
              LATERAL (SELECT $2::timestamptz + i * interval '1 minute' AS b, round((100 + 5 * sin(i / 900.0) + (i % 17) / 100.0)::numeric, 8) AS p) AS g
       ON CONFLICT DO NOTHING`,
      [ROLLUP_SYMBOLS, new Date(monthStart), MONTH_MINUTES],
    );
    // One day of raw 1-second rows of the same symbol, inside raw retention: the "before" shape.
    const dayStart = end - DAY_MS;
    await pool.query(
      `INSERT INTO price_change_rates (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at)
       SELECT t, 'binance', $1, round((100 + 5 * sin(extract(epoch FROM t) / 900) + (i % 17) / 100.0)::numeric, 8), sin(i / 60.0), sin(i / 300.0), sin(i / 900.0),
              CASE WHEN i % 3600 = 0 THEN ARRAY['gap'] ELSE '{}'::text[] END, t
         FROM generate_series(0, 86399) AS i, LATERAL (SELECT $2::timestamptz + i * interval '1 second' AS t) AS g
       ON CONFLICT DO NOTHING`,
      [symbol, new Date(dayStart)],
    );
    await pool.query('ANALYZE price_change_rates_1m');
    await pool.query('ANALYZE price_change_rates');
    metrics.history_tiers_fill_ms = Math.round(performance.now() - fillStart);
    metrics.rollup_rows = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM price_change_rates_1m')).rows[0]!.n);
    metrics.rollup_rows_of_symbol = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM price_change_rates_1m WHERE symbol = $1', [symbol])).rows[0]!.n);

    const handler = createApiHandler({ dependencies: new DependencyCache({ create: async () => deps, close: async () => undefined }), principals: { readers: [READER_ARN], admins: [] }, maxBodyBytes: 16_384, logger });
    const get = async (path: string): Promise<{ rows: unknown[]; nextCursor: string | null; source: string }> => {
      const result: APIGatewayProxyResult = await handler(apiEvent({ method: 'GET', path, caller: READER_ARN }));
      if (result.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${result.statusCode} ${result.body.slice(0, 300)}`);
      return JSON.parse(result.body) as { rows: unknown[]; nextCursor: string | null; source: string };
    };
    const base = `/v1/history/binance/${symbol}?from=${monthStart}&to=${end}`;

    // A month of 1-minute bars through the handler: 9 pages of 5,000 (the limit's maximum).
    let pages = 0;
    let bars = 0;
    const pagedMonth = await time(Math.max(5, Math.floor(SAMPLES / 4)), async () => {
      let cursor: string | null = null;
      pages = 0;
      bars = 0;
      do {
        const body = await get(`${base}&interval=1m&limit=5000${cursor ? `&cursor=${cursor}` : ''}`);
        if (body.source !== 'rollup') throw new Error(`1m page from ${body.source}`);
        bars += body.rows.length;
        pages += 1;
        cursor = body.nextCursor;
      } while (cursor !== null);
    });
    if (bars !== MONTH_MINUTES) throw new Error(`the paged month held ${bars} bars, not ${MONTH_MINUTES}`);
    metrics.month_1m_paged_pages = pages;
    metrics.month_1m_paged_total_p50_ms = pagedMonth.p50;
    metrics.month_1m_paged_total_p95_ms = pagedMonth.p95;

    // The month of 1-minute bars as one CSV response through the handler: whole closed days from
    // their day files (built by the first request), the partial days at both ends by COPY.
    let csvBytes = 0;
    const csvRequest = async () => {
      const result: APIGatewayProxyResult = await handler(apiEvent({ method: 'GET', path: `${base}&interval=1m&limit=${MONTH_MINUTES}&format=csv`, caller: READER_ARN }));
      if (result.statusCode !== 200) throw new Error(`CSV month: HTTP ${result.statusCode} ${result.body.slice(0, 300)}`);
      const lines = result.body.split('\n').length - 2;
      if (lines !== MONTH_MINUTES || result.headers?.['X-Next-Cursor'] !== undefined) throw new Error(`CSV month held ${lines} bars`);
      csvBytes = Buffer.byteLength(result.body);
      return result.body;
    };
    const firstStart = performance.now();
    const firstBody = await csvRequest();
    metrics.month_1m_csv_first_request_building_day_files_ms = round(performance.now() - firstStart, 2);
    metrics.month_1m_csv_day_files = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM price_change_rates_1m_days WHERE symbol = $1', [symbol])).rows[0]!.n);
    const csvMonth = await time(SAMPLES, async () => {
      if ((await csvRequest()) !== firstBody) throw new Error('the month from day files differs from the month as first built');
    });
    // Without day files: the whole month by COPY from the rollup (each request deletes the files first, outside the timing).
    const fromRollup: number[] = [];
    for (let i = 0; i < Math.max(5, Math.floor(SAMPLES / 4)); i += 1) {
      await pool.query('DELETE FROM price_change_rates_1m_days');
      const store = new HistoryStore(pool, { statementTimeoutMs: 10_000, now: () => monthStart });
      const t0 = performance.now();
      const page = await store.csvPage({ exchange: 'binance', symbol, fromMs: monthStart, toMs: end, interval: '1m', limit: MONTH_MINUTES, cursor: undefined });
      fromRollup.push(performance.now() - t0);
      if (page.csv !== firstBody) throw new Error('the month from the rollup differs from the month from day files');
    }
    await csvRequest();
    metrics.month_1m_csv_rollup_only_store_p50_ms = quantiles(fromRollup).p50;
    metrics.month_1m_csv_one_request_p50_ms = csvMonth.p50;
    metrics.month_1m_csv_one_request_p95_ms = csvMonth.p95;
    metrics.month_1m_csv_mib = round(csvBytes / 2 ** 20, 2);

    // One page of 5,000 minute bars through the handler.
    const onePage = await time(SAMPLES, async () => {
      const body = await get(`${base}&interval=1m&limit=5000`);
      if (body.rows.length !== 5000) throw new Error(`page of ${body.rows.length} bars`);
    });
    metrics.page_1m_5000_p50_ms = onePage.p50;
    metrics.page_1m_5000_p95_ms = onePage.p95;

    // The month's 43,200 minutes aggregated into 720 hourly bars: one request.
    const hourly = await time(SAMPLES, async () => {
      const body = await get(`${base}&interval=1h&limit=720`);
      if (body.rows.length !== 720 || body.nextCursor !== null) throw new Error(`hourly month: ${body.rows.length} bars, cursor ${body.nextCursor}`);
    });
    metrics.month_1h_from_43200_minutes_p50_ms = hourly.p50;
    metrics.month_1h_from_43200_minutes_p95_ms = hourly.p95;

    // The month of minutes in one response: HistoryStore with limit 43,200, then the JSON body.
    // (The API's limit stops at 5,000: 43,200 bars are ~10 MB of JSON, above Lambda's 6 MB response cap.)
    const store = new HistoryStore(pool, { statementTimeoutMs: 10_000 });
    let jsonBytes = 0;
    const single = await time(Math.max(10, Math.floor(SAMPLES / 2)), async () => {
      const page = await store.page({ exchange: 'binance', symbol, fromMs: monthStart, toMs: end, interval: '1m', limit: MONTH_MINUTES, cursor: undefined });
      if (page.rows.length !== MONTH_MINUTES) throw new Error(`store month: ${page.rows.length} bars`);
      jsonBytes = Buffer.byteLength(JSON.stringify(page));
    });
    metrics.month_1m_single_store_p50_ms = single.p50;
    metrics.month_1m_single_store_p95_ms = single.p95;
    metrics.month_1m_single_json_mib = round(jsonBytes / 2 ** 20, 2);

    // Before: the old bucket SQL over the raw table, one day into 1-minute buckets (86,400 rows aggregated).
    const legacySql = `
      WITH r AS (
        SELECT date_bin('60 seconds'::interval, time, 'epoch'::timestamptz) AS bucket, time, price, change_1m, change_5m, change_15m, flags
          FROM price_change_rates WHERE exchange = $1 AND symbol = $2 AND time >= $3 AND time < $4
      ), summary AS (
        SELECT bucket, count(*) AS rows, max(price) AS high, min(price) AS low, (array_agg(price ORDER BY time))[1] AS open FROM r GROUP BY bucket
      ), last AS (
        SELECT DISTINCT ON (bucket) bucket, price, change_1m, change_5m, change_15m FROM r ORDER BY bucket, time DESC
      ), flag_union AS (
        SELECT bucket, array_agg(DISTINCT flag ORDER BY flag) AS flags FROM r CROSS JOIN LATERAL unnest(r.flags) AS flag GROUP BY bucket
      )
      SELECT summary.bucket, last.price::text AS price, summary.open::text AS open, summary.high::text AS high, summary.low::text AS low, summary.rows,
             last.change_1m, last.change_5m, last.change_15m, flag_union.flags
        FROM summary JOIN last USING (bucket) LEFT JOIN flag_union USING (bucket) ORDER BY summary.bucket`;
    const before = await time(Math.max(10, Math.floor(SAMPLES / 2)), async () => {
      const { rows } = await pool.query(legacySql, ['binance', symbol, new Date(dayStart), new Date(end)]);
      if (rows.length !== 1440) throw new Error(`legacy day: ${rows.length} buckets`);
    });
    metrics.before_day_1m_buckets_from_raw_sql_p50_ms = before.p50;
    metrics.before_day_1m_buckets_from_raw_sql_p95_ms = before.p95;
    // After, the same day of 1-minute bars through the handler (1,440 rollup rows).
    const after = await time(SAMPLES, async () => {
      const body = await get(`/v1/history/binance/${symbol}?from=${dayStart}&to=${end}&interval=1m&limit=1440`);
      if (body.rows.length !== 1440) throw new Error(`day from rollup: ${body.rows.length} bars`);
    });
    metrics.after_day_1m_bars_handler_p50_ms = after.p50;
    metrics.after_day_1m_bars_handler_p95_ms = after.p95;

    const strategy = (await pool.query<{ strategy: string }>("SELECT strategy FROM schema_partitioning WHERE table_name = 'price_change_rates_1m'")).rows[0]?.strategy ?? 'unknown';
    return {
      metrics,
      notes: [
        `history tiers: price_change_rates_1m filled with 30 days (43,200 minutes) for each of ${ROLLUP_SYMBOLS.length} symbols (${metrics.rollup_rows} rows, ${strategy} partitioning, ANALYZEd) and one day of 1-second raw rows of ${symbol}; ${SAMPLES} timed requests after ${WARMUP} warm-up, sequential, through createApiHandler (proxy event in, JSON body out; no HTTP, no signing)`,
        'month_1m_csv_one_request: the 43,200 bars of a month as one CSV response (format=csv, limit=43200) through the handler: the 29 whole days that ended more than an hour ago from their stored day files (migration 0012), the partial first and last day by COPY ... TO STDOUT; month_1m_csv_first_request_building_day_files: the first such request, which builds and stores the 29 day files; month_1m_csv_rollup_only_store: the same month through HistoryStore with a clock that makes no day closed (no day files), i.e. the whole month by COPY from the rollup; every body is compared with the first',
        'month_1m_paged: the month of 1-minute bars for one symbol in pages of limit=5000 (9 requests, 43,200 bars, each page one index range scan of the rollup); month_1h_from_43200_minutes: one request aggregating the 43,200 minutes into 720 hourly bars; month_1m_single_store: the 43,200 bars as one page through HistoryStore (limit 43,200, beyond what the API allows: ~10 MB of JSON is above the Lambda 6 MB response limit) including JSON.stringify',
        'before_day_1m_buckets_from_raw_sql: the bucket SQL the API ran for interval=1m until now, over one day of raw 1-second rows (86,400 rows into 1,440 buckets), run on the pool directly; after_day_1m_bars_handler: the same day of 1-minute bars as the API serves it now, from the rollup, through the handler',
      ],
    };
  } finally {
    await deps.close();
    await pool.end();
  }
}
