import { EventEmitter } from 'node:events';
import {
  type ConnectionState,
  type ConnectionStatus,
  ConnectionOptionsError,
  ConnectionPool,
  type ConnectionPoolOptions,
  type PoolConnection,
  type StreamConnectionEvents,
  type StreamConnectionOptions,
} from '../../../../services/collector/connection';
import { CollectorMetrics } from '../../../../services/collector/metrics';
import { createLogger } from '../../../../services/shared';
import { streamsOf, testClock, testProtocol } from './fakes';

const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });

/**
 * The exchange's view of which connection serves which stream: a stream counts as
 * served by a connection once that connection's subscription was acknowledged.
 * Records every moment a connection stops serving a stream (unsubscribe, close)
 * while no other connection serves it: a window in which trades would be lost.
 */
class WireCheck {
  readonly violations: string[] = [];
  private readonly served = new Map<string, Set<string>>();
  private readonly unwanted = new Set<string>();

  acknowledged(connection: FakeConnection): void {
    for (const stream of connection.streams) {
      if (this.unwanted.has(stream)) continue;
      const holders = this.served.get(stream) ?? new Set<string>();
      holders.add(connection.id);
      this.served.set(stream, holders);
    }
  }

  released(connection: FakeConnection, streams: Iterable<string>): void {
    for (const stream of streams) {
      const holders = this.served.get(stream);
      if (!holders?.delete(connection.id)) continue;
      if (holders.size === 0) this.violations.push(`${connection.id} dropped ${stream} before another connection acknowledged it`);
    }
  }

  /** Streams no longer wanted at all may be dropped. */
  forget(streams: Iterable<string>): void {
    for (const stream of streams) {
      this.served.delete(stream);
      this.unwanted.add(stream);
    }
  }
}

/** A connection the test drives: it only records what the pool asks of it. */
class FakeConnection extends EventEmitter<StreamConnectionEvents> implements PoolConnection {
  readonly id: string;
  state: ConnectionState = 'closed';
  readonly streams: Set<string>;
  pending = 0;
  started = false;
  closeCalls: Array<{ unsubscribe?: boolean }> = [];
  readonly calls: Array<['subscribe' | 'unsubscribe', string[]]> = [];

  constructor(
    readonly options: StreamConnectionOptions,
    private readonly log: string[],
    private readonly wire?: WireCheck,
  ) {
    super();
    this.id = options.id;
    this.streams = new Set(options.streams);
    this.pending = this.streams.size;
  }

  get fullySubscribed(): boolean {
    return this.state === 'open' && this.pending === 0;
  }

  start(): void {
    this.started = true;
    this.log.push(`start ${this.id}`);
    this.set('connecting');
  }

  subscribe(streams: Iterable<string>): void {
    const list = [...streams];
    this.calls.push(['subscribe', list]);
    for (const s of list) this.streams.add(s);
    this.pending += list.length;
  }

  unsubscribe(streams: Iterable<string>): void {
    const list = [...streams];
    this.calls.push(['unsubscribe', list]);
    this.wire?.released(this, list);
    for (const s of list) this.streams.delete(s);
  }

  /** The server acknowledged everything (nothing once the pool closed it). */
  ack(): void {
    if (this.closeCalls.length > 0) return;
    this.pending = 0;
    this.wire?.acknowledged(this);
    if (this.state !== 'open') this.set('open');
    this.emit('acknowledged');
  }

  set(state: ConnectionState): void {
    const previous = this.state;
    this.state = state;
    this.emit('state', state, previous);
  }

  close(options: { unsubscribe?: boolean } = {}): Promise<void> {
    this.closeCalls.push(options);
    this.log.push(`close ${this.id}`);
    this.wire?.released(this, this.streams);
    this.set('closed');
    return Promise.resolve();
  }

  status(): ConnectionStatus {
    return { id: this.id, state: this.state, streams: this.streams.size, pendingStreams: this.pending, lastMessageAt: null, reconnects: 0, connectedAt: null, messages: 0, rejected: 0 };
  }
}

function setup(options: Partial<ConnectionPoolOptions> = {}) {
  const log: string[] = [];
  const created: FakeConnection[] = [];
  const wire = new WireCheck();
  const metrics = new CollectorMetrics({ collectDefaults: false });
  const pool = new ConnectionPool({
    protocol: testProtocol(),
    baseWsUrl: 'ws://fake',
    onTrade: () => undefined,
    clock: testClock(),
    metrics,
    logger,
    createConnection: (o) => {
      const connection = new FakeConnection(o, log, wire);
      created.push(connection);
      log.push(`create ${o.id}`);
      return connection;
    },
    ...options,
  });
  const states: string[] = [];
  pool.on('state', (s) => states.push(s));
  return { pool, created, log, metrics, states, wire };
}

const byId = (created: FakeConnection[], id: string): FakeConnection => created.find((c) => c.id === id) as FakeConnection;

async function gauge(metrics: CollectorMetrics, state: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'collector_connections');
  return (metric?.values as Array<{ value: number; labels: Record<string, string> }>).find((v) => v.labels.state === state)?.value ?? 0;
}

describe('ConnectionPool', () => {
  it('shards 1000 streams over 5 connections of 200 and is ready once all are acknowledged', async () => {
    const { pool, created, states, metrics } = setup();
    pool.setStreams(streamsOf(1000));
    pool.start();
    expect(created).toHaveLength(5);
    expect(created.every((c) => c.streams.size === 200 && c.started)).toBe(true);
    // The pool keeps its own (changeable) limit; a connection only refuses more than the exchange allows.
    expect(created[0]!.options).toMatchObject({ maxStreams: 1024, metricsLabel: 's1' });
    created.slice(0, 4).forEach((c) => c.ack());
    expect(pool.ready).toBe(false);
    expect(await gauge(metrics, 'open')).toBe(4);
    expect(await gauge(metrics, 'connecting')).toBe(1);
    created[4]!.ack();
    expect(pool.ready).toBe(true);
    expect(states).toEqual(['starting', 'ready']);
    // A connection that drops makes the pool degraded until it is back.
    created[2]!.set('reconnecting');
    expect(pool.state).toBe('degraded');
    created[2]!.ack();
    expect(pool.state).toBe('ready');
    expect(pool.status()).toMatchObject({ state: 'ready', streams: 1000, shards: 5 });
  });

  it('never exceeds maxStreamsPerConnection and refuses a value above the protocol limit', () => {
    const { pool, created } = setup({ maxStreamsPerConnection: 150 });
    pool.setStreams(streamsOf(1000));
    expect(Math.max(...created.map((c) => c.streams.size))).toBeLessThanOrEqual(150);
    expect(created.reduce((n, c) => n + c.streams.size, 0)).toBe(1000);
    expect(() => setup({ maxStreamsPerConnection: 2000 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });

  it('applies a stream-set change only to the connections that gain or lose streams', () => {
    const { pool, created } = setup();
    pool.setStreams(streamsOf(1000));
    pool.start();
    created.forEach((c) => c.ack());
    const s2 = byId(created, 's2.1');
    const removed = [...s2.streams].slice(0, 20);
    const kept = streamsOf(1000).filter((s) => !removed.includes(s));
    pool.setStreams([...kept, ...streamsOf(5, 5000)]);
    const touched = created.filter((c) => c.calls.length > 0);
    expect(touched.map((c) => c.id)).toEqual(['s2.1']);
    expect(s2.calls).toEqual([
      ['unsubscribe', removed],
      ['subscribe', streamsOf(5, 5000)],
    ]);
    expect(created).toHaveLength(5);
    // Adding more than the room opens new connections only for the excess.
    pool.setStreams([...kept, ...streamsOf(5, 5000), ...streamsOf(215, 6000)]);
    expect(created).toHaveLength(6);
    expect(created[5]!.streams.size).toBe(200);
    expect(created.every((c) => c.streams.size <= 200)).toBe(true);
  });

  it('closes connections left empty and rebalances when shards become very unbalanced', async () => {
    const { pool, created, log } = setup();
    pool.setStreams(streamsOf(1000));
    pool.start();
    created.forEach((c) => c.ack());
    // Keep all of s1 and only 10 streams of each other shard: 240 streams on 5 connections.
    const keep = [...created[0]!.streams, ...created.slice(1).flatMap((c) => [...c.streams].slice(0, 10))];
    pool.setStreams(keep);
    expect(created).toHaveLength(5);
    const draining = pool.status().connections.filter((c) => c.role === 'retiring');
    expect(draining.length).toBe(2);
    // Drained connections stay until the shards that took their streams are acknowledged.
    expect(log.filter((l) => l.startsWith('close'))).toEqual([]);
    created.forEach((c) => c.ack());
    await Promise.resolve();
    expect(log.filter((l) => l.startsWith('close')).sort()).toEqual(draining.map((c) => `close ${c.id}`).sort());
    const assignment = pool.assignment();
    expect(assignment.size).toBe(3);
    expect(new Set([...assignment.values()].flatMap((s) => [...s]))).toEqual(new Set(keep));
    // Remove everything of one shard: it is closed.
    const [firstShard] = [...assignment.keys()];
    const rest = keep.filter((s) => !assignment.get(firstShard!)!.has(s));
    pool.setStreams(rest);
    expect(pool.assignment().has(firstShard!)).toBe(false);
  });

  it('rotates make-before-break: the old connection closes only after the replacement is acknowledged', async () => {
    const { pool, created, log, metrics } = setup();
    const rotated: string[] = [];
    pool.on('rotated', (shard, reason, oldId, newId) => rotated.push(`${shard} ${reason} ${oldId}->${newId}`));
    pool.setStreams(streamsOf(300));
    pool.start();
    created.forEach((c) => c.ack());
    const old = byId(created, 's1.1');
    old.emit('rotate', 'server_shutdown');
    old.emit('rotate', 'server_shutdown');
    expect(created).toHaveLength(3);
    const replacement = byId(created, 's1.2');
    expect(replacement.streams).toEqual(old.streams);
    expect(replacement.started).toBe(true);
    // A stream-set change during the rotation reaches both connections of the shard.
    pool.setStreams([...streamsOf(300), 'late@aggTrade']);
    expect(old.calls.at(-1)).toEqual(['subscribe', ['late@aggTrade']]);
    expect(replacement.calls.at(-1)).toEqual(['subscribe', ['late@aggTrade']]);
    replacement.set('subscribing');
    expect(log).not.toContain('close s1.1');
    expect(pool.ready).toBe(true);
    replacement.ack();
    expect(log.slice(-1)).toEqual(['close s1.1']);
    expect(log.indexOf('close s1.1')).toBeGreaterThan(log.indexOf('start s1.2'));
    expect(old.closeCalls).toEqual([{ unsubscribe: false, timeoutMs: 5_000 }]);
    expect(rotated).toEqual(['s1 server_shutdown s1.1->s1.2']);
    expect(pool.ready).toBe(true);
    expect(pool.status().connections.find((c) => c.shard === 's1')).toMatchObject({ id: 's1.2', role: 'active' });
    const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'collector_connection_rotations_total');
    expect(metric?.values).toEqual([expect.objectContaining({ value: 1, labels: { reason: 'server_shutdown' } })]);
  });

  it('stays ready while the old connection serves during a rotation, even if the old one drops', () => {
    const { pool, created } = setup();
    pool.setStreams(streamsOf(100));
    pool.start();
    created[0]!.ack();
    created[0]!.emit('rotate', 'max_age');
    const replacement = created[1]!;
    replacement.ack();
    expect(pool.ready).toBe(true);
    expect(created[0]!.state).toBe('closed');
    // The new active one asks for its own rotation later.
    replacement.emit('rotate', 'max_age');
    expect(created).toHaveLength(3);
  });

  it('stop unsubscribes and closes every connection and ends in stopped', async () => {
    const { pool, created, states } = setup();
    pool.setStreams(streamsOf(500));
    pool.start();
    created.forEach((c) => c.ack());
    created[0]!.emit('rotate', 'max_age');
    await pool.stop(1_000);
    expect(created).toHaveLength(4);
    expect(created.every((c) => c.closeCalls.some((o) => o.unsubscribe === true))).toBe(true);
    expect(states.slice(-2)).toEqual(['stopping', 'stopped']);
    // Rotation requests after stop are ignored.
    created[1]!.emit('rotate', 'max_age');
    expect(created).toHaveLength(4);
  });
});

/** A small seeded PRNG so the randomized test is reproducible. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ConnectionPool.setMaxStreamsPerConnection', () => {
  const live = (created: FakeConnection[]): FakeConnection[] => created.filter((c) => c.state !== 'closed');
  const unsubscribed = (connection: FakeConnection): string[] => connection.calls.filter(([method]) => method === 'unsubscribe').flatMap(([, streams]) => streams);

  /** How many live connections carry each stream. */
  function carriers(created: FakeConnection[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const connection of live(created)) for (const stream of connection.streams) counts.set(stream, (counts.get(stream) ?? 0) + 1);
    return counts;
  }

  function running(max: number, streams: string[]) {
    const context = setup({ maxStreamsPerConnection: max });
    context.pool.setStreams(streams);
    context.pool.start();
    context.created.forEach((c) => c.ack());
    return context;
  }

  it('lowering 200 to 50 moves the excess make-before-break and ends with every stream on one connection of at most 50', async () => {
    // Prepare: 300 streams on two connections of 150.
    const { pool, created, log, wire } = running(200, streamsOf(300));
    expect(created.map((c) => c.streams.size)).toEqual([150, 150]);
    const [s1, s2] = created as [FakeConnection, FakeConnection];

    // Act
    pool.setMaxStreamsPerConnection(50);

    // Assert: the plan holds at most 50 per connection at once, the new owners subscribe first,
    // and the over-full connections still carry everything.
    expect(pool.maxStreamsPerConnection).toBe(50);
    expect([...pool.assignment().values()].map((s) => s.size)).toEqual([50, 50, 50, 50, 50, 50]);
    const targets = created.slice(2);
    expect(targets.map((c) => [c.id, c.streams.size, c.started])).toEqual([
      ['s3.1', 50, true],
      ['s4.1', 50, true],
      ['s5.1', 50, true],
      ['s6.1', 50, true],
    ]);
    expect([s1.streams.size, s2.streams.size]).toEqual([150, 150]);
    expect(unsubscribed(s1)).toEqual([]);
    expect(unsubscribed(s2)).toEqual([]);

    // Act: the new owners of s1's excess (s3, s4) and s2's (s5, s6) are acknowledged one by one.
    const s3 = byId(created, 's3.1');
    s3.ack();

    // Assert: s1 gives up exactly the streams s3 acknowledged; the rest wait for s4.
    expect(unsubscribed(s1).sort()).toEqual([...s3.streams].sort());
    expect(unsubscribed(s2)).toEqual([]);

    // Act
    byId(created, 's5.1').ack();
    byId(created, 's6.1').ack();

    // Assert
    expect(unsubscribed(s2)).toHaveLength(100);
    expect(unsubscribed(s1)).toHaveLength(50);

    // Act
    byId(created, 's4.1').ack();
    s1.ack();
    s2.ack();
    await Promise.resolve();

    // Assert
    expect(unsubscribed(s1)).toHaveLength(100);
    expect(wire.violations).toEqual([]);
    expect(created).toHaveLength(6);
    expect(log.filter((l) => l.startsWith('close'))).toEqual([]);
    expect(live(created).every((c) => c.streams.size <= 50)).toBe(true);
    const counts = carriers(created);
    expect(counts.size).toBe(300);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(pool.ready).toBe(true);
  });

  it('fills the room of other connections before opening new ones', () => {
    // Prepare: one connection of 100, one of 20.
    const { pool, created, wire } = running(200, streamsOf(100));
    pool.setStreams(streamsOf(120));
    expect(created.map((c) => c.streams.size)).toEqual([120]);
    const { pool: other, created: others, wire: otherWire } = running(100, streamsOf(120));
    expect(others.map((c) => c.streams.size)).toEqual([60, 60]);

    // Act
    other.setMaxStreamsPerConnection(40);
    pool.setMaxStreamsPerConnection(50);

    // Assert: 60+60 at 40 -> 2×20 excess into one new connection; 120 at 50 -> two new ones of 35.
    expect(others.slice(2).map((c) => c.streams.size)).toEqual([40]);
    expect(created.slice(1).map((c) => c.streams.size)).toEqual([35, 35]);
    others.forEach((c) => c.ack());
    created.forEach((c) => c.ack());
    expect(others.map((c) => c.streams.size)).toEqual([40, 40, 40]);
    expect(created.map((c) => c.streams.size)).toEqual([50, 35, 35]);
    expect([...wire.violations, ...otherWire.violations]).toEqual([]);
  });

  it('a rotation while streams are handed off keeps them on the replacement until their new owners are acknowledged', () => {
    // Prepare
    const { pool, created, log, wire } = running(200, streamsOf(200));
    const old = byId(created, 's1.1');
    pool.setMaxStreamsPerConnection(100);

    // Act: the over-full connection is rotated before the new owner is acknowledged.
    old.emit('rotate', 'server_shutdown');
    const replacement = byId(created, 's1.2');
    replacement.ack();

    // Assert: the replacement took over all 200 streams, so the old one could close.
    expect(replacement.streams.size).toBe(200);
    expect(log).toContain('close s1.1');
    expect(unsubscribed(replacement)).toEqual([]);

    // Act
    byId(created, 's2.1').ack();

    // Assert
    expect(unsubscribed(replacement)).toHaveLength(100);
    expect(wire.violations).toEqual([]);
    expect(live(created).map((c) => [c.id, c.streams.size])).toEqual([
      ['s2.1', 100],
      ['s1.2', 100],
    ]);
  });

  it('raising merges only what the slack rule asks for and opens no connection', async () => {
    // Prepare: 300 streams on six connections of 50.
    const { pool, created, log, wire } = running(50, streamsOf(300));
    expect(created).toHaveLength(6);

    // Act: 300 / 60 = 5 connections needed, 6 are within the slack of 1.
    pool.setMaxStreamsPerConnection(60);

    // Assert: nothing moves.
    expect(pool.maxStreamsPerConnection).toBe(60);
    expect(created).toHaveLength(6);
    expect(created.every((c) => c.calls.length === 0)).toBe(true);

    // Act: 300 / 200 = 2 needed, 3 allowed.
    pool.setMaxStreamsPerConnection(200);

    // Assert: three connections are drained into the room of the other three, which are not restarted,
    // and the drained ones close only once those are acknowledged.
    expect(created).toHaveLength(6);
    const retiring = pool.status().connections.filter((c) => c.role === 'retiring');
    expect(retiring).toHaveLength(3);
    expect(log.filter((l) => l.startsWith('close'))).toEqual([]);
    created.forEach((c) => c.ack());
    await Promise.resolve();
    expect(log.filter((l) => l.startsWith('close')).sort()).toEqual(retiring.map((c) => `close ${c.id}`).sort());
    expect(live(created)).toHaveLength(3);
    expect(live(created).every((c) => c.streams.size <= 200)).toBe(true);
    expect(log.filter((l) => l.startsWith('start'))).toHaveLength(6);
    expect([...carriers(created).values()].every((n) => n === 1)).toBe(true);
    expect(carriers(created).size).toBe(300);
    expect(wire.violations).toEqual([]);
  });

  it('a change of mind while streams are handed off converges without a gap', async () => {
    // Prepare: lowered, nothing acknowledged yet.
    const { pool, created, wire } = running(200, streamsOf(300));
    pool.setMaxStreamsPerConnection(50);

    // Act: raised again before the new owners answer, then everything is acknowledged.
    pool.setMaxStreamsPerConnection(150);
    created.forEach((c) => c.ack());
    live(created).forEach((c) => c.ack());
    await Promise.resolve();

    // Assert
    expect(wire.violations).toEqual([]);
    expect(live(created).every((c) => c.streams.size <= 150)).toBe(true);
    const counts = carriers(created);
    expect(counts.size).toBe(300);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(pool.status().connections.every((c) => c.role === 'active')).toBe(true);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random limit changes, stream changes, rotations and acknowledgements never open a gap (seed %p)', async (seed) => {
    // Prepare: a seeded sequence of events against a running pool.
    const random = mulberry32(seed);
    const pick = <T,>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
    const { pool, created, wire } = running(100, streamsOf(300));
    let desired = streamsOf(300);

    // Act
    for (let i = 0; i < 300; i += 1) {
      const roll = random();
      if (roll < 0.25) {
        pool.setMaxStreamsPerConnection(1 + Math.floor(random() * 160));
      } else if (roll < 0.35) {
        const dropped = desired.filter(() => random() < 0.1);
        desired = [...desired.filter((s) => !dropped.includes(s)), ...streamsOf(Math.floor(random() * 40), 1000 + i * 40)];
        wire.forget(dropped);
        pool.setStreams(desired);
      } else if (roll < 0.4) {
        const shardConnections = pool.status().connections.filter((c) => c.role === 'active');
        if (shardConnections.length > 0) byId(created, pick(shardConnections).id).emit('rotate', 'max_age');
      } else {
        const candidates = live(created);
        if (candidates.length > 0) pick(candidates).ack();
      }
    }
    for (let round = 0; round < 20; round += 1) live(created).forEach((c) => c.ack());
    await Promise.resolve();

    // Assert
    expect(wire.violations).toEqual([]);
    const max = pool.maxStreamsPerConnection;
    expect(live(created).every((c) => c.streams.size <= max)).toBe(true);
    const counts = carriers(created);
    expect(new Set(counts.keys())).toEqual(new Set(desired));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(pool.status().connections.every((c) => c.role === 'active')).toBe(true);
    expect(live(created).length).toBeLessThanOrEqual(Math.ceil(desired.length / max) + 1);
  });

  it('before start the limit applies without any handoff', () => {
    // Prepare
    const { pool, created } = setup({ maxStreamsPerConnection: 200 });
    pool.setStreams(streamsOf(300));

    // Act
    pool.setMaxStreamsPerConnection(100);

    // Assert
    expect(created.map((c) => c.streams.size)).toEqual([100, 100, 100]);
    expect(created.every((c) => !c.started)).toBe(true);
  });

  it.each([0, -5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 1025])('refuses %p with the typed error and changes nothing', (value) => {
    // Prepare
    const { pool, created } = running(200, streamsOf(300));

    // Act
    const change = () => pool.setMaxStreamsPerConnection(value);

    // Assert
    expect(change).toThrow(ConnectionOptionsError);
    expect(change).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(pool.maxStreamsPerConnection).toBe(200);
    expect(created).toHaveLength(2);
    expect(created.every((c) => c.calls.length === 0)).toBe(true);
  });

  it('after stop the value is kept and nothing is re-planned', async () => {
    // Prepare
    const { pool, created } = running(200, streamsOf(300));
    await pool.stop(1_000);

    // Act
    pool.setMaxStreamsPerConnection(50);

    // Assert
    expect(pool.maxStreamsPerConnection).toBe(50);
    expect(created).toHaveLength(2);
  });
});
