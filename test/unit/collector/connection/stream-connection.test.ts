import { StreamConnection, type StreamConnectionOptions } from '../../../../services/collector/connection';
import type { Trade } from '../../../../services/collector/domain';
import { CollectorMetrics } from '../../../../services/collector/metrics';
import { createLogger } from '../../../../services/shared';
import { type FakeSocket, aggTrade, fakeSocketFactory, streamsOf, testClock, testProtocol } from './fakes';

const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

function setup(overrides: Partial<StreamConnectionOptions> = {}) {
  const { factory, sockets } = fakeSocketFactory();
  const trades: Trade[] = [];
  const metrics = new CollectorMetrics({ collectDefaults: false });
  const connection = new StreamConnection({
    id: 'c1',
    protocol: testProtocol(),
    baseWsUrl: 'ws://fake',
    onTrade: (t) => trades.push(t),
    clock: testClock(),
    metrics,
    logger,
    socketFactory: factory,
    random: () => 0.5,
    ...overrides,
  });
  const socket = (i = sockets.length - 1): FakeSocket => sockets[i] as FakeSocket;
  return { connection, sockets, socket, trades, metrics };
}

async function counter(metrics: CollectorMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

describe('StreamConnection', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('subscribes in batches through the pacer, matches replies by id and reports open', () => {
    const { connection, socket } = setup({ streams: streamsOf(250) });
    const states: string[] = [];
    connection.on('state', (s) => states.push(s));
    connection.start();
    expect(socket().url).toBe('ws://fake/stream');
    socket().open();
    jest.advanceTimersByTime(1_000);
    const requests = socket().requests();
    expect(requests.map((r) => r.params.length)).toEqual([100, 100, 50]);
    expect(requests.every((r) => r.method === 'SUBSCRIBE')).toBe(true);
    // Requests leave at the pacer's rate: 250 ms apart.
    const times = socket().sent.map((m) => m.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(250);
    socket().serverSend({ result: null, id: requests[1]!.id });
    socket().serverSend({ result: null, id: requests[0]!.id });
    expect(connection.state).toBe('subscribing');
    expect(connection.pendingStreams).toBe(50);
    socket().serverSend({ result: null, id: requests[2]!.id });
    expect(connection.state).toBe('open');
    expect(states).toEqual(['connecting', 'subscribing', 'open']);
    expect(connection.status()).toMatchObject({ id: 'c1', state: 'open', streams: 250, reconnects: 0, connectedAt: Date.now() - 1_000 });
  });

  it('retries a rejected request and one left without reply', async () => {
    const { connection, socket, metrics } = setup({ streams: streamsOf(150), requestTimeoutMs: 2_000, requestRetryMs: 500 });
    connection.start();
    socket().open();
    jest.advanceTimersByTime(300);
    const [first, second] = socket().requests();
    socket().serverSend({ error: { code: 2, msg: 'Invalid request' }, id: first!.id });
    // The second is never answered: it times out at 2.25 s and is retried 1 s later (second consecutive failure).
    // The server answers every other request (the retries) at once.
    const ignored = new Set([first!.id, second!.id]);
    for (let t = 0; t < 4_000; t += 50) {
      jest.advanceTimersByTime(50);
      socket().ackAll(ignored);
    }
    const retried = socket().requests().slice(2);
    expect(retried.map((r) => r.params.length)).toEqual([100, 50]);
    expect(new Set(retried.flatMap((r) => r.params))).toEqual(new Set(streamsOf(150)));
    expect(connection.state).toBe('open');
    expect(await counter(metrics, 'collector_errors_total', { code: 'SUBSCRIBE_REJECTED' })).toBe(1);
    expect(await counter(metrics, 'collector_errors_total', { code: 'SUBSCRIBE_TIMEOUT' })).toBe(1);
  });

  it('applies run-time subscribe/unsubscribe as merged requests of only the difference', () => {
    const { connection, socket } = setup({ streams: streamsOf(10) });
    connection.start();
    socket().open();
    socket().ackAll();
    expect(connection.state).toBe('open');
    jest.advanceTimersByTime(1_000);
    connection.unsubscribe(['sym3usdt@aggTrade']);
    connection.subscribe(['new1@aggTrade', 'new2@aggTrade', streamsOf(1)[0]!]);
    // Removed again before its SUBSCRIBE left: merged away, never sent.
    connection.unsubscribe(['new2@aggTrade']);
    jest.advanceTimersByTime(1_000);
    const later = socket().requests().slice(1);
    expect(later).toEqual([
      { method: 'UNSUBSCRIBE', params: ['sym3usdt@aggTrade'], id: expect.any(Number) },
      { method: 'SUBSCRIBE', params: ['new1@aggTrade'], id: expect.any(Number) },
    ]);
    socket().ackAll();
    expect(connection.pendingStreams).toBe(0);
    expect(connection.streams.size).toBe(10);
  });

  it('refuses a pacer that could exceed the exchange limit in some second', () => {
    expect(() => setup({ pacer: { ratePerSecond: 5 } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => setup({ pacer: { ratePerSecond: 3, burst: 2 } })).not.toThrow();
  });

  it('refuses more streams than its limit with a typed error', () => {
    const { connection } = setup({ streams: streamsOf(5), maxStreams: 5 });
    expect(() => connection.subscribe(['extra@aggTrade'])).toThrow(expect.objectContaining({ code: 'STREAM_LIMIT' }));
  });

  it('delivers trades synchronously and counts rejects and ignored messages', async () => {
    const { connection, socket, trades, metrics } = setup({ streams: ['abcusdt@aggTrade'] });
    connection.start();
    socket().open();
    socket().ackAll();
    socket().serverSend(aggTrade('abcusdt@aggTrade', 1));
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ symbol: 'ABCUSDT', tradeId: 1, priceText: '1.50' });
    socket().serverSend('not json');
    socket().serverSend({ stream: 'abcusdt@kline_1m', data: { e: 'kline', E: 1 } });
    socket().serverSend(aggTrade('zzz@aggTrade', 2));
    socket().emit('message', Buffer.from([0xde, 0xad]), true);
    expect(trades).toHaveLength(1);
    expect(await counter(metrics, 'collector_rejected_messages_total', { reason: 'invalid_json' })).toBe(1);
    expect(await counter(metrics, 'collector_rejected_messages_total', { reason: 'unknown_stream' })).toBe(1);
    expect(await counter(metrics, 'collector_rejected_messages_total', { reason: 'invalid_type' })).toBe(1);
    expect(await counter(metrics, 'collector_ignored_messages_total', { stream_type: 'kline_1m' })).toBe(1);
    expect(await counter(metrics, 'collector_messages_total', { connection: 'c1' })).toBe(6);
    expect(connection.status().messages).toBe(6);
    expect(connection.state).toBe('open');
  });

  it('survives a throwing sink and keeps delivering', async () => {
    let calls = 0;
    const { connection, socket, metrics } = setup({
      streams: ['abcusdt@aggTrade'],
      onTrade: () => {
        calls += 1;
        throw new Error('sink broke');
      },
    });
    connection.start();
    socket().open();
    socket().ackAll();
    socket().serverSend(aggTrade('abcusdt@aggTrade', 1));
    socket().serverSend(aggTrade('abcusdt@aggTrade', 2));
    expect(calls).toBe(2);
    expect(await counter(metrics, 'collector_errors_total', { code: 'SINK_ERROR' })).toBe(2);
  });

  it('answers server pings with pongs through the pacer, ahead of queued requests', () => {
    const { connection, socket } = setup({ streams: streamsOf(500) });
    connection.start();
    socket().open();
    socket().emit('ping', Buffer.from('123'));
    jest.advanceTimersByTime(2_000);
    const kinds = socket().sent.map((m) => m.kind);
    expect(kinds.slice(0, 3)).toEqual(['text', 'pong', 'text']);
    expect(kinds.filter((k) => k === 'text')).toHaveLength(4);
  });

  it('replaces a silent connection within 15 s with the default liveness and resubscribes everything', () => {
    const { connection, sockets, socket, metrics } = setup({ streams: streamsOf(200) });
    connection.start();
    socket(0).open();
    socket(0).ackAll();
    // Healthy for a while, then the server stalls: no data, no pings, no pongs.
    for (let i = 0; i < 120; i++) {
      jest.advanceTimersByTime(1_000);
      socket(0).serverSend(aggTrade('sym0usdt@aggTrade', i));
    }
    const stalledAt = Date.now();
    let replacedAt: number | undefined;
    connection.on('state', (s) => {
      if (s === 'open') replacedAt = Date.now();
    });
    for (let t = 0; t < 15_000 && replacedAt === undefined; t += 50) {
      jest.advanceTimersByTime(50);
      const current = sockets[sockets.length - 1]!;
      if (sockets.length > 1 && current.readyState === 0) current.open();
      if (sockets.length > 1) current.ackAll();
    }
    expect(socket(0).terminated).toBe(true);
    // The stalled server's WebSocket layer still answers pings; only the unanswered probe request reveals the stall.
    expect(socket(0).requests().at(-1)).toMatchObject({ method: 'SUBSCRIBE', params: [expect.any(String)] });
    expect(replacedAt).toBeDefined();
    expect(replacedAt! - stalledAt).toBeLessThanOrEqual(15_000);
    expect(new Set(socket(1).requests().flatMap((r) => r.params))).toEqual(new Set(streamsOf(200)));
    expect(connection.status().reconnects).toBe(1);
    return counter(metrics, 'collector_reconnects_total', { reason: 'liveness' }).then((n) => expect(n).toBe(1));
  });

  it('does not kill a quiet connection whose probes are answered', () => {
    const { connection, sockets, socket } = setup({ streams: ['quiet@aggTrade'] });
    connection.start();
    socket().open();
    socket().autoReply = true;
    socket().ackAll();
    // Ten minutes without a single trade; the fake server answers every probe.
    jest.advanceTimersByTime(10 * 60_000);
    expect(sockets).toHaveLength(1);
    // Probes are idempotent re-SUBSCRIBEs of a stream already held, one per idle period.
    const probes = socket().requests().slice(1);
    expect(probes.length).toBeGreaterThan(60);
    expect(probes.every((r) => r.method === 'SUBSCRIBE' && r.params.length === 1 && r.params[0] === 'quiet@aggTrade')).toBe(true);
    expect(connection.state).toBe('open');
  });

  it('probes an empty connection with a WebSocket ping, and a pong keeps it alive', () => {
    const { connection, sockets, socket } = setup();
    connection.start();
    socket().open();
    jest.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(socket().sent.filter((m) => m.kind === 'ping').length).toBeGreaterThan(5);
    socket().answerPings = false;
    jest.advanceTimersByTime(15_000);
    expect(sockets).toHaveLength(2);
  });

  it('reconnects with backoff for ever and resubscribes after each loss', () => {
    const { connection, sockets, socket } = setup({ streams: streamsOf(3), backoff: { baseMs: 100, maxMs: 1_000 } });
    connection.start();
    for (let i = 0; i < 20; i++) {
      socket().serverClose(1006); // fails before opening
      jest.advanceTimersByTime(1_000);
    }
    expect(sockets).toHaveLength(21);
    socket().open();
    socket().ackAll();
    expect(connection.state).toBe('open');
    expect(connection.status().reconnects).toBe(20);
  });

  it('asks for rotation on serverShutdown and before the protocol age limit', () => {
    const { connection, socket } = setup({ streams: ['a@aggTrade'], protocol: testProtocol({ maxConnectionAgeMs: 60 * 60_000 }), rotateBeforeMs: 10 * 60_000, rotateJitterMs: 5 * 60_000 });
    const reasons: Array<[string, number]> = [];
    connection.on('rotate', (r) => reasons.push([r, Date.now()]));
    connection.start();
    const openedAt = Date.now();
    socket().open();
    socket().autoReply = true;
    socket().ackAll();
    jest.advanceTimersByTime(60 * 60_000);
    // random 0.5 -> 2.5 min of jitter: 60 - 10 - 2.5 = 47.5 min.
    expect(reasons).toEqual([['max_age', openedAt + 47.5 * 60_000]]);
    const second = setup({ streams: ['a@aggTrade'] });
    const shutdown: string[] = [];
    second.connection.on('rotate', (r) => shutdown.push(r));
    second.connection.start();
    second.socket().open();
    second.socket().serverSend({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: Date.now() } });
    second.socket().serverSend({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: Date.now() } });
    expect(shutdown).toEqual(['server_shutdown']);
  });

  it('close unsubscribes, closes within its deadline and never reconnects', async () => {
    const { connection, sockets, socket } = setup({ streams: streamsOf(3) });
    connection.start();
    socket().open();
    socket().ackAll();
    const closed = connection.close({ unsubscribe: true, timeoutMs: 2_000 });
    await jest.advanceTimersByTimeAsync(300);
    expect(socket().requests().at(-1)).toMatchObject({ method: 'UNSUBSCRIBE', params: streamsOf(3) });
    socket().ackAll();
    await jest.advanceTimersByTimeAsync(2_000);
    await closed;
    expect(connection.state).toBe('closed');
    expect(socket().closedWith).toBe(1000);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
  });
});
