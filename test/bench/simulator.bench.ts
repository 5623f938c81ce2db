import WebSocket from 'ws';
import { sampleProcess, sleep, startSimulatorProcess } from './support/processes';

/**
 * Sustained throughput of the exchange simulator: it runs in its own process (as
 * with `npm run simulator`) at 50,000 aggregate trades a second over a few hundred
 * symbols, and bare `ws` clients in this process count the frames they receive.
 */
const RATE = 50_000;
const SYMBOLS = 300;
const CLIENTS = 2;
const WARMUP_MS = 3_000;
const MEASURE_MS = 20_000;
export default async function runSimulatorBench(): Promise<{ name: string; metrics: Record<string, number | string>; notes: string[] }> {
  const { child, wsUrl, restUrl } = await startSimulatorProcess(['--symbols', String(SYMBOLS), '--rate', String(RATE), '--history-minutes', '1']);
  const pid = child.pid as number;
  try {
    const info = (await (await fetch(`${restUrl}/api/v3/exchangeInfo`)).json()) as { symbols: Array<{ symbol: string }> };
    const streams = info.symbols.map((s) => `${s.symbol.toLowerCase()}@aggTrade`).join('/');
    let received = 0;
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, () => new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${wsUrl}/stream?streams=${streams}`, { perMessageDeflate: false });
        ws.on('message', () => {
          received += 1;
        });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      })),
    );
    await sleep(WARMUP_MS);
    const startCount = received;
    const startSample = sampleProcess(pid);
    const startClientCpu = process.cpuUsage();
    const startedAt = Date.now();
    let peakRss = startSample.rssBytes;
    for (let elapsed = 0; elapsed < MEASURE_MS; elapsed += 1000) {
      await sleep(1000);
      peakRss = Math.max(peakRss, sampleProcess(pid).rssBytes);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const endSample = sampleProcess(pid);
    const clientCpu = process.cpuUsage(startClientCpu);
    const stats = (await (await fetch(`${restUrl}/_sim/stats`)).json()) as { droppedSlowConsumers: number };
    for (const ws of clients) ws.close();
    const tradesPerSecond = (received - startCount) / seconds / CLIENTS;
    return {
      name: 'simulator',
      metrics: {
        targetTradesPerSecond: RATE,
        receivedTradesPerSecondPerClient: Math.round(tradesPerSecond),
        clients: CLIENTS,
        symbols: SYMBOLS,
        seconds: Math.round(seconds),
        simulatorCpuPercent: Math.round(((endSample.cpuSeconds - startSample.cpuSeconds) / seconds) * 100),
        simulatorRssMiB: Math.round(endSample.rssBytes / 1048576),
        simulatorPeakRssMiB: Math.round(peakRss / 1048576),
        clientCpuPercent: Math.round(((clientCpu.user + clientCpu.system) / 1e6 / seconds) * 100),
        droppedSlowConsumers: stats.droppedSlowConsumers,
      },
      notes: [
        `simulator in its own process, ${CLIENTS} bare ws client(s) on combined streams of all ${SYMBOLS} aggTrade streams, ${MEASURE_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up`,
        'CPU percent is of one core; the machine has 2 cores shared with other work, so figures vary between runs',
      ],
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

if (require.main === module) {
  runSimulatorBench().then(
    (result: unknown) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
