import Redis from 'ioredis';
import { Pool } from 'pg';
import { SnapshotPublisher } from '../../lambdas/api';
import { ConfigStore } from '../../lambdas/api/store';
import { resolveLocalKeys, signedFetch, signRequest, startLocalApi, type RunningLocalApi, type SigningCredentials } from '../../localstack/api';
import { Collector, loadCollectorConfig } from '../../services/collector';
import { CONFIG_SNAPSHOT_KEY, CONFIG_UPDATES_CHANNEL } from '../../services/shared';
import { runMigrations } from '../../services/shared/db';
import { createLogger } from '../../services/shared/logger';
import { startSimulator, type SimulatorHandle } from '../../services/simulator';
import { createTestDatabase, type TestDatabase } from '../support';
import type { BenchResult } from './run';
import { measureHistoryTiers } from './support/history-tiers';

/**
 * The config API in one process, as `npm start` runs it: the exchange simulator,
 * a collector (SYMBOLS=ALL, configured by the Redis snapshot) and the local API
 * gateway with the api Lambda's handler, against PostgreSQL and Redis.
 *
 * 1. Propagation: a signed admin PUT enabling a symbol, timed to the collector
 *    applying the new config version, the exchange acknowledging the stream, and
 *    the symbol's rates appearing in Redis (the target: applied within 2 s).
 *    Once more with the pub/sub notification lost, to time the polling fallback.
 * 2. Reads: signed reader requests per route, sequential, through signature
 *    verification, the handler and Redis or PostgreSQL.
 * 3. History tiers (first, in its own database state): a month of 1-minute bars
 *    from the rollup through the handler, against a day of buckets from raw rows
 *    the old way (support/history-tiers.ts). BENCH_API_ONLY=history runs only this.
 */
const SIM_SYMBOLS = 300;
const SIM_RATE = 3000;
const CONFIGURED = 200;
const PROPAGATIONS = Number(process.env.BENCH_API_PROPAGATIONS ?? 30);
/** PUTs sent right after the previous DELETE applied, to show the connection's request pacing. */
const BACK_TO_BACK = 10;
/**
 * Pause after each DELETE of the main series: a connection sends at most 4 requests a
 * second, burst 1 (Binance allows 5 incoming messages a second per connection), so the
 * DELETE's UNSUBSCRIBE has left and the token bucket is full again when the next PUT comes.
 */
const IDLE_GAP_MS = 600;
const FALLBACK_ATTEMPTS = 3;
/** Added symbols are taken from this activity rank on (0 = the busiest symbol). */
const ADD_FROM_RANK = 20;
const READS = Number(process.env.BENCH_API_READS ?? 500);
const READ_WARMUP = 50;
const POLL_MS = 2;
const STEP_TIMEOUT_MS = 15_000;
const HISTORY_SECONDS = 86_400;
const CONFIG_POLL_INTERVAL_MS = Number(process.env.BENCH_API_CONFIG_POLL_INTERVAL_MS ?? 1000);
const REGION = 'us-east-1';
const REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
  url.pathname = `/${process.env.BENCH_API_REDIS_DB ?? 13}`;
  return url.toString();
})();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (ms: number, digits = 1): number => Number(ms.toFixed(digits));

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summarize(metrics: Record<string, number | string>, prefix: string, samples: number[], quantiles: Array<[string, number]>): void {
  const sorted = [...samples].sort((a, b) => a - b);
  for (const [label, q] of quantiles) metrics[`${prefix}_${label}_ms`] = round(label === 'max' ? sorted[sorted.length - 1]! : percentile(sorted, q), 2);
}

/**
 * Polls every probe every POLL_MS until each has been true once; returns, per
 * probe, the ms from `start` to the first poll that saw it true.
 */
async function track(start: number, probes: Record<string, () => boolean | Promise<boolean>>, what: string, failed: () => unknown = () => undefined): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  const names = Object.keys(probes);
  for (;;) {
    const failure = failed();
    if (failure !== undefined) throw failure;
    for (const name of names) {
      if (seen[name] !== undefined) continue;
      if (await probes[name]!()) seen[name] = performance.now() - start;
    }
    if (names.every((name) => seen[name] !== undefined)) return seen;
    if (performance.now() - start > STEP_TIMEOUT_MS) throw new Error(`${what}: timed out after ${STEP_TIMEOUT_MS} ms waiting for ${names.filter((n) => seen[n] === undefined).join(', ')}`);
    await sleep(POLL_MS);
  }
}

interface ConnectionView {
  state: string;
  role: string;
  streams: number;
  pendingStreams: number;
}

function collectorVersion(collector: Collector): number | null {
  return (collector.status().config as { version: number | null }).version;
}

/**
 * Streams the exchange has acknowledged: the active connections' planned streams
 * when none of them waits for a SUBSCRIBE reply (pendingStreams counts the planned
 * streams not yet acknowledged on the current socket) and all are open.
 */
function acknowledgedStreams(collector: Collector): number | undefined {
  const active = (collector.status().connections as ConnectionView[]).filter((c) => c.role === 'active');
  if (active.some((c) => c.state !== 'open' || c.pendingStreams > 0)) return undefined;
  return active.reduce((sum, c) => sum + c.streams, 0);
}

/** The history-tiers section leaves its rows behind; the reads below fill their own. */
async function queryTruncate(url: string): Promise<void> {
  const cleaner = new Pool({ connectionString: url, max: 1 });
  try {
    await cleaner.query('TRUNCATE price_change_rates, price_change_rates_1m');
  } finally {
    await cleaner.end();
  }
}

export default async function runApiBench(): Promise<BenchResult> {
  const metrics: Record<string, number | string> = {};
  const notes: string[] = [];
  const silent = createLogger({ serviceName: 'api-bench', logLevel: 'SILENT' });
  const started = performance.now();
  let db: TestDatabase | undefined;
  let pool: Pool | undefined;
  let redis: Redis | undefined;
  let sim: SimulatorHandle | undefined;
  let collector: Collector | undefined;
  let api: RunningLocalApi | undefined;
  try {
    db = await createTestDatabase('mdc_bench_api');
    await runMigrations({ databaseUrl: db.url, logger: silent });
    const tiers = await measureHistoryTiers(db.url, silent);
    Object.assign(metrics, tiers.metrics);
    notes.push(...tiers.notes);
    if (process.env.BENCH_API_ONLY === 'history') return { name: 'api', metrics, notes };
    await queryTruncate(db.url);
    pool = new Pool({ connectionString: db.url, max: 2 });
    const store = new ConfigStore(pool);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.flushdb();
    const r = redis;

    sim = await startSimulator({ port: 0, symbols: SIM_SYMBOLS, rate: SIM_RATE, seed: 7, logLevel: 'ERROR' });
    const symbols = sim.market.symbols;
    // Which symbols to configure and which to add. Simulated activity is Zipf-like by rank with
    // dormant symbols, so the tail trades about once a second: added symbols come from just below
    // the busiest (ADD_FROM_RANK on by activity), so a live trade follows their subscription soon;
    // the config holds the 200 busiest of the others.
    const tradeCounts = new Map(symbols.map((symbol) => [symbol, sim!.market.aggTrades(symbol).length]));
    const allTrades = [...tradeCounts.values()].reduce((sum, n) => sum + n, 0);
    const tradesPerSecond = (symbol: string) => (tradeCounts.get(symbol)! / allTrades) * SIM_RATE;
    const byActivity = [...symbols].sort((a, b) => tradeCounts.get(b)! - tradeCounts.get(a)!);
    const needed = 1 + PROPAGATIONS + BACK_TO_BACK + FALLBACK_ATTEMPTS;
    const candidates = byActivity.slice(ADD_FROM_RANK, ADD_FROM_RANK + needed);
    const configured = byActivity.filter((symbol) => !candidates.includes(symbol)).slice(0, CONFIGURED);
    if (candidates.length < needed || configured.length < CONFIGURED) throw new Error(`the simulator lists too few symbols (${symbols.length}) for ${CONFIGURED} configured and ${needed} added`);
    const candidateRates = candidates.map(tradesPerSecond).sort((a, b) => a - b);
    metrics.added_symbols_trades_per_second_min = round(candidateRates[0]!, 2);
    metrics.added_symbols_trades_per_second_p50 = round(percentile(candidateRates, 0.5), 2);
    const collectedShare = configured.reduce((sum, symbol) => sum + tradesPerSecond(symbol), 0) / SIM_RATE;

    // What npm start does before the collector starts: seed the config (its first version) and publish it.
    const seeded = await store.seedIfUnconfigured('binance', configured, 'bench');
    if (!seeded || !(await new SnapshotPublisher(r).publish(seeded))) throw new Error('seeding the config failed');

    collector = new Collector({
      config: loadCollectorConfig({
        BINANCE_WS_URL: sim.wsUrl,
        BINANCE_REST_URL: sim.restUrl,
        REDIS_URL,
        HTTP_PORT: '0',
        SYMBOLS: 'ALL',
        LOG_LEVEL: 'ERROR',
        COLLECTOR_ID: 'bench-api',
        CONFIG_POLL_INTERVAL_MS: String(CONFIG_POLL_INTERVAL_MS),
      }),
    });
    const c = collector;
    await c.start();
    api = await startLocalApi({
      port: 0,
      databaseUrl: db.url,
      redisUrl: REDIS_URL,
      region: REGION,
      keys: resolveLocalKeys({}),
      logger: createLogger({ serviceName: 'api-bench', logLevel: 'ERROR' }),
      reconcileIntervalMs: 0,
    });
    const base = api.url;
    const admin = { credentials: { accessKeyId: api.keys.admin.accessKeyId, secretAccessKey: api.keys.admin.secretAccessKey } as SigningCredentials, region: REGION };
    const reader = { credentials: { accessKeyId: api.keys.reader.accessKeyId, secretAccessKey: api.keys.reader.secretAccessKey } as SigningCredentials, region: REGION };

    // Settled: every configured stream acknowledged, every symbol in Redis, warm start done.
    const settleStart = performance.now();
    await track(
      settleStart,
      {
        ready: () => c.readiness().ready && collectorVersion(c) === seeded.version && acknowledgedStreams(c) === CONFIGURED,
        warm: () => {
          const warm = c.status().warmStart as { queued: number; active: number };
          return warm.queued === 0 && warm.active === 0;
        },
        rates: async () => (await r.exists(...configured.map((symbol) => `rates:binance:${symbol}`))) === CONFIGURED,
      },
      'collector start',
    );
    metrics.collector_settle_ms = Math.round(performance.now() - settleStart);

    // ---------------------------------------------------------------------------
    // 1. Propagation through pub/sub.
    const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    let expectedStreams = CONFIGURED;

    const put = async (symbol: string) => {
      const before = collectorVersion(c) ?? 0;
      const key = `rates:binance:${symbol}`;
      if ((await r.exists(key)) === 1) throw new Error(`${key} exists before the PUT`);
      expectedStreams += 1;
      const streams = expectedStreams;
      const wallStart = Date.now();
      const t0 = performance.now();
      let httpMs = Number.NaN;
      let headerVersion = Number.NaN;
      let failure: unknown;
      const request = signedFetch(`${base}/v1/symbols/binance/${symbol}`, { method: 'PUT', ...json({ enabled: true }) }, admin)
        .then(async (response) => {
          const text = await response.text();
          httpMs = performance.now() - t0;
          if (response.status !== 201) throw new Error(`PUT ${symbol}: HTTP ${response.status} ${text.slice(0, 200)}`);
          if (response.headers.get('x-config-published') !== 'true') throw new Error(`PUT ${symbol}: not published`);
          headerVersion = Number(response.headers.get('x-config-version'));
        })
        .catch((error: unknown) => {
          failure = error;
        });
      const seen = await track(
        t0,
        {
          applied: () => (collectorVersion(c) ?? 0) > before,
          subscribed: () => acknowledgedStreams(c) === streams,
          redis: async () => (await r.exists(key)) === 1,
          // A state of a trade made after the PUT was sent: it came through the new subscription.
          liveTrade: async () => Number(await r.hget(key, 'tradeTs')) >= wallStart,
        },
        `PUT ${symbol}`,
        () => failure,
      );
      await request;
      if (failure !== undefined) throw failure;
      if (collectorVersion(c) !== headerVersion) throw new Error(`PUT ${symbol}: collector at version ${collectorVersion(c)}, the response said ${headerVersion}`);
      return { http: httpMs, applied: seen.applied!, subscribed: seen.subscribed!, redis: seen.redis!, liveTrade: seen.liveTrade! };
    };

    const remove = async (symbol: string) => {
      const before = collectorVersion(c) ?? 0;
      const key = `rates:binance:${symbol}`;
      expectedStreams -= 1;
      const streams = expectedStreams;
      const t0 = performance.now();
      let httpMs = Number.NaN;
      let failure: unknown;
      const request = signedFetch(`${base}/v1/symbols/binance/${symbol}`, { method: 'DELETE' }, admin)
        .then(async (response) => {
          const text = await response.text();
          httpMs = performance.now() - t0;
          if (response.status !== 200) throw new Error(`DELETE ${symbol}: HTTP ${response.status} ${text.slice(0, 200)}`);
        })
        .catch((error: unknown) => {
          failure = error;
        });
      const seen = await track(
        t0,
        {
          applied: () => (collectorVersion(c) ?? 0) > before,
          // Planned streams drop at once; the UNSUBSCRIBE reply is not visible in the status.
          planned: () => acknowledgedStreams(c) === streams,
          redisGone: async () => (await r.exists(key)) === 0,
        },
        `DELETE ${symbol}`,
        () => failure,
      );
      await request;
      if (failure !== undefined) throw failure;
      return { http: httpMs, applied: seen.applied!, redisGone: seen.redisGone! };
    };

    // The first symbol beyond 200 streams opens a second connection (MAX_STREAMS_PER_CONNECTION 200):
    // timed on its own. Afterwards each PUT adds to that connection and the previous symbol is deleted,
    // so the set stays at 201-202 symbols on two connections.
    const first = await put(candidates[0]!);
    metrics.first_put_new_connection_http_ms = round(first.http);
    metrics.first_put_new_connection_applied_ms = round(first.applied);
    metrics.first_put_new_connection_subscribed_ms = round(first.subscribed);
    metrics.first_put_new_connection_redis_ms = round(first.redis);
    await sleep(IDLE_GAP_MS);

    const puts: Array<Awaited<ReturnType<typeof put>>> = [];
    const deletes: Array<Awaited<ReturnType<typeof remove>>> = [];
    let previous = candidates[0]!;
    let next = 1;
    for (let i = 0; i < PROPAGATIONS; i += 1) {
      const symbol = candidates[next++]!;
      puts.push(await put(symbol));
      deletes.push(await remove(previous));
      previous = symbol;
      await sleep(IDLE_GAP_MS);
    }
    const backToBack: Array<Awaited<ReturnType<typeof put>>> = [];
    for (let i = 0; i < BACK_TO_BACK; i += 1) {
      const symbol = candidates[next++]!;
      backToBack.push(await put(symbol));
      await remove(previous);
      previous = symbol;
    }
    await sleep(IDLE_GAP_MS);
    const q3: Array<[string, number]> = [
      ['p50', 0.5],
      ['p95', 0.95],
      ['max', 1],
    ];
    metrics.propagations = puts.length;
    summarize(metrics, 'put_http', puts.map((p) => p.http), q3);
    summarize(metrics, 'put_applied', puts.map((p) => p.applied), q3);
    summarize(metrics, 'put_subscribed', puts.map((p) => p.subscribed), q3);
    summarize(metrics, 'put_redis', puts.map((p) => p.redis), q3);
    summarize(metrics, 'put_live_trade', puts.map((p) => p.liveTrade), q3);
    metrics.put_applied_before_response = puts.filter((p) => p.applied < p.http).length;
    metrics.put_redis_before_subscribed = puts.filter((p) => p.redis < p.subscribed).length;
    metrics.put_applied_over_2s = puts.filter((p) => p.applied > 2000).length;
    summarize(metrics, 'delete_http', deletes.map((d) => d.http), q3);
    summarize(metrics, 'delete_applied', deletes.map((d) => d.applied), q3);
    summarize(metrics, 'delete_redis_gone', deletes.map((d) => d.redisGone), q3);
    summarize(metrics, 'back_to_back_put_applied', backToBack.map((p) => p.applied), [['p50', 0.5], ['max', 1]]);
    summarize(metrics, 'back_to_back_put_subscribed', backToBack.map((p) => p.subscribed), [['p50', 0.5], ['max', 1]]);
    const sample = (p: Awaited<ReturnType<typeof put>>) => [p.http, p.applied, p.subscribed, p.redis, p.liveTrade].map((v) => Math.round(v)).join('/');
    notes.push(
      `propagation samples in order (ms, http/applied/subscribed/redis/liveTrade): ${puts.map(sample).join(' ')}; back to back: ${backToBack.map(sample).join(' ')}`,
    );

    // ---------------------------------------------------------------------------
    // 1b. Fallback: the notification is lost. The change is committed in PostgreSQL and its
    // snapshot written to config:collector without PUBLISH; the collector finds it on its poll.
    // Other software on this Redis server may publish on the same channel (channels are shared by
    // all db indexes); a measurement during which a foreign notification arrived is repeated.
    const watcher = new Redis(REDIS_URL);
    let foreign = 0;
    watcher.on('message', () => (foreign += 1));
    await watcher.subscribe(CONFIG_UPDATES_CHANNEL);
    try {
      let attempt = 0;
      for (;;) {
        attempt += 1;
        const symbol = candidates[next++]!;
        const written = await store.putSymbol('binance', symbol, { enabled: true }, 'bench-fallback', {});
        if (!written.snapshot) throw new Error('fallback write committed nothing');
        foreign = 0;
        expectedStreams += 1;
        const streams = expectedStreams;
        const target = written.snapshot.version;
        const t0 = performance.now();
        await r.set(CONFIG_SNAPSHOT_KEY, JSON.stringify(written.snapshot));
        const seen = await track(t0, { applied: () => (collectorVersion(c) ?? 0) >= target, subscribed: () => acknowledgedStreams(c) === streams }, 'fallback poll');
        if (foreign === 0 || attempt === FALLBACK_ATTEMPTS) {
          metrics.fallback_poll_interval_ms = CONFIG_POLL_INTERVAL_MS;
          metrics.fallback_applied_ms = round(seen.applied!);
          metrics.fallback_subscribed_ms = round(seen.subscribed!);
          metrics.fallback_attempts = attempt;
          metrics.fallback_foreign_notifications = foreign;
          break;
        }
      }
    } finally {
      watcher.disconnect();
    }

    // ---------------------------------------------------------------------------
    // 2. Reads. History: 24 h of 1-second rows of one symbol, ending now.
    const historySymbol = configured[0]!;
    const historyEnd = Math.floor(Date.now() / 1000) * 1000;
    const historyStart = historyEnd - HISTORY_SECONDS * 1000;
    const fillStart = performance.now();
    await pool.query(
      `INSERT INTO price_change_rates (time, exchange, symbol, price, change_1m, change_5m, change_15m, flags, evaluated_at)
       SELECT t, 'binance', $1, round((100 + 5 * sin(extract(epoch FROM t) / 900) + (i % 17) / 100.0)::numeric, 8),
              sin(i / 60.0), sin(i / 300.0), sin(i / 900.0),
              CASE WHEN i % 3600 = 0 THEN ARRAY['gap'] ELSE '{}'::text[] END, t
         FROM generate_series(0, $3 - 1) AS i, LATERAL (SELECT $2::timestamptz + i * interval '1 second' AS t) AS g`,
      [historySymbol, new Date(historyStart), HISTORY_SECONDS],
    );
    await pool.query('ANALYZE price_change_rates');
    metrics.history_rows = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM price_change_rates WHERE symbol = $1', [historySymbol])).rows[0]!.n);
    metrics.history_fill_ms = Math.round(performance.now() - fillStart);
    const partitioning = (await pool.query<{ strategy: string }>("SELECT strategy FROM schema_partitioning WHERE table_name = 'price_change_rates'")).rows[0]?.strategy ?? 'unknown';

    const rateSymbol = configured[1]!;
    const historyPath = `/v1/history/binance/${historySymbol}?from=${historyStart}&to=${historyEnd}&limit=1000`;
    const routes: Array<{ name: string; path: string; check: (body: unknown) => string | undefined }> = [
      { name: 'rates_all', path: '/v1/rates', check: (b) => ((b as { count: number }).count >= CONFIGURED ? undefined : `count ${(b as { count: number }).count}`) },
      { name: 'rates_top', path: '/v1/rates?sort=change_5m&order=desc&limit=20', check: (b) => ((b as { count: number }).count === 20 ? undefined : `count ${(b as { count: number }).count}`) },
      { name: 'rate_one', path: `/v1/rates/binance/${rateSymbol}`, check: (b) => ((b as { symbol: string }).symbol === rateSymbol ? undefined : 'wrong symbol') },
      { name: 'symbols', path: '/v1/symbols', check: (b) => ((b as { symbols: unknown[] }).symbols.length >= CONFIGURED ? undefined : 'too few symbols') },
      { name: 'history_raw', path: historyPath, check: (b) => ((b as { rows: unknown[] }).rows.length === 1000 ? undefined : `rows ${(b as { rows: unknown[] }).rows.length}`) },
      { name: 'history_1m', path: `${historyPath}&interval=1m`, check: (b) => ((b as { rows: unknown[] }).rows.length === 1000 ? undefined : `rows ${(b as { rows: unknown[] }).rows.length}`) },
    ];
    const sizes: string[] = [];
    for (const route of routes) {
      const get = async (): Promise<number> => {
        const t0 = performance.now();
        const response = await signedFetch(`${base}${route.path}`, {}, reader);
        const text = await response.text();
        const elapsed = performance.now() - t0;
        if (response.status !== 200) throw new Error(`GET ${route.path}: HTTP ${response.status} ${text.slice(0, 200)}`);
        return elapsed;
      };
      const probe = await signedFetch(`${base}${route.path}`, {}, reader);
      const probeText = await probe.text();
      const problem = probe.status === 200 ? route.check(JSON.parse(probeText)) : `HTTP ${probe.status} ${probeText.slice(0, 200)}`;
      if (problem) throw new Error(`GET ${route.path}: ${problem}`);
      sizes.push(`${route.name} ${(Buffer.byteLength(probeText) / 1024).toFixed(1)} KiB`);
      for (let i = 0; i < READ_WARMUP; i += 1) await get();
      const samples: number[] = [];
      const routeStart = performance.now();
      for (let i = 0; i < READS; i += 1) samples.push(await get());
      const seconds = (performance.now() - routeStart) / 1000;
      summarize(metrics, `read_${route.name}`, samples, [
        ['p50', 0.5],
        ['p99', 0.99],
      ]);
      metrics[`read_${route.name}_rps`] = Math.round(READS / seconds);
    }

    // What signing costs the client (pure-JS SHA-256 of the SDK signer), part of every read above.
    const signSamples: number[] = [];
    for (let i = 0; i < READS; i += 1) {
      const t0 = performance.now();
      await signRequest({ method: 'GET', url: `${base}/v1/rates`, ...reader });
      signSamples.push(performance.now() - t0);
    }
    summarize(metrics, 'client_sign', signSamples, [['p50', 0.5]]);
    const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    metrics.process_rss_mib = rssMiB;
    metrics.total_seconds = Math.round((performance.now() - started) / 1000);

    notes.push(
      `one Node process runs the simulator (${SIM_SYMBOLS} symbols, ${SIM_RATE} aggregate trades/s, 10 ms tick), a collector (SYMBOLS=ALL, no SQS, warm start on, MAX_STREAMS_PER_CONNECTION 200, CONFIG_POLL_INTERVAL_MS ${CONFIG_POLL_INTERVAL_MS}), the local API gateway with the api handler (reconciliation off) and the benchmark client; Redis db ${new URL(REDIS_URL).pathname.slice(1)} (flushed before and after) and a PostgreSQL database of its own (dropped afterwards)`,
      `config seeded with ${CONFIGURED} of the simulator's symbols (seedIfUnconfigured + SnapshotPublisher, version ${seeded.version}); measured once the collector was ready, every stream acknowledged, warm start done and every symbol in Redis (collector_settle_ms after start)`,
      'propagation: a SigV4-signed admin PUT /v1/symbols/binance/{SYM} {"enabled":true} of a symbol never collected before; clocks start before signing. http = response body received; applied = collector.status().config.version moved past the previous version (checked to equal X-Config-Version afterwards); subscribed = the active connections carry the expected stream count with no stream awaiting its SUBSCRIBE reply (pendingStreams 0, all open); redis = rates:binance:{SYM} exists; live_trade = that hash holds the state of a trade made after the PUT was sent (tradeTs >= the wall clock at sending), which also waits for the symbol\'s next trade. All polled every 2 ms in the same process (resolution ~2-3 ms)',
      `symbols by simulated activity (Zipf-like by rank, some dormant; estimated from the simulator's trade history): the ${needed} added ones are ranks ${ADD_FROM_RANK + 1}-${ADD_FROM_RANK + needed} at ${metrics.added_symbols_trades_per_second_min}-${round(candidateRates[candidateRates.length - 1]!, 1)} trades/s each; the ${CONFIGURED} configured are the busiest of the rest and take about ${Math.round(collectedShare * 100)} % of the ${SIM_RATE} trades/s`,
      `the first PUT takes the collector from 200 to 201 streams and so opens a second exchange connection (first_put_new_connection_*); each of the ${PROPAGATIONS} measured PUTs adds a symbol to that connection, then the symbol added before is DELETEd (delete_*: applied, and its rates hash removed), so the set stays at 201-202, then ${IDLE_GAP_MS} ms pass before the next PUT`,
      `back_to_back: ${BACK_TO_BACK} more PUTs each sent as soon as the previous DELETE was applied. A connection paces its requests at 4 a second, burst 1 (Binance counts 5 incoming messages a second per connection), so the SUBSCRIBE waits for the token the DELETE's UNSUBSCRIBE has just used: 250 ms, up to 500 ms when that UNSUBSCRIBE itself waited`,
      'put_applied_before_response counts PUTs the collector applied before the HTTP response arrived (the handler publishes before it answers); put_redis_before_subscribed counts symbols whose hash the warm start (REST klines, WARM_START on by default) wrote before the stream was acknowledged',
      `fallback: a write committed through ConfigStore and its snapshot SET on config:collector without PUBLISH, timed until the collector applied it from its poll (every ${CONFIG_POLL_INTERVAL_MS} ms, so 0 to ${CONFIG_POLL_INTERVAL_MS} ms depending on the poll's phase; one sample). A subscriber counted notifications other software published on the shared channel meanwhile (channels are shared by all db indexes of a Redis server; fallback_foreign_notifications; repeated up to ${FALLBACK_ATTEMPTS} times while non-zero)`,
      `reads: signed reader GETs, ${READ_WARMUP} warm-up then ${READS} sequential per route, latency from signing to the body received (client_sign_p50_ms of it is client-side signing); rps = ${READS} / elapsed, one request at a time. Response sizes: ${sizes.join(', ')}`,
      `history: ${HISTORY_SECONDS} 1-second rows of ${historySymbol} (generate_series, ${partitioning} partitioning, ANALYZEd); history_raw = from..to over 24 h with limit=1000 (the first 1000 rows); history_1m = the same with interval=1m (1000 buckets of 60 rows: 60,000 rows aggregated per request)`,
      'the simulator and the collector keep running the feed throughout, on the same event loop as the gateway, the handler and the client',
    );
    return { name: 'api', metrics, notes };
  } finally {
    await api?.close().catch((error: unknown) => console.error('closing the API failed', error));
    await collector?.stop().catch((error: unknown) => console.error('stopping the collector failed', error));
    await sim?.stop().catch((error: unknown) => console.error('stopping the simulator failed', error));
    await pool?.end().catch(() => undefined);
    if (redis) {
      await redis.flushdb().catch(() => undefined);
      redis.disconnect();
    }
    await db?.drop().catch((error: unknown) => console.error(`dropping ${db?.name} failed`, error));
  }
}
