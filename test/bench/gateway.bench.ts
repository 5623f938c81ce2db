import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { rankKey } from '../../services/shared/rates';
import {
  ClientFleet,
  judgeStep,
  loadGatewayBenchConfig,
  machineBusyPercent,
  machineCpuTimes,
  openFilesLimit,
  splitClients,
  sumReports,
  summarizeProfile,
  type ClientsConnected,
  type CpuProfile,
  type CpuTimes,
  type GatewayBenchConfig,
  type ProfileSummary,
} from './support/gateway-load';
import { repoRoot, sampleProcess, sleep, spawnTs, startSimulatorProcess, stopProcess } from './support/processes';
import { counterSum, counterWhere, histogramBuckets, histogramQuantile } from './support/prometheus';

/**
 * `npm run bench -- gateway`: one stream gateway process fanning out what one
 * collector writes for 2000 symbols at 20,000 trades a second, to 1,000 /
 * 5,000 / 10,000 WebSocket clients in separate processes, each following 20
 * symbols and the 5m movers; once with every update (GATEWAY_CONFLATE_MS=0)
 * and once with the default 250 ms. Every process shares this machine's cores,
 * so the report gives each one's CPU to show what bounds the figures. A step
 * that cannot hold is recorded as such; it never fails or hangs the run.
 * Knobs and how to read the report: docs/stream.md, "Benchmark".
 */

const SYMBOLS_PER_CLIENT = 20;
const MOVERS_WINDOW = '5m';
/** File descriptors a process needs beside its sockets (stdio, Redis, listeners, libuv). */
const FD_HEADROOM = 64;
/** A mark unanswered this long counts the client process as silent for that second. */
const MARK_TIMEOUT_MS = 5000;
const PROFILE_DIR = path.join(repoRoot, 'reports', 'gateway-profile');

type Metrics = Record<string, number | string>;

/** Every child of the run, so an error or a signal never leaves one behind. */
const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([...children].map((child) => stopProcess(child))).finally(() => process.exit(130));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A scrape that fails or times out (a saturated gateway) gives '' and so NaN figures, not a stuck bench. */
async function scrape(port: number): Promise<string> {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(15_000) })).text();
  } catch {
    return '';
  }
}

async function waitReady(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

/** Redis's own CPU seconds (it runs outside the bench's children). */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

function cpuOf(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += sampleProcess(pid).cpuSeconds;
    } catch {
      // exited: its CPU is gone with it
    }
  }
  return total;
}

interface CpuSample {
  gateway: number;
  collector: number;
  simulator: number;
  clients: number;
  redis: number;
  /** This process (it reads the clients' reports and scrapes). */
  bench: number;
  machine: CpuTimes;
}

async function cpuSample(gateway: ChildProcess, pipeline: Pipeline, clientPids: number[]): Promise<CpuSample> {
  const own = process.cpuUsage();
  return {
    gateway: cpuOf([gateway.pid!]),
    collector: cpuOf([pipeline.collector.pid!]),
    simulator: cpuOf([pipeline.simulator.pid!]),
    clients: cpuOf(clientPids),
    redis: await redisCpuSeconds(pipeline.redis),
    bench: (own.user + own.system) / 1e6,
    machine: machineCpuTimes(readFileSync('/proc/stat', 'utf8')),
  };
}

const round = (value: number, digits = 0) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : Number.NaN);

interface Pipeline {
  redisUrl: string;
  redis: Redis;
  symbols: string[];
  simulator: ChildProcess;
  collector: ChildProcess;
}

interface StepResult {
  key: string;
  metrics: Metrics;
  row: string;
  notes: string[];
  profile?: ProfileSummary;
}

async function startPipeline(config: GatewayBenchConfig): Promise<Pipeline> {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
  url.pathname = `/${config.redisDb}`;
  const redisUrl = url.toString();
  // A 2 ms tick as in the collector benchmark: trades leave the simulator within 2 ms of their trade time.
  // Six minutes of history so the 5m changes, and with them the 5m movers, exist from the start.
  const sim = await startSimulatorProcess(['--symbols', String(config.symbols), '--rate', String(config.tradesPerSecond), '--history-minutes', '6', '--tick-ms', '2']);
  track(sim.child);
  const info = (await (await fetch(`${sim.restUrl}/api/v3/exchangeInfo`)).json()) as { symbols: Array<{ symbol: string; status: string }> };
  const symbols = info.symbols.filter((s) => s.status === 'TRADING').map((s) => s.symbol);
  const port = await freePort();
  const collector = track(spawnTs('services/collector/main.ts', [], { BINANCE_WS_URL: sim.wsUrl, BINANCE_REST_URL: sim.restUrl, REDIS_URL: redisUrl, SYMBOLS: 'ALL', HTTP_PORT: String(port), LOG_LEVEL: 'ERROR', COLLECTOR_ID: 'bench-gateway' }));
  collector.stdout?.resume();
  await waitReady(port, 120_000, 'collector');
  const redis = new Redis(redisUrl);
  // The movers need the 5m rank set filled; give up waiting after a minute (the step then reports empty movers).
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (await redis.zcard(rankKey('binance', '5m'))) < symbols.length / 2) await sleep(500);
  return { redisUrl, redis, symbols, simulator: sim.child, collector };
}

function connectSummary(answers: Array<ClientsConnected | undefined>): { open: number; failed: number; failures: string; connectMs: number; unfinished: number } {
  const failures: Record<string, number> = {};
  let open = 0;
  let failed = 0;
  let connectMs = 0;
  let unfinished = 0;
  for (const answer of answers) {
    if (!answer) {
      unfinished += 1;
      continue;
    }
    open += answer.open;
    failed += answer.failed;
    connectMs = Math.max(connectMs, answer.connectMs);
    for (const [reason, count] of Object.entries(answer.failures)) failures[reason] = (failures[reason] ?? 0) + count;
  }
  return { open, failed, failures: Object.entries(failures).map(([r, c]) => `${c} × ${r}`).join(', ') || 'none', connectMs, unfinished };
}

async function runStep(config: GatewayBenchConfig, pipeline: Pipeline, conflateMs: number, clients: number, profile: boolean): Promise<StepResult> {
  const key = `c${conflateMs}_n${clients}${profile ? '_profiled' : ''}`;
  const notes: string[] = [];
  const port = await freePort();
  if (profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }
  const gateway = track(
    spawnTs(
      'services/gateway/main.ts',
      [],
      {
        GATEWAY_PORT: String(port),
        GATEWAY_HOST: '127.0.0.1',
        REDIS_URL: pipeline.redisUrl,
        GATEWAY_CONFLATE_MS: String(conflateMs),
        // Every bench client comes from 127.0.0.1: the per-address cap (100 by default) must admit them all.
        GATEWAY_MAX_CONNECTIONS_PER_IP: String(clients + 100),
        GATEWAY_MAX_CONNECTIONS: String(Math.max(20_000, clients + 100)),
        LOG_LEVEL: 'ERROR',
      },
      { nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [] },
    ),
  );
  gateway.stdout?.resume();
  let fleet: ClientFleet | undefined;
  try {
    await waitReady(port, 30_000, 'gateway');
    fleet = ClientFleet.start({ url: `ws://127.0.0.1:${port}/v1/stream`, counts: splitClients(clients, config.connectionsPerProcess, config.clientProcesses), symbols: pipeline.symbols, symbolsPerClient: SYMBOLS_PER_CLIENT, moversWindow: MOVERS_WINDOW });
    const connect = connectSummary(await fleet.connected(30_000 + clients * 10));
    await sleep(config.warmupMs);
    // Whether or not every process finished connecting, what is open now is what the step measures.
    const warm = await fleet.mark(MARK_TIMEOUT_MS);
    const connected = warm.reports.reduce((sum, report) => sum + report.open, 0);

    const clientPids = fleet.pids;
    const before = await scrape(port);
    const cpuBefore = await cpuSample(gateway, pipeline, clientPids);
    const startedAt = Date.now();
    const bySecond = [];
    let silent = 0;
    let rssMax = 0;
    for (let second = 1; Date.now() - startedAt < config.measureMs; second++) {
      await sleep(Math.max(0, startedAt + second * 1000 - Date.now()));
      const { reports, silent: quiet } = await fleet.mark(MARK_TIMEOUT_MS);
      bySecond.push(reports);
      silent = Math.max(silent, quiet);
      try {
        rssMax = Math.max(rssMax, sampleProcess(gateway.pid!).rssBytes);
      } catch {
        // the gateway exited: the step records it below
      }
    }
    // CPU first: a saturated gateway can take seconds to answer the scrape, which must not count as measured time.
    const cpuAfter = await cpuSample(gateway, pipeline, clientPids);
    const seconds = (Date.now() - startedAt) / 1000;
    const after = await scrape(port);
    const cpu = (part: keyof Omit<CpuSample, 'machine'>) => round(((cpuAfter[part] - cpuBefore[part]) / seconds) * 100);
    const machine = machineBusyPercent(cpuBefore.machine, cpuAfter.machine, cpus().length);
    const ours = (['gateway', 'collector', 'simulator', 'clients', 'redis', 'bench'] as const).reduce((sum, part) => sum + cpu(part), 0);

    const totals = sumReports(bySecond);
    const verdict = judgeStep({ targetClients: clients, connectedAtStart: connected, connectedAtEnd: totals.openAtEnd, closedByCode: totals.closedByCode, p50BySecond: totals.p50BySecond, silentClientProcesses: silent });
    if (gateway.exitCode !== null) verdict.reasons.push(`the gateway exited (code ${gateway.exitCode})`);
    // Without both scrapes the gateway's own figures are unknown (NaN), not a difference against zero.
    const scraped = before !== '' && after !== '';
    const delta = (name: string) => (scraped ? counterSum(after, name) - counterSum(before, name) : Number.NaN);
    const deltaWhere = (name: string, label: string, value: string) => (scraped ? counterWhere(after, name, label, value) - counterWhere(before, name, label, value) : Number.NaN);
    const open = Math.max(1, connected);
    const fanout = (q: number) => round(histogramQuantile(histogramBuckets(before, 'gateway_fanout_latency_seconds'), histogramBuckets(after, 'gateway_fanout_latency_seconds'), q) * 1000, 1);
    const metrics: Metrics = {
      clientsConnected: connected,
      connectFailures: connect.failures,
      connectSeconds: connect.unfinished > 0 ? 'unfinished' : round(connect.connectMs / 1000, 1),
      held: verdict.held && gateway.exitCode === null ? 'yes' : 'no',
      latencyP50Ms: totals.latency.quantile(0.5),
      latencyP99Ms: totals.latency.quantile(0.99),
      latencyMaxMs: totals.latency.max(),
      latencySamples: totals.latency.count,
      ageP50Ms: totals.age.quantile(0.5),
      ageP99Ms: totals.age.quantile(0.99),
      gatewayCpuPercent: cpu('gateway'),
      gatewayRssMiB: round(rssMax / 2 ** 20),
      gatewayLoopLagP99Ms: after ? round(counterSum(after, 'nodejs_eventloop_lag_p99_seconds') * 1000, 1) : Number.NaN,
      gatewayFanoutP50Ms: fanout(0.5),
      gatewayFanoutP99Ms: fanout(0.99),
      bytesPerClientPerSecond: round(totals.bytes / open / seconds),
      framesPerClientPerSecond: round(totals.updates / open / seconds, 1),
      ratesPerClientPerSecond: round(totals.rates / open / seconds, 1),
      redisMessagesPerSecond: round(delta('gateway_redis_messages_total') / seconds),
      updatesSentPerSecond: round(deltaWhere('gateway_messages_sent_total', 'type', 'update') / seconds),
      moversSentPerSecond: round(deltaWhere('gateway_messages_sent_total', 'type', 'movers') / seconds),
      ratesSentPerSecond: round(delta('gateway_rates_sent_total') / seconds),
      conflatedPerSecond: round(delta('gateway_updates_conflated_total') / seconds),
      staleDropped: delta('gateway_updates_stale_total'),
      slowClientDisconnects: delta('gateway_slow_client_disconnects_total'),
      clientCloses: Object.values(totals.closedByCode).reduce((a, b) => a + b, 0),
      clientLoopDelayP99Ms: totals.loopDelayP99Ms,
      collectorCpuPercent: cpu('collector'),
      simulatorCpuPercent: cpu('simulator'),
      clientsCpuPercent: cpu('clients'),
      clientProcesses: clientPids.length,
      redisCpuPercent: cpu('redis'),
      benchCpuPercent: cpu('bench'),
      // Whatever else runs on the machine (other work shares the cores): busy time not spent by this run's processes.
      machineCpuPercent: round(machine),
      otherCpuPercent: round(Math.max(0, machine - ours)),
      loadAverage1m: round(loadavg()[0] ?? Number.NaN, 1),
      measuredSeconds: round(seconds, 1),
    };
    if (!scraped) notes.push(`${key}: the gateway's /metrics did not answer within 15 s ${before ? 'at the end' : 'at the start'} of the measurement (the gateway's own counters are unknown)`);
    if (connect.unfinished > 0) notes.push(`${key}: ${connect.unfinished} client processes had not finished connecting after ${30 + clients / 100} s (${connected} connections open when the measurement started)`);
    notes.push(`${key}: ${verdict.held ? 'held' : `did not hold: ${verdict.reasons.join('; ')}`}`);
    const row = [
      conflateMs,
      clients,
      connected,
      metrics.held,
      metrics.latencyP50Ms,
      metrics.latencyP99Ms,
      conflateMs > 0 ? `${metrics.ageP50Ms} / ${metrics.ageP99Ms}` : `(${metrics.ageP50Ms} / ${metrics.ageP99Ms})`,
      metrics.gatewayFanoutP99Ms,
      metrics.gatewayCpuPercent,
      metrics.gatewayRssMiB,
      metrics.bytesPerClientPerSecond,
      metrics.framesPerClientPerSecond,
      metrics.updatesSentPerSecond,
      metrics.conflatedPerSecond,
      `${metrics.slowClientDisconnects} / ${metrics.clientCloses}`,
      `${metrics.collectorCpuPercent} / ${metrics.simulatorCpuPercent} / ${metrics.clientsCpuPercent} / ${metrics.redisCpuPercent} / ${metrics.otherCpuPercent}`,
      `${metrics.machineCpuPercent} of ${cpus().length * 100}`,
      metrics.clientLoopDelayP99Ms,
    ].join(' | ');
    return { key, metrics, row: `| ${row} |`, notes };
  } finally {
    await fleet?.stop();
    await stopProcess(gateway);
  }
}

function readProfile(): ProfileSummary | undefined {
  // One file per thread (tsx's loader runs on a thread of its own): the main thread's is by far the largest.
  const file = readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(PROFILE_DIR, b)).size - statSync(path.join(PROFILE_DIR, a)).size)[0];
  if (!file) return undefined;
  return summarizeProfile(JSON.parse(readFileSync(path.join(PROFILE_DIR, file), 'utf8')) as CpuProfile, repoRoot, 20);
}

export default async function runGatewayBench(): Promise<{ name: string; metrics: Metrics; notes: string[]; tables: string[] }> {
  const config = loadGatewayBenchConfig();
  const metrics: Metrics = { symbols: config.symbols, tradesPerSecond: config.tradesPerSecond, symbolsPerClient: SYMBOLS_PER_CLIENT, measureSeconds: config.measureMs / 1000 };
  const notes: string[] = [];
  const fdLimit = openFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  metrics.openFilesLimit = fdLimit ?? 'unlimited';
  const tables = [
    '| conflate ms | clients | connected | held | p50 ms | p99 ms | age p50 / p99 ms | gateway fan-out p99 ms | gateway CPU % | gateway RSS MiB | bytes / client / s | frames / client / s | update frames / s | conflated / s | slow disconnects / client closes | CPU % collector / simulator / clients / Redis / other work | machine CPU % | client loop delay p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const pipeline = await startPipeline(config);
  try {
    metrics.rankedSymbols5m = await pipeline.redis.zcard(rankKey('binance', '5m'));
    const run = async (conflateMs: number, clients: number, profile: boolean): Promise<StepResult | undefined> => {
      // The gateway holds one descriptor per client; the clients spread theirs over processes.
      if (fdLimit !== undefined && clients + FD_HEADROOM > fdLimit) {
        notes.push(`c${conflateMs}_n${clients}: skipped, the gateway needs about ${clients + FD_HEADROOM} file descriptors and ulimit -n is ${fdLimit}`);
        return undefined;
      }
      console.log(`[bench] gateway: ${clients} clients, GATEWAY_CONFLATE_MS=${conflateMs}${profile ? ', profiled' : ''}`);
      try {
        return await runStep(config, pipeline, conflateMs, clients, profile);
      } catch (error) {
        notes.push(`c${conflateMs}_n${clients}: the step could not run: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    };
    for (const conflateMs of config.conflateMs) {
      for (const clients of config.clients) {
        const step = await run(conflateMs, clients, false);
        if (!step) continue;
        for (const [name, value] of Object.entries(step.metrics)) metrics[`${step.key}_${name}`] = value;
        tables.push(step.row);
        notes.push(...step.notes);
      }
    }
    if (config.profile) {
      const clients = Math.max(...config.clients);
      const conflateMs = Math.min(...config.conflateMs);
      const step = await run(conflateMs, clients, true);
      const summary = step ? readProfile() : undefined;
      if (step && summary) {
        tables.push('', `Gateway CPU profile, ${clients} clients, GATEWAY_CONFLATE_MS=${conflateMs} (node --cpu-prof, ${Math.round(summary.totalMs / 1000)} s, self time; file in reports/gateway-profile/):`, '', '| function | self % |', '| --- | --- |');
        for (const hot of summary.functions) tables.push(`| ${hot.name} | ${hot.selfPercent} |`);
        tables.push('', '| file | self % |', '| --- | --- |');
        for (const hot of summary.files) tables.push(`| ${hot.name} | ${hot.selfPercent} |`);
        metrics.profiled_gatewayCpuPercent = step.metrics.gatewayCpuPercent!;
        metrics.profiled_latencyP99Ms = step.metrics.latencyP99Ms!;
      } else notes.push('the profiled step gave no CPU profile');
    }
  } finally {
    pipeline.redis.disconnect();
    await stopProcess(pipeline.collector);
    await stopProcess(pipeline.simulator);
  }
  notes.push(
    `one simulator (${config.symbols} symbols, ${config.tradesPerSecond} trades/s, Zipf-distributed over symbols), one collector, one gateway and the client processes share this machine's cores; the CPU columns say which is saturated`,
    `each client follows ${SYMBOLS_PER_CLIENT} symbols, taken in turn from the exchange's list (every symbol has as many followers, so the hot pairs and the quiet ones are followed alike), and the ${MOVERS_WINDOW} movers`,
    "latency: a rate's tradeTs (stamped by the simulator) to its arrival at the client, measured on the same clock, for rates a trade made (ts = tradeTs); it includes the collector's parse and Redis write, Redis pub/sub, the gateway's fan-out and the client process's own queue (see client loop delay)",
    "age: sampled every 100 ms per client, now minus the newest tradeTs among the values the client holds; with every update (in brackets) it shows the market's own gaps between trades, with conflation the difference is the cost of conflating",
    "gateway fan-out: the gateway's own histogram from tradeTs to socket write (gateway_fanout_latency_seconds, interpolated inside buckets); it observes every rate, also those a timer made (ts > tradeTs, e.g. a window rolling over a quiet symbol), whose tradeTs is seconds old, so its p99 is not the trade->client latency; bytes are WebSocket payload bytes the clients received",
    'other work: busy CPU of the machine (from /proc/stat) not spent by this run\'s processes; on a shared machine it takes cores from the gateway',
    'held: every client connected and stayed, every client process answered each second, and the per-second latency p50 did not keep growing',
  );
  return { name: 'gateway', metrics, notes, tables };
}
