/**
 * The read side of test/bench/read-load.bench.ts, in a process of its own (as the
 * API Lambda runs on compute of its own): the local API gateway with the api
 * handler, driven open-loop at READ_LOAD_RPS with the most expensive valid
 * requests, at most READ_LOAD_CONCURRENCY in flight (the function's reserved
 * concurrency; a request arriving when all are busy is counted as throttled, as
 * Lambda would refuse it). Prints one JSON line of results on stdout.
 *
 * Environment: DATABASE_URL, REDIS_URL, READ_LOAD_SYMBOL, READ_LOAD_FROM_MS /
 * READ_LOAD_TO_MS (the rollup month), READ_LOAD_RAW_FROM_MS (the raw day),
 * READ_LOAD_SECONDS, READ_LOAD_RPS, READ_LOAD_CONCURRENCY.
 */
import { resolveLocalKeys, signedFetch, startLocalApi, type SigningCredentials } from '../../../localstack/api';
import { createLogger } from '../../../services/shared/logger';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};

async function main(): Promise<void> {
  const seconds = Number(env('READ_LOAD_SECONDS'));
  const rps = Number(env('READ_LOAD_RPS'));
  const concurrency = Number(env('READ_LOAD_CONCURRENCY'));
  const symbol = env('READ_LOAD_SYMBOL');
  const from = Number(env('READ_LOAD_FROM_MS'));
  const to = Number(env('READ_LOAD_TO_MS'));
  const rawFrom = Number(env('READ_LOAD_RAW_FROM_MS'));
  const region = 'us-east-1';
  const api = await startLocalApi({
    port: 0,
    databaseUrl: env('DATABASE_URL'),
    redisUrl: env('REDIS_URL'),
    region,
    keys: resolveLocalKeys({}),
    logger: createLogger({ serviceName: 'read-load', logLevel: 'SILENT' }),
    reconcileIntervalMs: 0,
  });
  const reader = { credentials: { accessKeyId: api.keys.reader.accessKeyId, secretAccessKey: api.keys.reader.secretAccessKey } as SigningCredentials, region };
  // The most expensive requests the bounds allow: 31 days of minutes aggregated, 5,000 bars, 5,000 raw rows,
  // 5,000 one-second buckets of raw rows, every live rate.
  const paths = [
    `/v1/history/binance/${symbol}?from=${from}&to=${to}&interval=1h&limit=744`,
    `/v1/history/binance/${symbol}?from=${from}&to=${to}&interval=1m&limit=5000`,
    `/v1/history/binance/${symbol}?from=${rawFrom}&to=${to}&limit=5000`,
    `/v1/history/binance/${symbol}?from=${rawFrom}&to=${to}&interval=1s&limit=5000`,
    '/v1/rates',
  ];
  const latencies: number[] = [];
  const byRoute: number[][] = paths.map(() => []);
  const statuses: Record<string, number> = {};
  let throttled = 0;
  let inFlight = 0;
  let sent = 0;
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  const total = Math.round(seconds * rps);
  for (let i = 0; i < total; i += 1) {
    // Open loop: request i leaves at i / rps whatever the earlier ones do.
    const due = started + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight >= concurrency) {
      throttled += 1;
      continue;
    }
    inFlight += 1;
    sent += 1;
    const route = i % paths.length;
    const path = paths[route]!;
    const t0 = performance.now();
    pending.push(
      signedFetch(`${api.url}${path}`, {}, reader)
        .then(async (response) => {
          await response.arrayBuffer();
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          latencies.push(performance.now() - t0);
          byRoute[route]!.push(performance.now() - t0);
        })
        .catch(() => {
          statuses.error = (statuses.error ?? 0) + 1;
        })
        .finally(() => {
          inFlight -= 1;
        }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  await api.close();
  const pick = (samples: number[], q: number) => {
    const sorted = [...samples].sort((a, b) => a - b);
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
  };
  const routes = ['history_1h_744', 'history_1m_5000', 'history_raw_5000', 'history_1s_5000', 'rates_all'];
  const routeP50 = Object.fromEntries(routes.map((name, i) => [name, pick(byRoute[i]!, 0.5)]));
  process.stdout.write(`${JSON.stringify({ sent, throttled, statuses, rps: Math.round((sent / elapsed) * 10) / 10, p50: pick(latencies, 0.5), p99: pick(latencies, 0.99), routeP50 })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
