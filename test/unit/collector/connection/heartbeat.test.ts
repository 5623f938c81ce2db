import { ConnectionHeartbeat, type HeartbeatHooks, type RequestBody, systemScheduler } from '../../../../services/collector/connection';
import type { KeepalivePolicy } from '../../../../services/collector/exchange';

/** Records what the heartbeat asks for; queued text bodies are built when the test "sends" them. */
function hooksOf(options: { holdsStream?: boolean } = {}) {
  const queued: RequestBody[] = [];
  const calls = { webSocketPings: 0, probes: 0, dead: [] as number[] };
  const hooks: HeartbeatHooks = {
    enqueue: (body) => {
      queued.push(body);
      return true;
    },
    sendWebSocketPing: () => void (calls.webSocketPings += 1),
    probeSubscription: () => {
      calls.probes += 1;
      return options.holdsStream ?? false;
    },
    onDead: (silentForMs) => void calls.dead.push(silentForMs),
  };
  const send = (): Array<string | undefined> => queued.splice(0).map((body) => (typeof body === 'string' ? body : body()));
  return { hooks, calls, queued, send };
}

const clientPing: KeepalivePolicy = { kind: 'client-ping', intervalMs: 2_000, encodePing: () => 'ping' };
const liveness = { idleMs: 5_000, pongTimeoutMs: 4_000 };

describe('ConnectionHeartbeat', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('server-ping: probes with a SUBSCRIBE of a held stream, else a WebSocket ping, and never sends a text ping', () => {
    // Prepare
    const holding = hooksOf({ holdsStream: true });
    const empty = hooksOf();
    const withStream = new ConnectionHeartbeat({ keepalive: { kind: 'server-ping' }, liveness, scheduler: systemScheduler }, holding.hooks);
    const withoutStream = new ConnectionHeartbeat({ keepalive: { kind: 'server-ping' }, liveness, scheduler: systemScheduler }, empty.hooks);

    // Act
    withStream.start();
    withoutStream.start();
    jest.advanceTimersByTime(5_000);

    // Assert
    expect(holding.calls).toMatchObject({ probes: 1, webSocketPings: 0 });
    expect(empty.calls).toMatchObject({ probes: 1, webSocketPings: 1 });
    expect([holding.queued, empty.queued]).toEqual([[], []]);
  });

  it('client-ping: pings after intervalMs of quiet, not while frames arrive or leave', () => {
    // Prepare
    const { hooks, calls, send } = hooksOf();
    const heartbeat = new ConnectionHeartbeat({ keepalive: clientPing, liveness: { idleMs: 60_000, pongTimeoutMs: 4_000 }, scheduler: systemScheduler }, hooks);
    heartbeat.start();

    // Act
    const busy: Array<string | undefined> = [];
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(1_000);
      if (i % 2 === 0) heartbeat.received();
      else heartbeat.sent();
      busy.push(...send());
    }
    jest.advanceTimersByTime(2_000);
    const quiet = send();

    // Assert
    expect(busy).toEqual([]);
    expect(quiet).toEqual(['ping']);
    expect(calls.probes).toBe(0);
  });

  it("client-ping with quietWhen 'sent' (Bybit): pings every intervalMs however busy the stream, not while we send", () => {
    // Prepare
    const { hooks, send } = hooksOf();
    const heartbeat = new ConnectionHeartbeat({ keepalive: { ...clientPing, quietWhen: 'sent' }, liveness: { idleMs: 60_000, pongTimeoutMs: 4_000 }, scheduler: systemScheduler }, hooks);
    heartbeat.start();

    // Act: frames arrive every 100 ms for 5 s, then we send every 500 ms for 5 s
    const whileReceiving: Array<string | undefined> = [];
    for (let i = 0; i < 50; i++) {
      jest.advanceTimersByTime(100);
      heartbeat.received();
      whileReceiving.push(...send());
    }
    const whileSending: Array<string | undefined> = [];
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(500);
      heartbeat.sent();
      whileSending.push(...send());
    }

    // Assert
    expect(whileReceiving).toEqual(['ping', 'ping']);
    expect(whileSending).toEqual([]);
  });

  it('client-ping: the liveness probe is the ping, one queued at a time, and silence after it is death', () => {
    // Prepare
    const { hooks, calls, queued, send } = hooksOf({ holdsStream: true });
    const heartbeat = new ConnectionHeartbeat({ keepalive: { ...clientPing, intervalMs: 60_000 }, liveness, scheduler: systemScheduler }, hooks);
    heartbeat.start();

    // Act
    jest.advanceTimersByTime(5_000);
    const queuedAtProbe = queued.length;
    jest.advanceTimersByTime(3_999);
    const deadBefore = calls.dead.length;
    jest.advanceTimersByTime(1);

    // Assert
    expect(queuedAtProbe).toBe(1);
    expect(send()).toEqual(['ping']);
    expect(calls.probes).toBe(0);
    expect(deadBefore).toBe(0);
    expect(calls.dead).toEqual([9_000]);
  });

  it('client-ping: a pong (any frame) after the probe keeps it alive', () => {
    // Prepare
    const { hooks, calls, send } = hooksOf();
    const heartbeat = new ConnectionHeartbeat({ keepalive: { ...clientPing, intervalMs: 60_000 }, liveness, scheduler: systemScheduler }, hooks);
    heartbeat.start();

    // Act
    for (let t = 0; t < 120_000; t += 100) {
      jest.advanceTimersByTime(100);
      if (send().length > 0) heartbeat.received();
    }

    // Assert
    expect(calls.dead).toEqual([]);
  });

  it('voids a ping still queued when stopped, and pings again after a restart', () => {
    // Prepare
    const { hooks, queued } = hooksOf();
    const heartbeat = new ConnectionHeartbeat({ keepalive: clientPing, liveness, scheduler: systemScheduler }, hooks);
    heartbeat.start();
    jest.advanceTimersByTime(2_000);
    const stale = queued.splice(0);

    // Act
    heartbeat.stop();
    heartbeat.start();
    jest.advanceTimersByTime(2_000);

    // Assert
    expect(stale.map((body) => (typeof body === 'string' ? body : body()))).toEqual([undefined]);
    expect(queued.map((body) => (typeof body === 'string' ? body : body()))).toEqual(['ping']);
  });
});
