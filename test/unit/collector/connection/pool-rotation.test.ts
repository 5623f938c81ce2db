import { ConnectionPool } from '../../../../services/collector/connection';
import { createLogger } from '../../../../services/shared';
import { type FakeSocket, fakeSocketFactory, streamsOf, testClock, testProtocol } from './fakes';

const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

/** Rotation with real StreamConnections over fake sockets: the ordering is decided by acknowledgements on the wire. */
describe('ConnectionPool rotation with real connections', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  function openAndAck(socket: FakeSocket): void {
    socket.open();
    socket.autoReply = true;
    jest.advanceTimersByTime(1_000);
  }

  it('closes the old socket only after the replacement acknowledged every stream, before the age limit', () => {
    const { factory, sockets } = fakeSocketFactory();
    const pool = new ConnectionPool({
      protocol: testProtocol({ maxConnectionAgeMs: 60 * 60_000 }),
      baseWsUrl: 'ws://fake',
      onTrade: () => undefined,
      clock: testClock(),
      logger,
      maxStreamsPerConnection: 200,
      // Long idle period only to keep the number of fake-timer events small over an hour.
      connection: { socketFactory: factory, random: () => 0, liveness: { idleMs: 60_000 } },
    });
    pool.setStreams(streamsOf(150));
    pool.start();
    openAndAck(sockets[0]!);
    expect(pool.ready).toBe(true);
    const states: string[] = [];
    pool.on('state', (s) => states.push(s));

    // random 0 -> no jitter: rotation is asked for 10 min before the (here 1 h) age cut.
    jest.advanceTimersByTime(60 * 60_000 - 10 * 60_000 - 1_000 - 1);
    expect(sockets).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    const replacement = sockets[1]!;
    replacement.open();
    jest.advanceTimersByTime(1_000);
    // Subscribed but not acknowledged yet: the old socket must still be up.
    expect(replacement.requests().flatMap((r) => r.params).sort()).toEqual(streamsOf(150).sort());
    expect(sockets[0]!.closedWith).toBeUndefined();
    replacement.ackAll();
    expect(sockets[0]!.closedWith).toBe(1000);
    jest.advanceTimersByTime(10);
    expect(pool.ready).toBe(true);
    expect(states).toEqual([]);
    expect(pool.status().connections.map((c) => [c.id, c.state])).toEqual([['s1.2', 'open']]);
    // The old socket closed without UNSUBSCRIBE: the replacement already carries every stream.
    expect(sockets[0]!.requests().every((r) => r.method === 'SUBSCRIBE')).toBe(true);
  });
});
