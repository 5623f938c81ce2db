import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { lockChannels } from '../support/channel-lock';
import { type BenchExchange, collectorEndpointEnv, listTradeStreams, parseBenchExchanges } from './support/bench-exchanges';
import { machineCpuPercent, sampleMachineCpu } from './support/machine-load';
import { counterSum, histogramBuckets, histogramQuantile } from './support/prometheus';
import { sampleProcess, sleep, spawnTs, startSimulatorProcess, stopProcess } from './support/processes';

/**
 * What one collector sustains with 2000 symbols, per exchange (binance, okx, bybit,
 * one after another: one collector at a time on this machine): messages and trades
 * a second through parse, gap check and Redis write, its CPU and memory, and the
 * update latency from receipt to Redis acknowledgement; against bare `ws` clients
 * that only parse JSON on the same streams, subscribed with the exchange's own
 * protocol (the ceiling). A soak phase samples memory to show it stays flat.
 * Every process runs on its own: simulator, collector, bare client.
 */
const SYMBOLS = 2000;
const RATES = [20_000, 40_000];
const EXCHANGES = parseBenchExchanges(process.env.BENCH_EXCHANGES);
/** The soak is the long phase; by default only Binance's collector is soaked. */
const SOAK_EXCHANGES = parseBenchExchanges(process.env.BENCH_SOAK_EXCHANGES ?? 'binance');
const MEASURE_MS = Number(process.env.BENCH_MEASURE_SECONDS ?? 30) * 1000;
/** The issue asks for CPU and memory after 15 minutes at 20,000 trades a second. */
const SOAK_MS = Number(process.env.BENCH_SOAK_SECONDS ?? 900) * 1000;
const WARMUP_MS = 8_000;
/** Streams per connection for the bare client and the collector (MAX_STREAMS_PER_CONNECTION's default), the same on every exchange. */
const STREAMS_PER_CONNECTION = 200;
const REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
  url.pathname = `/${process.env.BENCH_REDIS_DB ?? 14}`;
  return url.toString();
})();

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round1 = (value: number): number => Number(value.toFixed(1));
const ms2 = (seconds: number): number => Number((seconds * 1000).toFixed(2));
/** The largest finite bucket of collector_update_latency_seconds: a quantile there lies beyond the histogram. */
const UPDATE_LATENCY_TOP_MS = 1000;
const latencyCell = (value: number): string => (value >= UPDATE_LATENCY_TOP_MS ? `>=${UPDATE_LATENCY_TOP_MS}` : String(value));

/**
 * Trade time to arrival on the `rates:{exchange}` channel, measured by a subscriber
 * in this process (same host clock as the simulator that stamps T). Only updates
 * made by a trade count (ts === tradeTs); timer updates carry an old trade time.
 */
function channelLatency(redisUrl: string, exchange: BenchExchange): { start(): void; stop(): { p50: number; p99: number; count: number }; close(): void } {
  const subscriber = new Redis(redisUrl);
  let samples: number[] = [];
  let recording = false;
  subscriber.on('message', (_channel, message) => {
    if (!recording) return;
    const now = Date.now();
    for (const update of JSON.parse(message) as Array<{ ts: string; tradeTs: string }>) {
      if (update.ts === update.tradeTs && samples.length < 5_000_000) samples.push(now - Number(update.tradeTs));
    }
  });
  void subscriber.subscribe(`rates:${exchange}`);
  return {
    start() {
      samples = [];
      recording = true;
    },
    stop() {
      recording = false;
      const sorted = samples.sort((a, b) => a - b);
      return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), count: sorted.length };
    },
    close() {
      subscriber.disconnect();
    },
  };
}

/** The non-zero series of a counter as `labels=value`, to say which reconnect or error it was. */
function nonZeroSeries(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Number(line.slice(line.lastIndexOf(' ') + 1)) > 0)
    .map((line) => `${line.slice(name.length + 1, line.indexOf('}'))}=${line.slice(line.lastIndexOf(' ') + 1)}`);
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

interface SimulatorStats {
  tradesTotal: number;
  droppedSlowConsumers: number;
}

async function simulatorStats(restUrl: string): Promise<SimulatorStats> {
  return (await (await fetch(`${restUrl}/_sim/stats`)).json()) as SimulatorStats;
}

async function waitReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`collector not ready within ${timeoutMs} ms`);
}

interface Ceiling {
  messagesPerSecond: number;
  tradesPerSecond: number;
  cpuPercent: number;
}

async function measureCeiling(exchange: BenchExchange, wsUrl: string, streams: string[]): Promise<Ceiling> {
  const client = spawnTs('test/bench/support/bare-client.ts', [exchange, wsUrl, streams.join(','), String(STREAMS_PER_CONNECTION)]);
  let latest = { received: 0, trades: 0, subscribed: false };
  createInterface({ input: client.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    latest = JSON.parse(line) as typeof latest;
  });
  try {
    // Measured from the last acknowledgement on, as subscribing takes seconds on OKX and Bybit.
    const deadline = Date.now() + 60_000;
    while (!latest.subscribed) {
      if (Date.now() > deadline) throw new Error(`bare ${exchange} client not subscribed to ${streams.length} streams within 60 s`);
      await sleep(250);
    }
    await sleep(WARMUP_MS / 2);
    const start = latest;
    const startCpu = sampleProcess(client.pid!);
    const startedAt = Date.now();
    await sleep(MEASURE_MS / 2);
    const seconds = (Date.now() - startedAt) / 1000;
    const endCpu = sampleProcess(client.pid!);
    const end = latest;
    return {
      messagesPerSecond: Math.round((end.received - start.received) / seconds),
      tradesPerSecond: Math.round((end.trades - start.trades) / seconds),
      cpuPercent: Math.round(((endCpu.cpuSeconds - startCpu.cpuSeconds) / seconds) * 100),
    };
  } finally {
    await stopProcess(client);
  }
}

interface CollectorRun {
  child: ChildProcess;
  port: number;
}

async function startCollector(exchange: BenchExchange, wsUrl: string, restUrl: string): Promise<CollectorRun> {
  const port = await freePort();
  const child = spawnTs('services/collector/main.ts', [], {
    ...collectorEndpointEnv(exchange, wsUrl, restUrl),
    REDIS_URL,
    SYMBOLS: 'ALL',
    MAX_STREAMS_PER_CONNECTION: String(STREAMS_PER_CONNECTION),
    HTTP_PORT: String(port),
    LOG_LEVEL: 'ERROR',
    COLLECTOR_ID: `bench-${exchange}`,
  });
  child.stdout?.resume();
  await waitReady(port, 120_000);
  return { child, port };
}

/** One exchange at one rate: the figures of a row of the side-by-side table. */
interface Row {
  exchange: BenchExchange;
  rate: number;
  generatedPerSecond: number;
  ceiling: Ceiling;
  messagesPerSecond: number;
  tradesPerSecond: number;
  cpuPercent: number;
  rssMiB: number;
  updateP50Ms: number;
  updateP99Ms: number;
  channelP50Ms: number;
  channelP99Ms: number;
  channelSamples: number;
  rejected: number;
  gaps: number;
  unrecoverableGapTrades: number;
  errors: number;
  reconnects: number;
  /** Which reconnects and errors, by label. */
  incidents: string[];
  slowConsumerDrops: number;
  simulatorCpuPercent: number;
  /** CPU of everything on the machine outside the simulator and the collector, in % of one core. */
  otherCpuPercent: number;
  load1m: number;
}

async function measureCollector(exchange: BenchExchange, rate: number, sim: { restUrl: string; child: ChildProcess }, collector: CollectorRun, ceiling: Ceiling): Promise<Row> {
  const channel = channelLatency(REDIS_URL, exchange);
  try {
    await sleep(WARMUP_MS);
    channel.start();
    const before = await scrape(collector.port);
    const simBefore = await simulatorStats(sim.restUrl);
    const cpuBefore = sampleProcess(collector.child.pid!);
    const simCpuBefore = sampleProcess(sim.child.pid!);
    const machineBefore = sampleMachineCpu();
    const startedAt = Date.now();
    await sleep(MEASURE_MS);
    const after = await scrape(collector.port);
    const cpuAfter = sampleProcess(collector.child.pid!);
    const simCpuAfter = sampleProcess(sim.child.pid!);
    const machineAfter = sampleMachineCpu();
    const seconds = (Date.now() - startedAt) / 1000;
    const simAfter = await simulatorStats(sim.restUrl);
    const arrival = channel.stop();
    const latencyBefore = histogramBuckets(before, 'collector_update_latency_seconds');
    const latencyAfter = histogramBuckets(after, 'collector_update_latency_seconds');
    // Every trade delivered by a connection is observed once in the event-lag histogram: its count is trades processed.
    const tradesSeen = (text: string) => histogramBuckets(text, 'collector_event_lag_seconds').get(Number.POSITIVE_INFINITY) ?? 0;
    const cpuPercent = ((cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / seconds) * 100;
    const simulatorCpuPercent = ((simCpuAfter.cpuSeconds - simCpuBefore.cpuSeconds) / seconds) * 100;
    return {
      exchange,
      rate,
      generatedPerSecond: Math.round((simAfter.tradesTotal - simBefore.tradesTotal) / seconds),
      ceiling,
      messagesPerSecond: Math.round((counterSum(after, 'collector_messages_total') - counterSum(before, 'collector_messages_total')) / seconds),
      tradesPerSecond: Math.round((tradesSeen(after) - tradesSeen(before)) / seconds),
      cpuPercent: Math.round(cpuPercent),
      rssMiB: Math.round(cpuAfter.rssBytes / 2 ** 20),
      updateP50Ms: ms2(histogramQuantile(latencyBefore, latencyAfter, 0.5)),
      updateP99Ms: ms2(histogramQuantile(latencyBefore, latencyAfter, 0.99)),
      channelP50Ms: arrival.p50,
      channelP99Ms: arrival.p99,
      channelSamples: arrival.count,
      // Counts since the collector started (subscription phase included), not only the window.
      rejected: counterSum(after, 'collector_rejected_messages_total'),
      gaps: counterSum(after, 'collector_trade_gaps_total'),
      unrecoverableGapTrades: counterSum(after, 'collector_unrecoverable_gap_trades_total'),
      errors: counterSum(after, 'collector_errors_total'),
      reconnects: counterSum(after, 'collector_reconnects_total'),
      incidents: [...nonZeroSeries(after, 'collector_reconnects_total'), ...nonZeroSeries(after, 'collector_errors_total'), ...nonZeroSeries(after, 'collector_rejected_messages_total')],
      slowConsumerDrops: simAfter.droppedSlowConsumers,
      simulatorCpuPercent: Math.round(simulatorCpuPercent),
      otherCpuPercent: Math.round(machineCpuPercent(machineBefore, machineAfter) - cpuPercent - simulatorCpuPercent),
      load1m: round1(loadavg()[0] ?? Number.NaN),
    };
  } finally {
    channel.close();
  }
}

interface Soak {
  minutes: number;
  cpuPercent: number;
  messagesPerSecond: number;
  updateP99Ms: number;
  rssMiB: number[];
}

async function soak(collector: CollectorRun): Promise<Soak> {
  const samples: number[] = [];
  const startedAt = Date.now();
  const cpuBefore = sampleProcess(collector.child.pid!);
  const metricsBefore = await scrape(collector.port);
  while (Date.now() - startedAt < SOAK_MS) {
    samples.push(sampleProcess(collector.child.pid!).rssBytes / 2 ** 20);
    await sleep(Math.min(30_000, Math.max(0, SOAK_MS - (Date.now() - startedAt))));
  }
  samples.push(sampleProcess(collector.child.pid!).rssBytes / 2 ** 20);
  const seconds = (Date.now() - startedAt) / 1000;
  const cpuAfter = sampleProcess(collector.child.pid!);
  const metricsAfter = await scrape(collector.port);
  return {
    minutes: round1(seconds / 60),
    cpuPercent: Math.round(((cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / seconds) * 100),
    messagesPerSecond: Math.round((counterSum(metricsAfter, 'collector_messages_total') - counterSum(metricsBefore, 'collector_messages_total')) / seconds),
    updateP99Ms: ms2(histogramQuantile(histogramBuckets(metricsBefore, 'collector_update_latency_seconds'), histogramBuckets(metricsAfter, 'collector_update_latency_seconds'), 0.99)),
    rssMiB: samples.map((s) => Math.round(s)),
  };
}

function rowMetrics(row: Row, metrics: Record<string, number | string>): void {
  const key = `${row.exchange}_${row.rate}`;
  Object.assign(metrics, {
    [`${key}_generatedTradesPerSecond`]: row.generatedPerSecond,
    [`${key}_ceiling_messagesPerSecond`]: row.ceiling.messagesPerSecond,
    [`${key}_ceiling_tradesPerSecond`]: row.ceiling.tradesPerSecond,
    [`${key}_ceiling_cpuPercent`]: row.ceiling.cpuPercent,
    [`${key}_collector_messagesPerSecond`]: row.messagesPerSecond,
    [`${key}_collector_tradesPerSecond`]: row.tradesPerSecond,
    [`${key}_collector_cpuPercent`]: row.cpuPercent,
    [`${key}_collector_rssMiB`]: row.rssMiB,
    [`${key}_collector_updateLatencyP50Ms`]: row.updateP50Ms,
    [`${key}_collector_updateLatencyP99Ms`]: row.updateP99Ms,
    [`${key}_collector_tradeToChannelP50Ms`]: row.channelP50Ms,
    [`${key}_collector_tradeToChannelP99Ms`]: row.channelP99Ms,
    [`${key}_collector_channelSamples`]: row.channelSamples,
    [`${key}_collector_rejected`]: row.rejected,
    [`${key}_collector_tradeGaps`]: row.gaps,
    [`${key}_collector_unrecoverableGapTrades`]: row.unrecoverableGapTrades,
    [`${key}_collector_errors`]: row.errors,
    [`${key}_collector_reconnects`]: row.reconnects,
    [`${key}_simulator_slowConsumerDrops`]: row.slowConsumerDrops,
    [`${key}_simulator_cpuPercent`]: row.simulatorCpuPercent,
    [`${key}_machine_otherCpuPercent`]: row.otherCpuPercent,
    [`${key}_machine_load1m`]: row.load1m,
  });
}

function sideBySide(rows: Row[]): string[] {
  const n = (value: number) => (Number.isFinite(value) ? value.toLocaleString('en-US') : 'n/a');
  return [
    `Collector, ${SYMBOLS} symbols, ${STREAMS_PER_CONNECTION} streams per connection, ${MEASURE_MS / 1000} s per row after ${WARMUP_MS / 1000} s warm-up; CPU in % of one core.`,
    '',
    '| exchange | trades/s offered (generated) | messages/s | trades/s processed | CPU % | RSS MiB | receipt->Redis p50/p99 ms | channel p50/p99 ms | errors/gaps | simulator CPU % | other CPU % / load 1m |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.exchange} | ${n(r.rate)} (${n(r.generatedPerSecond)}) | ${n(r.messagesPerSecond)} | ${n(r.tradesPerSecond)} | ${r.cpuPercent} | ${r.rssMiB} | ${latencyCell(r.updateP50Ms)} / ${latencyCell(r.updateP99Ms)} | ${r.channelP50Ms} / ${r.channelP99Ms} | ` +
        `rejected ${r.rejected}, gaps ${r.gaps}, lost ${r.unrecoverableGapTrades}, errors ${r.errors}, reconnects ${r.reconnects}, slow drops ${r.slowConsumerDrops} | ${r.simulatorCpuPercent} | ${r.otherCpuPercent} / ${r.load1m} |`,
    ),
    '',
    'Ceiling: bare ws clients on the same streams and connections, JSON.parse only, subscribed with the exchange\'s protocol.',
    '',
    '| exchange | trades/s offered | messages/s | trade entries/s | CPU % |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.exchange} | ${n(r.rate)} | ${n(r.ceiling.messagesPerSecond)} | ${n(r.ceiling.tradesPerSecond)} | ${r.ceiling.cpuPercent} |`),
  ];
}

async function benchExchange(exchange: BenchExchange, metrics: Record<string, number | string>, notes: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const rate of RATES) {
    // A 2 ms tick: trades leave the simulator at most 2 ms after their trade time, as
    // the exchanges publish them at once; the default 10 ms tick would add up to 10 ms.
    const sim = await startSimulatorProcess(['--exchange', exchange, '--symbols', String(SYMBOLS), '--rate', String(rate), '--history-minutes', '1', '--tick-ms', '2']);
    try {
      const streams = await listTradeStreams(exchange, sim.restUrl);
      if (streams.length !== SYMBOLS) throw new Error(`the ${exchange} simulator lists ${streams.length} tradable symbols, not ${SYMBOLS}`);
      const ceiling = await measureCeiling(exchange, sim.wsUrl, streams);
      const collector = await startCollector(exchange, sim.wsUrl, sim.restUrl);
      try {
        const row = await measureCollector(exchange, rate, sim, collector, ceiling);
        rows.push(row);
        rowMetrics(row, metrics);
        if (row.incidents.length > 0) notes.push(`${exchange} at ${rate} trades/s: ${row.incidents.join(', ')}`);
        console.log(`[bench] collector ${exchange} ${rate}/s: ${row.messagesPerSecond} messages/s, ${row.tradesPerSecond} trades/s, CPU ${row.cpuPercent} %, load ${row.load1m}`);
        if (rate === RATES[0] && SOAK_MS > 0 && SOAK_EXCHANGES.includes(exchange)) {
          const result = await soak(collector);
          Object.assign(metrics, {
            [`${exchange}_soak_minutes`]: result.minutes,
            [`${exchange}_soak_cpuPercent`]: result.cpuPercent,
            [`${exchange}_soak_messagesPerSecond`]: result.messagesPerSecond,
            [`${exchange}_soak_updateLatencyP99Ms`]: result.updateP99Ms,
            [`${exchange}_soak_rssFirstMiB`]: result.rssMiB[0]!,
            [`${exchange}_soak_rssLastMiB`]: result.rssMiB[result.rssMiB.length - 1]!,
            [`${exchange}_soak_rssMaxMiB`]: Math.max(...result.rssMiB),
          });
          notes.push(`${exchange} soak at ${rate} trades/s: RSS sampled every 30 s (and at the end) for ${result.minutes} min: ${result.rssMiB.join(', ')} MiB`);
        }
      } finally {
        await stopProcess(collector.child);
      }
    } finally {
      await stopProcess(sim.child);
    }
  }
  return rows;
}

export default async function runCollectorBench(): Promise<{ name: string; metrics: Record<string, number | string>; notes: string[]; tables: string[] }> {
  const metrics: Record<string, number | string> = { symbols: SYMBOLS, exchanges: EXCHANGES.join(',') };
  const notes: string[] = [];
  const rows: Row[] = [];
  for (const exchange of EXCHANGES) {
    // Pub/sub ignores db indexes: while this collector publishes on rates:<exchange>, test files
    // watching those channels would hear it (and we them); they take the same lock.
    const release = await lockChannels('okx-bybit', Math.max(600_000, SOAK_MS + 300_000));
    try {
      rows.push(...(await benchExchange(exchange, metrics, notes)));
    } finally {
      await release();
    }
  }
  notes.push(
    `simulator, collector and a bare ws client each in their own process on this ${cpus().length}-core machine, one exchange after another; ${SYMBOLS} symbols over connections of ${STREAMS_PER_CONNECTION} streams; the collector writes to Redis db ${new URL(REDIS_URL).pathname.slice(1)}`,
    'trades/s offered = the simulator\'s --rate (aggregate trades a second); generated = what its generator produced in the window. OKX pushes one entry per aggregate and batches a symbol\'s entries of one 2 ms tick in one push; Bybit pushes one entry per fill (an aggregate of n fills gives n entries), so its trades processed exceed the offered rate',
    'trades/s processed = trades delivered by the collector\'s connections (count of collector_event_lag_seconds); messages/s = WebSocket frames (collector_messages_total, subscription replies and pongs included)',
    'ceiling = bare ws clients that only JSON.parse each message on the same streams (Binance combined-stream URLs; OKX subscribe requests of 60 args, 2 a second per connection, connections 3 a second; Bybit requests of 10 args, 5 a second per connection), measured after every stream was acknowledged',
    `update latency: receipt of the trade to the Redis acknowledgement of the flush that wrote it (collector_update_latency_seconds, quantiles interpolated inside histogram buckets; >=${UPDATE_LATENCY_TOP_MS} = beyond the top bucket); channel: trade time to arrival on rates:<exchange> in the bench process`,
    'errors/gaps: counts since the collector started: rejected messages, detected trade-id gaps (Binance only: OKX ids skip by design, Bybit ids are opaque), trades lost to unrecoverable gaps, collector_errors_total, reconnects, and the simulator\'s slow-consumer disconnects',
    'other CPU % = whole-machine CPU (/proc/stat) minus simulator and collector during the window (this bench process, Redis and anything else on the machine); load 1m at the end of the window',
  );
  return { name: 'collector', metrics, notes, tables: sideBySide(rows) };
}
