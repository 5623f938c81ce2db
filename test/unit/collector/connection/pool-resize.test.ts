import { ConnectionAttemptLimiter, ConnectionPool, type SocketFactory } from '../../../../services/collector/connection';
import { createLogger } from '../../../../services/shared';
import { FakeSocket, type SentRequest, streamsOf, testClock, testProtocol } from './fakes';

const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

/**
 * Plays the exchange for every socket of a pool: it answers each request, keeps
 * which socket serves which stream (from the moment its SUBSCRIBE is answered
 * until its UNSUBSCRIBE is sent or it closes) and records every moment a socket
 * gives up a stream that no other open socket serves: trades would be lost there.
 */
class FakeExchange {
  readonly sockets: Array<{ socket: ExchangeSocket; createdAt: number }> = [];
  readonly violations: string[] = [];
  private readonly served = new Map<FakeSocket, Set<string>>();

  readonly factory: SocketFactory = (url) => {
    const socket = new ExchangeSocket(url, this);
    this.sockets.push({ socket, createdAt: Date.now() });
    this.served.set(socket, new Set());
    return socket;
  };

  /** One step of the server: sockets being opened open, every request is answered. */
  step(): void {
    for (const { socket } of this.sockets) {
      if (socket.readyState === 0) socket.open();
      if (socket.readyState !== 1) continue;
      for (const request of socket.requests()) {
        if (socket.answered.has(request.id)) continue;
        socket.answered.add(request.id);
        const streams = this.served.get(socket) as Set<string>;
        for (const stream of request.params) {
          if (request.method === 'SUBSCRIBE') streams.add(stream);
        }
        socket.serverSend({ result: null, id: request.id });
      }
    }
  }

  /** Streams each open socket serves. */
  serving(): Array<Set<string>> {
    return this.sockets.filter(({ socket }) => socket.readyState === 1).map(({ socket }) => this.served.get(socket) as Set<string>);
  }

  onSend(socket: FakeSocket, request: SentRequest): void {
    if (request.method === 'UNSUBSCRIBE') this.release(socket, request.params);
  }

  onClose(socket: FakeSocket): void {
    this.release(socket, [...(this.served.get(socket) ?? [])]);
  }

  private release(socket: FakeSocket, streams: string[]): void {
    const own = this.served.get(socket) as Set<string>;
    for (const stream of streams) {
      if (!own.delete(stream)) continue;
      const elsewhere = this.sockets.some(({ socket: other }) => other !== socket && other.readyState === 1 && this.served.get(other)?.has(stream));
      if (!elsewhere) this.violations.push(`${socket.url}#${this.sockets.findIndex((s) => s.socket === socket)} gave up ${stream} while no other socket served it`);
    }
  }
}

class ExchangeSocket extends FakeSocket {
  constructor(
    url: string,
    private readonly exchange: FakeExchange,
  ) {
    super(url);
  }

  override send(data: string): void {
    this.exchange.onSend(this, JSON.parse(data) as SentRequest);
    super.send(data);
  }

  override close(code?: number): void {
    if (this.readyState === 1) this.exchange.onClose(this);
    super.close(code);
  }

  override terminate(): void {
    if (this.readyState === 1) this.exchange.onClose(this);
    super.terminate();
  }
}

/** The most messages one socket sent within any one second. */
function busiestSecond(socket: FakeSocket): number {
  const times = socket.sent.map((m) => m.at);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while ((times[i] as number) - (times[j] as number) >= 1_000) j += 1;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** The most sockets created within any window of `windowMs`. */
function busiestWindow(createdAt: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < createdAt.length; i += 1) {
    while ((createdAt[i] as number) - (createdAt[j] as number) >= windowMs) j += 1;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('ConnectionPool limit change with real connections', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  function run(exchange: FakeExchange, ms: number): void {
    for (let t = 0; t < ms; t += 100) {
      exchange.step();
      jest.advanceTimersByTime(100);
    }
    exchange.step();
  }

  it('lowering 200 to 50 under a tight attempt limit never leaves a stream unserved and keeps the pacing', async () => {
    // Prepare: 300 streams on two sockets; at most 3 connection attempts a minute.
    const exchange = new FakeExchange();
    const pool = new ConnectionPool({
      protocol: testProtocol(),
      baseWsUrl: 'ws://fake',
      onTrade: () => undefined,
      clock: testClock(),
      logger,
      maxStreamsPerConnection: 200,
      attemptLimiter: new ConnectionAttemptLimiter({ maxAttempts: 3, windowMs: 60_000 }),
      connection: { socketFactory: exchange.factory, random: () => 0 },
    });
    pool.setStreams(streamsOf(300));
    pool.start();
    run(exchange, 2_000);
    expect(pool.ready).toBe(true);
    expect(exchange.serving().map((s) => s.size)).toEqual([150, 150]);

    // Act: one new connection may open at once, the other three wait for the attempt window.
    pool.setMaxStreamsPerConnection(50);
    run(exchange, 30_000);

    // Assert: the first over-full socket gave up only the 50 streams the one new socket acknowledged;
    // everything else stays where it was while the other new sockets wait for the attempt window.
    expect(exchange.sockets).toHaveLength(3);
    expect(exchange.serving().map((s) => s.size)).toEqual([100, 150, 50]);
    expect(exchange.violations).toEqual([]);

    // Act
    run(exchange, 40_000);

    // Assert: every stream is served by exactly one socket of at most 50, nothing was ever unserved,
    // and neither the message pacing nor the attempt limit was exceeded.
    expect(exchange.violations).toEqual([]);
    const serving = exchange.serving();
    expect(serving.map((s) => s.size)).toEqual([50, 50, 50, 50, 50, 50]);
    expect(new Set(serving.flatMap((s) => [...s])).size).toBe(300);
    expect(pool.status().connections.map((c) => [c.role, c.state, c.streams, c.pendingStreams])).toEqual(Array.from({ length: 6 }, () => ['active', 'open', 50, 0]));
    expect(pool.ready).toBe(true);
    expect(Math.max(...exchange.sockets.map(({ socket }) => busiestSecond(socket)))).toBeLessThanOrEqual(5);
    expect(busiestWindow(exchange.sockets.map((s) => s.createdAt), 60_000)).toBeLessThanOrEqual(3);

    // The close handshakes run on the fake clock.
    const stopped = pool.stop(1_000);
    await jest.advanceTimersByTimeAsync(2_000);
    await stopped;
    expect(pool.state).toBe('stopped');
  });
});
