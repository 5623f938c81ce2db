import { EventEmitter } from 'node:events';
import {
  type ConnectionState,
  type ConnectionStatus,
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

/** A connection the test drives: it only records what the pool asks of it. */
class FakeConnection extends EventEmitter<StreamConnectionEvents> implements PoolConnection {
  readonly id: string;
  state: ConnectionState = 'closed';
  readonly streams: Set<string>;
  pending = 0;
  started = false;
  closeCalls: Array<{ unsubscribe?: boolean }> = [];
  readonly calls: Array<['subscribe' | 'unsubscribe', string[]]> = [];

  constructor(readonly options: StreamConnectionOptions, private readonly log: string[]) {
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
    for (const s of list) this.streams.delete(s);
  }

  /** The server acknowledged everything. */
  ack(): void {
    this.pending = 0;
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
  const metrics = new CollectorMetrics({ collectDefaults: false });
  const pool = new ConnectionPool({
    protocol: testProtocol(),
    baseWsUrl: 'ws://fake',
    onTrade: () => undefined,
    clock: testClock(),
    metrics,
    logger,
    createConnection: (o) => {
      const connection = new FakeConnection(o, log);
      created.push(connection);
      log.push(`create ${o.id}`);
      return connection;
    },
    ...options,
  });
  const states: string[] = [];
  pool.on('state', (s) => states.push(s));
  return { pool, created, log, metrics, states };
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
    expect(created[0]!.options).toMatchObject({ maxStreams: 200, metricsLabel: 's1' });
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
