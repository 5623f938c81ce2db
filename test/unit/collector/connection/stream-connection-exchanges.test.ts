import { StreamConnection, type StreamConnectionOptions } from '../../../../services/collector/connection';
import type { ExchangeStreamProtocol } from '../../../../services/collector/exchange';
import { CollectorMetrics } from '../../../../services/collector/metrics';
import { createLogger } from '../../../../services/shared';
import { type FakeSocket, aggTrade, fakeSocketFactory, testClock, testProtocol } from './fakes';

/**
 * The connection against protocols shaped like OKX and Bybit: a client text ping
 * answered by an application pong, replies that name the streams they settle
 * (without a request id), and no connection age cut.
 */
const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });
const PING = JSON.stringify({ op: 'ping' });
const PONG = { op: 'pong' };
const refusal = { code: 60018, msg: "doesn't exist" };

function clientPingProtocol(overrides: Partial<ExchangeStreamProtocol> = {}): ExchangeStreamProtocol {
  const base = testProtocol();
  return testProtocol({
    maxConnectionAgeMs: Infinity,
    keepalive: { kind: 'client-ping', intervalMs: 2_000, encodePing: () => PING },
    parseFrame: (text, context) => {
      const message = JSON.parse(text) as { op?: string; ack?: string; error?: { code: number; msg: string } };
      if (message.op === 'pong') return { kind: 'pong' };
      if (typeof message.ack === 'string') return message.error ? { kind: 'reply', id: null, streams: [message.ack], error: message.error } : { kind: 'reply', id: null, streams: [message.ack] };
      return base.parseFrame(text, context);
    },
    ...overrides,
  });
}

function setup(overrides: Partial<StreamConnectionOptions> = {}) {
  const { factory, sockets } = fakeSocketFactory();
  const openedAt: number[] = [];
  const metrics = new CollectorMetrics({ collectDefaults: false });
  const connection = new StreamConnection({
    id: 'c1',
    protocol: clientPingProtocol(),
    baseWsUrl: 'ws://fake',
    onTrade: () => undefined,
    clock: testClock(),
    metrics,
    logger,
    socketFactory: (url) => {
      openedAt.push(Date.now());
      return factory(url);
    },
    random: () => 0.5,
    ...overrides,
  });
  const socket = (i = sockets.length - 1): FakeSocket => sockets[i] as FakeSocket;
  return { connection, sockets, socket, metrics, openedAt };
}

const pings = (socket: FakeSocket) => socket.sent.filter((m) => m.kind === 'text' && m.text === PING);
const requests = (socket: FakeSocket) => socket.sent.filter((m) => m.kind === 'text' && m.text !== PING).map((m) => JSON.parse(m.text as string) as { method: string; params: string[]; id: number });

/** Plays a server that acknowledges each stream of every new request with its own reply. */
function ackEachStream(socket: FakeSocket, answered: Set<number>, refuse: (stream: string) => boolean = () => false): void {
  for (const request of requests(socket)) {
    if (answered.has(request.id)) continue;
    answered.add(request.id);
    for (const stream of request.params) socket.serverSend(refuse(stream) ? { ack: stream, error: refusal } : { ack: stream });
  }
}

async function subscribeLatencyCount(metrics: CollectorMetrics): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'collector_subscribe_latency_seconds');
  const values = (metric?.values ?? []) as Array<{ value: number; metricName?: string }>;
  return values.find((v) => v.metricName === 'collector_subscribe_latency_seconds_count')?.value ?? 0;
}

/** Plays a live server: answers every ping not answered yet with a pong. */
function answerPings(socket: FakeSocket, answered: { count: number }): void {
  for (; answered.count < pings(socket).length; answered.count++) socket.serverSend(PONG);
}

async function counter(metrics: CollectorMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

describe('StreamConnection with a client-ping, per-stream-ack protocol', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  describe('client keepalive', () => {
    it('sends the protocol ping after intervalMs without traffic, and none while traffic flows', async () => {
      // Prepare: liveness waits longer than the keepalive, so every ping here is the keepalive's.
      const { connection, socket } = setup({ streams: ['abcusdt@aggTrade'], liveness: { idleMs: 30_000, pongTimeoutMs: 4_000 } });
      connection.start();
      socket().open();
      ackEachStream(socket(), new Set());
      const busyFrom = Date.now();

      // Act
      for (let i = 0; i < 20; i++) {
        await jest.advanceTimersByTimeAsync(500);
        socket().serverSend(aggTrade('abcusdt@aggTrade', i));
      }
      const pingsWhileBusy = pings(socket()).length;
      await jest.advanceTimersByTimeAsync(2_000);

      // Assert
      expect(pingsWhileBusy).toBe(0);
      expect(pings(socket()).map((m) => m.at)).toEqual([busyFrom + 10_000 + 2_000]);
      expect(socket().sent.filter((m) => m.kind === 'ping')).toEqual([]);
    });

    it('paces the ping with the requests: it counts against the outgoing message rate', async () => {
      // Prepare: the server answers nothing, so liveness pings while 500 streams are still being subscribed.
      const { connection, socket } = setup({ streams: Array.from({ length: 500 }, (_, i) => `s${i}@aggTrade`), liveness: { idleMs: 500, pongTimeoutMs: 10_000 } });
      connection.start();
      socket().open();

      // Act
      await jest.advanceTimersByTimeAsync(2_000);

      // Assert
      const texts = socket().sent.filter((m) => m.kind === 'text');
      const gaps = texts.slice(1).map((m, i) => m.at - texts[i]!.at);
      expect(pings(socket()).length).toBeGreaterThanOrEqual(1);
      expect(requests(socket()).length).toBeGreaterThanOrEqual(3);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
    });

    it('probes liveness with the protocol ping, and pongs keep a quiet connection alive', async () => {
      // Prepare
      const { connection, sockets, socket } = setup({ streams: ['quiet@aggTrade'] });
      connection.start();
      socket().open();
      ackEachStream(socket(), new Set());
      const answered = { count: 0 };

      // Act: ten quiet minutes, every ping answered 20 ms later.
      for (let t = 0; t < 10 * 60_000; t += 20) {
        await jest.advanceTimersByTimeAsync(20);
        answerPings(socket(), answered);
      }

      // Assert
      expect(sockets).toHaveLength(1);
      expect(connection.state).toBe('open');
      expect(pings(socket()).length).toBeGreaterThan(100);
      // No idempotent re-SUBSCRIBE probes and no WebSocket pings: the application ping is the probe.
      expect(requests(socket())).toHaveLength(1);
      expect(socket().sent.filter((m) => m.kind === 'ping')).toEqual([]);
    });

    it('treats missing pongs as a dead connection and reconnects with backoff', async () => {
      // Prepare
      const { connection, sockets, socket, metrics, openedAt } = setup({ streams: ['quiet@aggTrade'], backoff: { baseMs: 1_000, maxMs: 10_000 } });
      const deadAt: number[] = [];
      connection.on('state', (state) => {
        if (state === 'reconnecting') deadAt.push(Date.now());
      });
      connection.start();

      // Act: two sockets in a row open, get acknowledged, then never answer a ping.
      for (let t = 0; t < 30_000 && sockets.length < 3; t += 50) {
        const current = socket();
        if (current.readyState === 0) {
          current.open();
          ackEachStream(current, new Set());
        }
        await jest.advanceTimersByTimeAsync(50);
      }

      // Assert
      expect(socket(0).terminated).toBe(true);
      expect(pings(socket(0)).length).toBeGreaterThanOrEqual(1);
      // Detected within the default liveness bound (5 s idle + 4 s for the pong, plus the pacer's delay).
      expect(deadAt[0]! - openedAt[0]!).toBeLessThanOrEqual(10_000);
      // Full jitter at 0.5 of a cap doubling from 1 s: 500 ms, then 1 s.
      expect(openedAt[1]! - deadAt[0]!).toBe(500);
      expect(openedAt[2]! - deadAt[1]!).toBe(1_000);
      expect(await counter(metrics, 'collector_reconnects_total', { reason: 'liveness' })).toBe(2);
    });
  });

  describe('frames of several trades', () => {
    it('delivers every trade of a multi-trade push, in order', async () => {
      // Prepare: a push shaped like OKX's / Bybit's data[] array
      const received: number[] = [];
      const base = testProtocol();
      const protocol = clientPingProtocol({
        parseFrame: (text, context) => {
          const message = JSON.parse(text) as { batch?: unknown[] };
          if (!Array.isArray(message.batch)) return clientPingProtocol().parseFrame(text, context);
          const trades = message.batch.flatMap((entry) => {
            const parsed = base.parseFrame(JSON.stringify(entry), context);
            return parsed.kind === 'trade' ? [parsed.trade] : [];
          });
          return { kind: 'trades', trades };
        },
      });
      const { connection, socket } = setup({ protocol, streams: ['abcusdt@aggTrade'], onTrade: (trade) => received.push(trade.tradeId) });
      connection.start();
      socket().open();
      ackEachStream(socket(), new Set());

      // Act
      socket().serverSend({ batch: [aggTrade('abcusdt@aggTrade', 7), aggTrade('abcusdt@aggTrade', 8), aggTrade('abcusdt@aggTrade', 9)] });
      await jest.advanceTimersByTimeAsync(0);

      // Assert
      expect(received).toEqual([7, 8, 9]);
    });
  });

  describe('replies that name their streams', () => {
    it('completes a request when each of its streams is acknowledged on its own', async () => {
      // Prepare
      const { connection, socket, metrics } = setup({ streams: ['a@aggTrade', 'b@aggTrade', 'c@aggTrade'] });
      let acknowledged = 0;
      connection.on('acknowledged', () => (acknowledged += 1));
      connection.start();
      socket().open();
      await jest.advanceTimersByTimeAsync(100);
      const [request] = requests(socket());

      // Act
      socket().serverSend({ ack: 'c@aggTrade' });
      socket().serverSend({ ack: 'a@aggTrade' });
      const partly = { state: connection.state, pending: connection.pendingStreams };
      socket().serverSend({ ack: 'b@aggTrade' });

      // Assert
      expect(request!.params).toEqual(['a@aggTrade', 'b@aggTrade', 'c@aggTrade']);
      expect(partly).toEqual({ state: 'subscribing', pending: 1 });
      expect(connection.state).toBe('open');
      expect(acknowledged).toBe(1);
      expect(await subscribeLatencyCount(metrics)).toBe(1);
    });

    it('refuses only the stream an error names: the others are acknowledged, that one retried, then reported as refused', async () => {
      // Prepare
      const { connection, sockets, socket, metrics } = setup({
        streams: ['good1@aggTrade', 'bad@aggTrade', 'good2@aggTrade'],
        requestRetryMs: 500,
        maxRequestRejections: 3,
      });
      const refused: Array<[string[], number]> = [];
      connection.on('refused', (streams, error) => refused.push([streams, error.code]));
      connection.start();
      socket().open();
      const answered = new Set<number>();
      const pongs = { count: 0 };

      // Act
      for (let t = 0; t < 20_000; t += 50) {
        await jest.advanceTimersByTimeAsync(50);
        ackEachStream(socket(), answered, (stream) => stream === 'bad@aggTrade');
        answerPings(socket(), pongs);
      }

      // Assert
      expect(requests(socket()).map((r) => r.params)).toEqual([['good1@aggTrade', 'bad@aggTrade', 'good2@aggTrade'], ['bad@aggTrade'], ['bad@aggTrade']]);
      expect(sockets).toHaveLength(1);
      expect(refused).toEqual([[['bad@aggTrade'], refusal.code]]);
      expect([...connection.refusedStreams]).toEqual(['bad@aggTrade']);
      expect(connection.state).toBe('open');
      expect(connection.fullySubscribed).toBe(true);
      expect(await counter(metrics, 'collector_errors_total', { code: 'SUBSCRIBE_REJECTED' })).toBe(3);
      expect(await counter(metrics, 'collector_errors_total', { code: 'SUBSCRIBE_REFUSED' })).toBe(1);
    });

    it('tries a refused stream again on the next socket', async () => {
      // Prepare
      const { connection, socket } = setup({ streams: ['good@aggTrade', 'bad@aggTrade'], maxRequestRejections: 1, backoff: { baseMs: 100, maxMs: 100 } });
      connection.start();
      socket(0).open();
      await jest.advanceTimersByTimeAsync(100);
      ackEachStream(socket(0), new Set(), (stream) => stream === 'bad@aggTrade');
      const refusedBefore = connection.refusedStreams.size;

      // Act
      socket(0).serverClose(1006);
      await jest.advanceTimersByTimeAsync(100);
      socket(1).open();
      await jest.advanceTimersByTimeAsync(100);

      // Assert
      expect(refusedBefore).toBe(1);
      expect(connection.refusedStreams.size).toBe(0);
      expect(new Set(requests(socket(1)).flatMap((r) => r.params))).toEqual(new Set(['good@aggTrade', 'bad@aggTrade']));
      expect(connection.pendingStreams).toBe(2);
    });
  });

  describe('connection age', () => {
    it('never asks for rotation when the protocol has no age cut', async () => {
      // Prepare
      const { connection, sockets, socket } = setup({ streams: ['a@aggTrade'], protocol: testProtocol({ maxConnectionAgeMs: Infinity }), liveness: { idleMs: 60_000, pongTimeoutMs: 4_000 } });
      const rotations: string[] = [];
      connection.on('rotate', (reason) => rotations.push(reason));
      connection.start();
      socket().open();
      socket().autoReply = true;
      socket().ackAll();

      // Act
      await jest.advanceTimersByTimeAsync(30 * 60 * 60_000);

      // Assert
      expect(rotations).toEqual([]);
      expect(sockets).toHaveLength(1);
      expect(connection.state).toBe('open');
    });

    it('refuses a protocol whose age limit is not positive (no age cut is Infinity)', () => {
      for (const maxConnectionAgeMs of [0, -1, Number.NaN]) {
        expect(() => setup({ protocol: testProtocol({ maxConnectionAgeMs }) })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
      }
    });
  });
});
