/**
 * `npm start`: the whole pipeline on this machine. Ensures Redis, PostgreSQL and
 * the SQS endpoint, starts per exchange (EXCHANGES, all three by default) a
 * simulator (unless FEED=live) and a collector, then the rest of the pipeline, prints what runs where, and on Ctrl-C stops everything
 * it started against the data flow (localstack/env/shutdown.ts), each part
 * after the previous one exited, leaving services it found running untouched.
 */
import { join } from 'node:path';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { readAppliedCommits, reconcileSnapshot, SnapshotPublisher } from '../lambdas/api';
import { ConfigStore } from '../lambdas/api/store';
import { createSqsClient, ensureQueues } from '../lambdas/ingest/queues';
import { receivesWithin } from '../lambdas/ingest/visibility-policy';
import { runMigrations } from '../services/shared/db';
import { errorMessage } from '../services/shared/errors';
import { createLogger } from '../services/shared/logger';
import { createExchangeAdapter } from '../services/collector/exchange';
import { describeLocalApi, loadLocalApiConfig, startLocalApi, type RunningLocalApi } from './api';
import { planLocalExchanges, type LocalExchange } from './exchanges';
import {
  ensureLocalServices,
  httpOk,
  localDefaults,
  localRoleLogins,
  ManagedProcess,
  REPO_ROOT,
  roleDatabaseUrl,
  STATE_DIR,
  stopInOrder,
  waitForQueueDrained,
  type LocalServices,
  type PipelinePart,
  type ShutdownStep,
} from './env';

const SEEDED_BY = 'npm start';

/**
 * Gives the config API the symbol set each local collector runs, for every
 * exchange nothing was configured for yet: the API then shows from the start
 * what is collected, and a first PUT adds to it instead of replacing it
 * (docs/api.md). Then makes sure Redis holds the committed snapshot (a config
 * from an earlier run, with a Redis that started empty), so the collectors start from it.
 */
async function prepareConfig(databaseUrl: string, redisUrl: string, seeds: Array<{ exchange: string; symbols: () => Promise<string[]> }>): Promise<string> {
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const store = new ConfigStore(pool);
    const publisher = new SnapshotPublisher(redis);
    const listed = await Promise.all(seeds.map(async (seed) => ({ exchange: seed.exchange, symbols: await seed.symbols() })));
    const { seeded, snapshot } = await store.seedExchangesIfUnconfigured(listed, SEEDED_BY);
    if (snapshot) await publisher.publish(snapshot);
    const result = await reconcileSnapshot({ store, publisher, appliedCommits: () => readAppliedCommits(redis) });
    const seededText = seeded.map((s) => `${s.exchange} ${s.symbols}`).join(', ');
    return seeded.length > 0 ? `seeded ${seededText} symbols (version ${result.databaseVersion})` : `version ${result.databaseVersion}${result.republished ? ', republished to Redis' : ''}`;
  } finally {
    redis.disconnect();
    await pool.end();
  }
}

/** The pairs the exchange (here its simulator) trades, listed through the collector's own adapter. */
async function tradableSymbols(exchange: LocalExchange): Promise<string[]> {
  const restUrl = Object.entries(exchange.endpoints).find(([name]) => name.endsWith('_REST_URL'))?.[1];
  const adapter = createExchangeAdapter(exchange.exchange, { restUrl });
  try {
    return (await adapter.rest.listSymbols()).filter((s) => s.tradable).map((s) => s.symbol);
  } finally {
    adapter.close();
  }
}

function tsxProcess(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv = {}): ManagedProcess {
  return new ManagedProcess({
    name,
    command: process.execPath,
    // tsx's loader in the process itself, not the tsx CLI: the CLI relays a stop
    // signal to its child and SIGKILLs it when the child does not confirm within
    // 30 ms (a loaded machine), which would cut the graceful drain short.
    args: ['--import', 'tsx', join(REPO_ROOT, entry), ...args],
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    prefixOutput: true,
  });
}

/** Ctrl-C, `kill`, and a closed terminal: the children run in their own process groups, so nothing else stops them. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** How long the ingest runner gets to store what the stopping collector sent last. */
const DRAIN_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  // Every part registers how it stops as soon as it runs; stopAll stops them in
  // SHUTDOWN_ORDER (collector first, services last), whenever it is called.
  const steps: ShutdownStep[] = [];
  let stopping: Promise<never> | undefined;
  const stopAll = (exitCode: number): Promise<never> =>
    (stopping ??= (async () => {
      console.log('\n[start] stopping...');
      // Rounds: a part still starting when the stop began registers late and is stopped in the next one.
      while (steps.length > 0) {
        await stopInOrder(steps.splice(0), {
          stopping: (step) => console.log(`[start] stopping ${step.name}`),
          failed: (step, error) => console.error(`[start] stopping ${step.name} failed:`, error),
        });
      }
      process.exit(exitCode);
    })());
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stopAll(0));
  const processes: ManagedProcess[] = [];
  const startProcess: StartProcess = (part, name, child, beforeStop) => {
    processes.push(child);
    steps.push({
      part,
      name,
      stop: async () => {
        if (child.running) await beforeStop?.();
        await child.stop('SIGTERM', 10_000);
      },
    });
    return child;
  };

  try {
    await startPipeline(steps, startProcess);
  } catch (error) {
    // A part that failed to start must not leave the others running.
    console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
    return stopAll(1);
  }

  // A pipeline part that dies takes the whole local stack down with a clear exit
  // code instead of leaving a half-working pipeline behind.
  for (const child of processes) {
    void child.waitForExit().then((code) => {
      if (!stopping) {
        console.error(`[start] ${child.name} exited with code ${code}; stopping the pipeline`);
        void stopAll(1);
      }
    });
  }
}

/** Runs `child` as pipeline part `part`; on stop, `beforeStop` runs first while it still works. */
type StartProcess = (part: PipelinePart, name: string, child: ManagedProcess, beforeStop?: () => Promise<void>) => ManagedProcess;

async function startPipeline(steps: ShutdownStep[], startProcess: StartProcess): Promise<void> {
  // Inside the pipeline's error handling: a bad EXCHANGES, FEED or port stops with its message, nothing started.
  const plan = planLocalExchanges(process.env);
  const services: LocalServices = await ensureLocalServices({ onStarted: (step) => steps.push(step) });

  // The AWS SDK wants credentials even for local emulators; fixed dummies keep them out of anyone's real profile.
  const awsEnv = {
    AWS_ENDPOINT_URL: localDefaults.sqsEndpoint,
    AWS_REGION: localDefaults.awsRegion,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
  // The ingest runner and the API connect as their own roles, as the functions do in AWS.
  const migration = await runMigrations({ databaseUrl: localDefaults.databaseUrl, roleLogins: localRoleLogins() });
  const queueName = process.env.SQS_QUEUE_NAME ?? 'market-data-history';
  // As in AWS (lib/constructs/history-queue.ts): enough receives for a database outage as long as the
  // queue's retention (SQS's default, 4 days) under the ingest visibility backoff, so only poison reaches the DLQ.
  const maxReceiveCount = receivesWithin(4 * 86_400) + 5;
  const queues = await ensureQueues({ endpoint: localDefaults.sqsEndpoint, region: localDefaults.awsRegion, queueName, dlqName: `${queueName}-dlq`, maxReceiveCount });

  const rows: Array<[string, string, string]> = [
    ['redis', services.redis.url, services.redis.origin],
    ['postgres', services.postgres.url, services.postgres.origin],
    ['sqs', services.sqs.url, services.sqs.origin],
    ['migrations', localDefaults.databaseUrl, `${migration.applied.length} applied, ${migration.skipped} already there`],
    ['queue', queues.queueUrl, `DLQ ${queues.dlqUrl} after 5 receives`],
  ];

  // Stopped after the collector, once the queue is empty (or DRAIN_TIMEOUT_MS passed): the collector's final batches still reach the database.
  const sqs = createSqsClient({ endpoint: localDefaults.sqsEndpoint, region: localDefaults.awsRegion });
  const drain = async () => {
    try {
      const drained = await waitForQueueDrained({ client: sqs, queueUrl: queues.queueUrl, timeoutMs: DRAIN_TIMEOUT_MS });
      if (!drained) console.error(`[start] the history queue still holds messages after ${DRAIN_TIMEOUT_MS / 1000} s; stopping the ingest runner anyway`);
    } catch (error) {
      console.error(`[start] reading the history queue's depth failed (${errorMessage(error)}); stopping the ingest runner anyway`);
    } finally {
      sqs.destroy();
    }
  };
  startProcess('ingest', 'ingest runner', tsxProcess('ingest', 'lambdas/ingest/local-runner.ts', ['--queue-url', queues.queueUrl], { ...awsEnv, DATABASE_URL: roleDatabaseUrl(localDefaults.databaseUrl, 'mdc_ingest'), LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN' }), drain);
  rows.push(['ingest', queues.queueUrl, 'started: SQS -> price_change_rates, collection_status (the Lambda handler, locally)']);

  const simulatorSymbols = process.env.SIM_SYMBOLS ?? '200';
  const simulatorRate = process.env.SIM_RATE ?? '1000';
  if (plan.feed === 'live') rows.push(['feed', plan.exchanges.map((e) => e.exchange).join(', '), 'live exchanges (FEED=live)']);
  // The simulators start together (each is ready in a second or two), then each collector after its own.
  await Promise.all(
    plan.exchanges.map(async (exchange) => {
      if (exchange.simulatorPort === undefined) return;
      const port = exchange.simulatorPort;
      const name = `simulator ${exchange.exchange}`;
      const simulator = startProcess('simulator', name, tsxProcess(`sim-${exchange.exchange}`, 'services/simulator/cli.ts', ['--exchange', exchange.exchange, '--port', String(port), '--symbols', simulatorSymbols, '--rate', simulatorRate]));
      await simulator.waitUntilReady(() => httpOk(`http://127.0.0.1:${port}${exchange.readyPath}`), 30_000, `the ${name} output above`);
      rows.push([`sim ${exchange.exchange}`, `ws://127.0.0.1:${port}  http://127.0.0.1:${port}`, `started (${simulatorSymbols} symbols, ${simulatorRate} trades/s; faults: POST /_sim/*)`]);
    }),
  );

  const configOutcome = await prepareConfig(
    localDefaults.databaseUrl,
    localDefaults.redisUrl,
    plan.exchanges.map((exchange) => ({
      exchange: exchange.exchange,
      // SYMBOLS=ALL on the live feed: the collector lists the exchange itself; nothing is seeded.
      symbols: async () => (exchange.symbols.toUpperCase() === 'ALL' ? (exchange.simulatorPort !== undefined ? tradableSymbols(exchange) : []) : exchange.symbols.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean)),
    })),
  );
  rows.push(['config', `${localDefaults.redisUrl} config:collector`, configOutcome]);

  await Promise.all(
    plan.exchanges.map(async (exchange) => {
      const name = `collector ${exchange.exchange}`;
      const collector = startProcess('collector', name, tsxProcess(exchange.exchange === 'binance' ? 'collector' : `collector-${exchange.exchange}`, 'services/collector/main.ts', [], {
        EXCHANGE: exchange.exchange,
        ...exchange.endpoints,
        ...awsEnv,
        SQS_QUEUE_URL: queues.queueUrl,
        SPILL_DIR: join(STATE_DIR, 'spill'),
        REDIS_URL: localDefaults.redisUrl,
        HTTP_PORT: String(exchange.collectorPort),
        COLLECTOR_ID: exchange.collectorId,
        SYMBOLS: exchange.symbols,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
      }));
      await collector.waitUntilReady(() => httpOk(`http://127.0.0.1:${exchange.collectorPort}/ready`), 90_000, `the ${name} output above`);
      rows.push([`col ${exchange.exchange}`, `http://127.0.0.1:${exchange.collectorPort}`, 'started: /health /ready /status /metrics']);
    }),
  );

  // The stream gateway: the dashboard page and WebSocket/SSE, reading Redis only.
  // No token by default (GATEWAY_AUTH=token asks for one); the config API signs with the same key either way.
  process.env.GATEWAY_TOKEN_SECRET ??= localDefaults.gatewayTokenSecret;
  const gatewayAuth = process.env.GATEWAY_AUTH ?? 'none';
  const gateway = startProcess('gateway', 'stream gateway', tsxProcess('gateway', 'services/gateway/main.ts', [], {
    REDIS_URL: localDefaults.redisUrl,
    GATEWAY_PORT: localDefaults.gatewayPort,
    GATEWAY_AUTH: gatewayAuth,
    EXCHANGES: plan.exchanges.map((e) => e.exchange).join(','),
    GATEWAY_TOKEN_SECRET: process.env.GATEWAY_TOKEN_SECRET,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
  }));
  await gateway.waitUntilReady(() => httpOk(`http://127.0.0.1:${localDefaults.gatewayPort}/ready`), 60_000, 'the gateway output above');
  const pageUrl = `http://127.0.0.1:${localDefaults.gatewayPort}/`;
  rows.push(['gateway', pageUrl, `started: live dashboard page, WebSocket /v1/stream, SSE /v1/stream/sse (auth ${gatewayAuth})`]);

  // The config API's Lambda handler behind the local SigV4 gateway, in this process.
  const apiConfig = loadLocalApiConfig({ ...process.env, DATABASE_URL: roleDatabaseUrl(localDefaults.databaseUrl, 'mdc_api'), REDIS_URL: localDefaults.redisUrl, AWS_REGION: localDefaults.awsRegion });
  const api: RunningLocalApi = await startLocalApi({ ...apiConfig, logger: createLogger({ serviceName: 'api-local', logLevel: process.env.LOG_LEVEL ?? 'WARN' }) });
  steps.push({ part: 'api', name: 'config API', stop: () => api.close() });
  rows.push(['api', api.url, 'started: config API (SigV4, service execute-api); keys below']);

  console.log('\n[start] the local pipeline is up:');
  for (const [name, where, what] of rows) console.log(`  ${name.padEnd(10)} ${where.padEnd(48)} ${what}`);
  console.log(`\n  AWS_ENDPOINT_URL=${localDefaults.sqsEndpoint} AWS_REGION=${localDefaults.awsRegion}`);
  console.log(`  History: psql ${localDefaults.databaseUrl} -c "SELECT * FROM price_change_rates ORDER BY time DESC LIMIT 10"`);
  const first = plan.exchanges[0]?.exchange ?? 'binance';
  console.log(`  Latest:  redis-cli HGETALL rates:${first}:BTCUSDT   Top movers: redis-cli ZREVRANGE rates:${first}:rank:5m 0 9 WITHSCORES`);
  console.log(`\n  Dashboard: open ${pageUrl}${gatewayAuth === 'token' ? '?token=<token from POST /v1/stream-tokens>' : ''} in a browser`);
  console.log(`\n${describeLocalApi(api).join('\n')}`);
  console.log('  Ctrl-C stops everything this command started.\n');
}

main().catch((error: unknown) => {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
