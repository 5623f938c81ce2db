import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { counterSum, histogramBuckets, histogramQuantile } from './support/prometheus';
import { sampleProcess, sleep, spawnTs, startSimulatorProcess, stopProcess } from './support/processes';

/**
 * What one collector sustains with 2000 symbols: messages a second through parse,
 * gap check and Redis write, its CPU and memory, and the update latency from
 * receipt to Redis acknowledgement; against bare `ws` clients that only parse
 * JSON on the same streams (the ceiling). A soak phase samples memory to show it
 * stays flat. Every process runs on its own: simulator, collector, bare client.
 */
const SYMBOLS = 2000;
const RATES = [20_000, 40_000];
const MEASURE_MS = Number(process.env.BENCH_MEASURE_SECONDS ?? 30) * 1000;
/** The issue asks for CPU and memory after 15 minutes at 20,000 trades a second. */
const SOAK_MS = Number(process.env.BENCH_SOAK_SECONDS ?? 900) * 1000;
const WARMUP_MS = 8_000;
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

/**
 * Trade time to arrival on the `rates:{exchange}` channel, measured by a subscriber
 * in this process (same host clock as the simulator that stamps T). Only updates
 * made by a trade count (ts === tradeTs); timer updates carry an old trade time.
 */
function channelLatency(redisUrl: string): { start(): void; stop(): { p50: number; p99: number; count: number }; close(): void } {
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
  void subscriber.subscribe('rates:binance');
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

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
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

async function measureCeiling(wsUrl: string, streams: string[]): Promise<{ messagesPerSecond: number; cpuPercent: number }> {
  const client = spawnTs('test/bench/support/bare-client.ts', [wsUrl, streams.join(','), '200']);
  let latest = 0;
  createInterface({ input: client.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    latest = (JSON.parse(line) as { received: number }).received;
  });
  await sleep(WARMUP_MS / 2);
  const startCount = latest;
  const startCpu = sampleProcess(client.pid!);
  const startedAt = Date.now();
  await sleep(MEASURE_MS / 2);
  const seconds = (Date.now() - startedAt) / 1000;
  const endCpu = sampleProcess(client.pid!);
  const endCount = latest;
  await stopProcess(client);
  return { messagesPerSecond: Math.round((endCount - startCount) / seconds), cpuPercent: Math.round(((endCpu.cpuSeconds - startCpu.cpuSeconds) / seconds) * 100) };
}

interface CollectorRun {
  child: ChildProcess;
  port: number;
}

async function startCollector(wsUrl: string, restUrl: string): Promise<CollectorRun> {
  const port = await freePort();
  const child = spawnTs('services/collector/main.ts', [], {
    BINANCE_WS_URL: wsUrl,
    BINANCE_REST_URL: restUrl,
    REDIS_URL,
    SYMBOLS: 'ALL',
    HTTP_PORT: String(port),
    LOG_LEVEL: 'ERROR',
    COLLECTOR_ID: 'bench',
  });
  child.stdout?.resume();
  await waitReady(port, 60_000);
  return { child, port };
}

export default async function runCollectorBench(): Promise<{ name: string; metrics: Record<string, number | string>; notes: string[] }> {
  const metrics: Record<string, number | string> = { symbols: SYMBOLS };
  const notes: string[] = [];
  for (const rate of RATES) {
    // A 2 ms tick: trades leave the simulator at most 2 ms after their trade time, as
    // Binance publishes them at once; the default 10 ms tick would add up to 10 ms.
    const sim = await startSimulatorProcess(['--symbols', String(SYMBOLS), '--rate', String(rate), '--history-minutes', '1', '--tick-ms', '2']);
    try {
      const info = (await (await fetch(`${sim.restUrl}/api/v3/exchangeInfo`)).json()) as { symbols: Array<{ symbol: string; status: string }> };
      const streams = info.symbols.filter((s) => s.status === 'TRADING').map((s) => `${s.symbol.toLowerCase()}@aggTrade`);
      const ceiling = await measureCeiling(sim.wsUrl, streams);
      metrics[`ceiling_${rate}_messagesPerSecond`] = ceiling.messagesPerSecond;
      metrics[`ceiling_${rate}_cpuPercent`] = ceiling.cpuPercent;

      const collector = await startCollector(sim.wsUrl, sim.restUrl);
      const channel = channelLatency(REDIS_URL);
      try {
        await sleep(WARMUP_MS);
        channel.start();
        const before = await scrape(collector.port);
        const cpuBefore = sampleProcess(collector.child.pid!);
        const startedAt = Date.now();
        await sleep(MEASURE_MS);
        const after = await scrape(collector.port);
        const cpuAfter = sampleProcess(collector.child.pid!);
        const seconds = (Date.now() - startedAt) / 1000;
        const latencyBefore = histogramBuckets(before, 'collector_update_latency_seconds');
        const latencyAfter = histogramBuckets(after, 'collector_update_latency_seconds');
        metrics[`collector_${rate}_messagesPerSecond`] = Math.round((counterSum(after, 'collector_messages_total') - counterSum(before, 'collector_messages_total')) / seconds);
        metrics[`collector_${rate}_cpuPercent`] = Math.round(((cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / seconds) * 100);
        metrics[`collector_${rate}_rssMiB`] = Math.round(cpuAfter.rssBytes / 2 ** 20);
        metrics[`collector_${rate}_updateLatencyP50Ms`] = Number((histogramQuantile(latencyBefore, latencyAfter, 0.5) * 1000).toFixed(2));
        metrics[`collector_${rate}_updateLatencyP99Ms`] = Number((histogramQuantile(latencyBefore, latencyAfter, 0.99) * 1000).toFixed(2));
        const arrival = channel.stop();
        metrics[`collector_${rate}_tradeToChannelP50Ms`] = arrival.p50;
        metrics[`collector_${rate}_tradeToChannelP99Ms`] = arrival.p99;
        metrics[`collector_${rate}_channelSamples`] = arrival.count;
        metrics[`collector_${rate}_rejected`] = counterSum(after, 'collector_rejected_messages_total');
        metrics[`collector_${rate}_unrecoverableGapTrades`] = counterSum(after, 'collector_unrecoverable_gap_trades_total');

        if (rate === RATES[0] && SOAK_MS > 0) {
          const samples: number[] = [];
          const soakStarted = Date.now();
          const soakCpuBefore = sampleProcess(collector.child.pid!);
          const soakMetricsBefore = await scrape(collector.port);
          while (Date.now() - soakStarted < SOAK_MS) {
            samples.push(sampleProcess(collector.child.pid!).rssBytes / 2 ** 20);
            await sleep(30_000);
          }
          const minutes = (Date.now() - soakStarted) / 60_000;
          const soakCpuAfter = sampleProcess(collector.child.pid!);
          const soakMetricsAfter = await scrape(collector.port);
          metrics.soak_cpuPercent = Math.round(((soakCpuAfter.cpuSeconds - soakCpuBefore.cpuSeconds) / (minutes * 60)) * 100);
          metrics.soak_updateLatencyP99Ms = Number((histogramQuantile(histogramBuckets(soakMetricsBefore, 'collector_update_latency_seconds'), histogramBuckets(soakMetricsAfter, 'collector_update_latency_seconds'), 0.99) * 1000).toFixed(2));
          metrics.soak_messagesPerSecond = Math.round((counterSum(soakMetricsAfter, 'collector_messages_total') - counterSum(soakMetricsBefore, 'collector_messages_total')) / (minutes * 60));
          metrics.soak_minutes = Number(minutes.toFixed(1));
          metrics.soak_rssFirstMiB = Math.round(samples[0]!);
          metrics.soak_rssLastMiB = Math.round(samples[samples.length - 1]!);
          metrics.soak_rssMaxMiB = Math.round(Math.max(...samples));
          notes.push(`soak at ${rate} trades/s: RSS sampled every 30 s for ${minutes.toFixed(1)} min: ${samples.map((s) => Math.round(s)).join(', ')} MiB`);
        }
      } finally {
        channel.close();
        await stopProcess(collector.child);
      }
    } finally {
      await stopProcess(sim.child);
    }
  }
  notes.push(
    `simulator, collector and a bare ws client each in their own process on this ${'2-core'} machine; ${SYMBOLS} symbols over connections of 200 streams; the collector writes to Redis db ${new URL(REDIS_URL).pathname.slice(1)}`,
    'ceiling = bare ws clients that only JSON.parse each message on the same streams; collector messages include subscription replies',
    'update latency: receipt of the trade to the Redis acknowledgement of the flush that wrote it (collector_update_latency_seconds, quantiles interpolated inside histogram buckets)',
  );
  return { name: 'collector', metrics, notes };
}
