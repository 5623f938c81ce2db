/**
 * One client process of the gateway benchmark (test/bench/gateway.bench.ts):
 * BENCH_GW_CONNECTIONS WebSocket connections to BENCH_GW_URL, each subscribed
 * to BENCH_GW_SYMBOLS_PER_CLIENT symbols of BENCH_GW_SYMBOLS (taken in turn,
 * from the connection's global index BENCH_GW_OFFSET + i, so every symbol has
 * as many followers) and to the movers of BENCH_GW_MOVERS_WINDOW.
 *
 * Measures, on this machine's clock (the simulator stamps trade times on the
 * same clock): the trade->client latency of every rate in an update that a
 * trade made (ts === tradeTs; timer updates carry an old trade time), payload
 * bytes and frames received, and every BENCH_GW_AGE_SAMPLE_MS the age of the
 * newest value each connection holds.
 *
 * Talks to the bench by lines: prints `{"event":"connected",...}` once every
 * connection has its snapshot or has failed; answers each `mark` line on stdin
 * with `{"event":"report",...}` covering what happened since the previous mark.
 * Exits when stdin ends (the bench is gone) or on SIGTERM.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { scanFrame } from './frames';
import { MsHistogram } from './histogram';
import type { ClientsConnected, ClientsReport } from './messages';

/** A saturated gateway may never answer an upgrade: the connection fails instead of holding a connect slot forever. */
const HANDSHAKE_TIMEOUT_MS = 20_000;

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

interface Connection {
  ws: WebSocket;
  /** Newest tradeTs among the values this connection holds; 0 before its snapshot. */
  newest: number;
  open: boolean;
}

function main(): void {
  const url = env('BENCH_GW_URL');
  const count = Number(env('BENCH_GW_CONNECTIONS'));
  const offset = Number(env('BENCH_GW_OFFSET', '0'));
  const symbols = env('BENCH_GW_SYMBOLS').split(',');
  const perClient = Number(env('BENCH_GW_SYMBOLS_PER_CLIENT', '20'));
  const window = env('BENCH_GW_MOVERS_WINDOW', '5m');
  const ageSampleMs = Number(env('BENCH_GW_AGE_SAMPLE_MS', '100'));
  const concurrency = Number(env('BENCH_GW_CONNECT_CONCURRENCY', '100'));

  const connections: Connection[] = [];
  const latency = new MsHistogram();
  const age = new MsHistogram();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let closedByCode: Record<string, number> = {};
  let updates = 0;
  let rates = 0;
  let movers = 0;
  let bytes = 0;
  let settled = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  const started = Date.now();
  let next = 0;

  const emit = (line: ClientsReport | ClientsConnected) => process.stdout.write(`${JSON.stringify(line)}\n`);
  const settle = () => {
    settled += 1;
    if (settled === count) emit({ event: 'connected', open: connections.filter((c) => c.open).length, failed, failures, connectMs: Date.now() - started });
    else if (next < count) connect(next++);
  };

  function connect(index: number): void {
    const global = offset + index;
    const chosen = Array.from({ length: perClient }, (_, k) => symbols[(global * perClient + k) % symbols.length]!);
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    const connection: Connection = { ws, newest: 0, open: false };
    let done = false;
    const fail = (reason: string) => {
      if (done) return;
      done = true;
      failed += 1;
      failures[reason] = (failures[reason] ?? 0) + 1;
      settle();
    };
    ws.on('unexpected-response', (_req, res) => {
      fail(`http_${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (error: Error & { code?: string }) => fail(error.code ?? error.message));
    ws.on('open', () => {
      connection.open = true;
      connections.push(connection);
      ws.send(JSON.stringify({ op: 'subscribe', id: 1, channel: 'rates', exchange: 'binance', symbols: chosen }));
      ws.send(JSON.stringify({ op: 'subscribe', id: 2, channel: 'movers', exchange: 'binance', window, limit: 10 }));
    });
    ws.on('message', (data: Buffer) => {
      const now = Date.now();
      bytes += data.length;
      const frame = scanFrame(data.toString());
      if (frame.type === 'update') {
        updates += 1;
        rates += frame.rates.length;
        for (const rate of frame.rates) {
          if (rate.ts === rate.tradeTs) latency.record(now - rate.tradeTs);
          if (rate.tradeTs > connection.newest) connection.newest = rate.tradeTs;
        }
      } else if (frame.type === 'snapshot') {
        for (const rate of frame.rates) if (rate.tradeTs > connection.newest) connection.newest = rate.tradeTs;
        if (!done) {
          done = true;
          settle();
        }
      } else if (frame.type === 'movers') movers += 1;
    });
    ws.on('close', (code: number) => {
      if (connection.open) {
        connection.open = false;
        closedByCode[code] = (closedByCode[code] ?? 0) + 1;
      }
      fail(`closed_${code}`);
    });
  }

  while (next < Math.min(count, concurrency)) connect(next++);

  const ageTimer = setInterval(() => {
    const now = Date.now();
    for (const connection of connections) if (connection.open && connection.newest > 0) age.record(now - connection.newest);
  }, ageSampleMs);

  const report = () => {
    emit({
      event: 'report',
      open: connections.filter((c) => c.open).length,
      closedByCode,
      updates,
      rates,
      movers,
      bytes,
      latency: latency.toJSON(),
      age: age.toJSON(),
      loopDelayP99Ms: Number((loopDelay.percentile(99) / 1e6).toFixed(1)),
    });
    closedByCode = {};
    updates = rates = movers = bytes = 0;
    latency.reset();
    age.reset();
    loopDelay.reset();
  };

  const stop = () => {
    clearInterval(ageTimer);
    for (const connection of connections) connection.ws.terminate();
    process.exit(0);
  };
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'mark') report();
  });
  lines.on('close', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
