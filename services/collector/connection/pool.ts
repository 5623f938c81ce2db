import { EventEmitter } from 'node:events';
import { type Logger, createLogger, errorMessage } from '../../shared';
import type { Trade } from '../domain';
import type { ExchangeStreamProtocol } from '../exchange';
import type { CollectorMetrics } from '../metrics';
import { ConnectionAttemptLimiter } from './attempt-limiter';
import { ConnectionOptionsError } from './errors';
import type { ExchangeClock, Scheduler } from './scheduler';
import { systemScheduler } from './scheduler';
import { planShards } from './sharding';
import {
  CONNECTION_STATES,
  type ConnectionState,
  type ConnectionStatus,
  type RotationReason,
  StreamConnection,
  type StreamConnectionEvents,
  type StreamConnectionOptions,
} from './stream-connection';

/** Added to the exchange's connection-attempt window; see the ConnectionAttemptLimiter of the pool. */
const ATTEMPT_WINDOW_MARGIN_MS = 250;

/** What the pool needs of a connection; `StreamConnection` in production, fakes in unit tests. */
export interface PoolConnection {
  readonly id: string;
  readonly state: ConnectionState;
  readonly streams: ReadonlySet<string>;
  readonly fullySubscribed: boolean;
  start(): void;
  subscribe(streams: Iterable<string>): void;
  unsubscribe(streams: Iterable<string>): void;
  close(options?: { unsubscribe?: boolean; timeoutMs?: number }): Promise<void>;
  status(): ConnectionStatus;
  on<K extends keyof StreamConnectionEvents>(event: K, listener: (...args: StreamConnectionEvents[K]) => void): unknown;
  removeAllListeners(): unknown;
}

export type PoolState = 'idle' | 'starting' | 'ready' | 'degraded' | 'stopping' | 'stopped';
export type ConnectionRole = 'active' | 'replacement' | 'retiring';

export interface PoolConnectionStatus extends ConnectionStatus {
  shard: string;
  role: ConnectionRole;
}

export interface PoolStatus {
  state: PoolState;
  streams: number;
  shards: number;
  connections: PoolConnectionStatus[];
}

export interface ConnectionPoolEvents {
  state: [state: PoolState, previous: PoolState];
  connectionState: [connectionId: string, state: ConnectionState, previous: ConnectionState];
  rotated: [shard: string, reason: RotationReason, oldId: string, newId: string];
}

/** Per-connection settings passed through to every `StreamConnection`. */
export type ConnectionSettings = Partial<
  Pick<
    StreamConnectionOptions,
    'backoff' | 'pacer' | 'liveness' | 'requestTimeoutMs' | 'requestRetryMs' | 'maxOutstandingRequests' | 'maxClockDistanceMs' | 'rotateBeforeMs' | 'rotateJitterMs' | 'socketFactory' | 'random'
  >
>;

export interface ConnectionPoolOptions {
  protocol: ExchangeStreamProtocol;
  baseWsUrl: string;
  onTrade: (trade: Trade) => void;
  clock: ExchangeClock;
  metrics?: CollectorMetrics;
  logger?: Logger;
  scheduler?: Scheduler;
  /** Default 200 (MAX_STREAMS_PER_CONNECTION); never above the protocol's limit. Changed live with `setMaxStreamsPerConnection`. */
  maxStreamsPerConnection?: number;
  /** Connections above ceil(streams / max) tolerated before shards are merged. Default 1. */
  slackShards?: number;
  /** Default: 5/6 of the protocol's limit (250 of Binance's 300 per 5 min), shared by every connection of the pool. */
  attemptLimiter?: ConnectionAttemptLimiter;
  connection?: ConnectionSettings;
  /** Replaces `new StreamConnection(options)`; for tests. */
  createConnection?: (options: StreamConnectionOptions) => PoolConnection;
}

interface Shard {
  id: string;
  streams: Set<string>;
  active: PoolConnection;
  replacement?: { connection: PoolConnection; reason: RotationReason };
  generation: number;
}

/**
 * The collector's exchange connections: the desired stream set sharded over
 * connections of at most `maxStreamsPerConnection` streams.
 *
 * - `setStreams` applies only the difference; connections that neither gain nor
 *   lose a stream are not touched.
 * - Rotation is make-before-break (on `serverShutdown`, and before the protocol's
 *   connection age limit): the replacement subscribes the same streams and the old
 *   connection closes only once the replacement is acknowledged. Both deliver the
 *   same trades for a moment; that is safe because trades are deduplicated
 *   downstream by trade id.
 * - Streams that change connection move make-before-break too, by one rule: a
 *   connection gives a stream up (UNSUBSCRIBE, or closing) only once the shard the
 *   stream is planned on now has acknowledged it, whatever happened to the plan
 *   meanwhile. That covers merging shards (the drained connection retires and
 *   closes when all its streams are acknowledged elsewhere) and lowering the limit.
 * - `setMaxStreamsPerConnection` re-plans live. Lowering moves the streams above
 *   the new limit off each over-full connection (to other shards with room first,
 *   then new ones); the over-full one keeps carrying them (a handoff) until their
 *   new owners are acknowledged. Raising touches nothing by itself; shards are
 *   merged only under the usual slack rule. Each connection accepts up to the
 *   protocol's limit, the pool keeps them within its own.
 * - `ready` while every shard has an open connection (connected, and every stream it
 *   had when it connected acknowledged); `degraded` after that whenever one has not
 *   (reconnecting, resubscribing). Streams added at run time to an open connection
 *   do not make the pool degraded while their SUBSCRIBE is in flight: a config
 *   change is not an outage.
 */
export class ConnectionPool extends EventEmitter<ConnectionPoolEvents> {
  private maxStreams: number;
  private readonly options: ConnectionPoolOptions;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly attemptLimiter: ConnectionAttemptLimiter;
  private readonly shards = new Map<string, Shard>();
  /** Connections of shards that left the plan; each closes once its streams are acknowledged elsewhere. */
  private readonly retiring = new Set<PoolConnection>();
  /** Shard -> streams it no longer plans to carry but its connections still hold until their new owners are acknowledged. */
  private readonly handoffs = new Map<string, Set<string>>();
  private readonly desired = new Set<string>();
  private stateValue: PoolState = 'idle';
  private running = false;
  private readonly generations = new Map<string, number>();
  private stopping: Promise<void> | undefined;
  /** While a plan is half applied, connection events must not release anything; the plan's end does. */
  private planning = false;

  constructor(options: ConnectionPoolOptions) {
    super();
    this.options = options;
    this.maxStreams = validMaxStreams(options.maxStreamsPerConnection ?? Math.min(200, options.protocol.maxStreamsPerConnection), options.protocol);
    this.scheduler = options.scheduler ?? systemScheduler;
    this.logger = options.logger ?? createLogger({ serviceName: 'collector' });
    this.attemptLimiter =
      options.attemptLimiter ??
      new ConnectionAttemptLimiter({
        maxAttempts: Math.max(1, Math.floor((options.protocol.maxConnectionAttempts * 5) / 6)),
        // The exchange counts arrivals, not our slots: a connect that took longer than
        // the next one lands closer to it, which in a one-second window (OKX: 3 a
        // second) can put one attempt too many in it. The margin absorbs that jitter.
        windowMs: options.protocol.connectionAttemptWindowMs + ATTEMPT_WINDOW_MARGIN_MS,
        scheduler: this.scheduler,
      });
  }

  get state(): PoolState {
    return this.stateValue;
  }

  /** The current limit of streams a connection is planned to carry. */
  get maxStreamsPerConnection(): number {
    return this.maxStreams;
  }

  get ready(): boolean {
    return this.stateValue === 'ready';
  }

  /** Every connection the pool holds, whatever its role. */
  connections(): PoolConnection[] {
    const list: PoolConnection[] = [];
    for (const shard of this.shards.values()) {
      list.push(shard.active);
      if (shard.replacement) list.push(shard.replacement.connection);
    }
    for (const connection of this.retiring) list.push(connection);
    return list;
  }

  /** Shard id -> streams, as planned (what each shard is meant to carry). */
  assignment(): Map<string, ReadonlySet<string>> {
    return new Map([...this.shards].map(([id, shard]) => [id, shard.streams]));
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.setState('starting');
    for (const connection of this.connections()) connection.start();
    this.evaluate();
  }

  /** Makes `streams` the pool's stream set, touching only the connections that gain or lose one. */
  setStreams(streams: Iterable<string>): void {
    if (this.stopping) return;
    this.desired.clear();
    for (const stream of streams) this.desired.add(stream);
    this.replan();
  }

  /**
   * Changes the limit live (see the class comment). The moves go through the
   * connections' paced requests and new connections through the shared attempt
   * limiter, so even a large change stays within the exchange's limits.
   * @throws ConnectionOptionsError unless `max` is an integer 1..the protocol's limit; nothing changes then.
   */
  setMaxStreamsPerConnection(max: number): void {
    const next = validMaxStreams(max, this.options.protocol);
    if (next === this.maxStreams) return;
    const previous = this.maxStreams;
    this.maxStreams = next;
    this.logger.info('maxStreamsPerConnection changed', { previous, current: next, streams: this.desired.size, shards: this.shards.size });
    if (this.stopping) return;
    this.replan();
  }

  private replan(): void {
    this.planning = true;
    try {
      this.applyPlan();
    } finally {
      this.planning = false;
    }
    this.checkHandoffs();
    this.checkRetiring();
    this.evaluate();
  }

  private applyPlan(): void {
    const plan = planShards(this.assignment(), this.desired, { maxPerShard: this.maxStreams, slackShards: this.options.slackShards });
    for (const [id, removed] of plan.remove) {
      const shard = this.shards.get(id) as Shard;
      for (const stream of removed) shard.streams.delete(stream);
      this.onShard(shard, (c) => c.unsubscribe(removed));
    }
    for (const [id, added] of plan.add) {
      const shard = this.shards.get(id) as Shard;
      for (const stream of added) shard.streams.add(stream);
      this.onShard(shard, (c) => c.subscribe(added));
    }
    for (const [id, moved] of plan.move) {
      const shard = this.shards.get(id) as Shard;
      // Out of the plan now; the connections keep them until their new owners are acknowledged.
      for (const stream of moved) shard.streams.delete(stream);
      if (!this.running) {
        // Nothing is subscribed yet: nothing to hand off.
        this.onShard(shard, (c) => c.unsubscribe(moved));
        continue;
      }
      const handoff = this.handoffs.get(id) ?? new Set<string>();
      for (const stream of moved) handoff.add(stream);
      this.handoffs.set(id, handoff);
      this.logger.info('moving streams above the per-connection limit', { shard: id, streams: moved.length, limit: this.maxStreams });
    }
    for (const streamsOfShard of plan.create) this.createShard(streamsOfShard);
    for (const { from, to } of plan.drain) {
      const source = this.shards.get(from) as Shard;
      for (const [target, moved] of to) {
        const shard = this.shards.get(target) as Shard;
        for (const stream of moved) shard.streams.add(stream);
        this.onShard(shard, (c) => c.subscribe(moved));
      }
      this.shards.delete(from);
      this.logger.info('draining shard for rebalance', { shard: from, into: [...to.keys()] });
      this.retireShard(source);
    }
    for (const id of plan.close) {
      const shard = this.shards.get(id);
      if (!shard) continue;
      this.shards.delete(id);
      this.retireShard(shard);
    }
  }

  status(): PoolStatus {
    const connections: PoolConnectionStatus[] = [];
    for (const shard of this.shards.values()) {
      connections.push({ ...shard.active.status(), shard: shard.id, role: 'active' });
      if (shard.replacement) connections.push({ ...shard.replacement.connection.status(), shard: shard.id, role: 'replacement' });
    }
    for (const connection of this.retiring) connections.push({ ...connection.status(), shard: '', role: 'retiring' });
    return { state: this.stateValue, streams: this.desired.size, shards: this.shards.size, connections };
  }

  /** Resolves when the pool is ready; never rejects, the caller owns any deadline. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (state: PoolState): void => {
        if (state !== 'ready') return;
        this.off('state', listener);
        resolve();
      };
      this.on('state', listener);
    });
  }

  /** Unsubscribes and closes every connection, each within `timeoutMs`, and never rejects. */
  stop(timeoutMs = 5_000): Promise<void> {
    if (this.stopping) return this.stopping;
    this.running = false;
    this.setState('stopping');
    const all = this.connections();
    this.stopping = Promise.all(all.map((c) => c.close({ unsubscribe: true, timeoutMs }).catch(() => undefined))).then(() => {
      this.shards.clear();
      this.retiring.clear();
      this.handoffs.clear();
      this.updateGauge();
      this.setState('stopped');
    });
    return this.stopping;
  }

  private onShard(shard: Shard, action: (connection: PoolConnection) => void): void {
    action(shard.active);
    if (shard.replacement) action(shard.replacement.connection);
  }

  private createShard(streams: string[]): Shard {
    // Lowest free shard id: the `connection` metric label stays a small fixed set across config changes.
    let n = 1;
    while (this.shards.has(`s${n}`)) n += 1;
    const id = `s${n}`;
    // Connection ids stay unique even when a shard id is reused (a retiring connection may still carry the old one).
    const generation = (this.generations.get(id) ?? 0) + 1;
    const shard: Shard = { id, streams: new Set(streams), generation, active: undefined as unknown as PoolConnection };
    shard.active = this.newConnection(shard, `${id}.${generation}`);
    this.shards.set(id, shard);
    if (this.running) shard.active.start();
    return shard;
  }

  private newConnection(shard: Shard, id: string): PoolConnection {
    this.generations.set(shard.id, shard.generation);
    const o = this.options;
    const connectionOptions: StreamConnectionOptions = {
      ...o.connection,
      id,
      metricsLabel: shard.id,
      protocol: o.protocol,
      baseWsUrl: o.baseWsUrl,
      // A replacement also takes over the streams still being handed off, so they stay subscribed.
      streams: this.carried(shard),
      onTrade: o.onTrade,
      clock: o.clock,
      metrics: o.metrics,
      logger: o.logger,
      scheduler: this.scheduler,
      attemptLimiter: this.attemptLimiter,
      // The exchange's hard limit: the pool's own limit changes live and is kept by the plan, and a
      // connection may carry more than it for a moment while streams are handed off after it was lowered.
      maxStreams: o.protocol.maxStreamsPerConnection,
    };
    const connection: PoolConnection = o.createConnection ? o.createConnection(connectionOptions) : new StreamConnection(connectionOptions);
    connection.on('state', (state, previous) => {
      this.emit('connectionState', connection.id, state, previous);
      this.updateGauge();
      this.onConnectionProgress(connection);
    });
    connection.on('acknowledged', () => this.onConnectionProgress(connection));
    connection.on('rotate', (reason) => this.rotate(connection, reason));
    return connection;
  }

  private shardOf(connection: PoolConnection): Shard | undefined {
    for (const shard of this.shards.values()) {
      if (shard.active === connection || shard.replacement?.connection === connection) return shard;
    }
    return undefined;
  }

  /** Make-before-break: only the active connection of a shard asks, and only one replacement runs at a time. */
  private rotate(connection: PoolConnection, reason: RotationReason): void {
    if (!this.running) return;
    const shard = this.shardOf(connection);
    if (!shard || shard.active !== connection || shard.replacement) return;
    shard.generation += 1;
    const replacement = this.newConnection(shard, `${shard.id}.${shard.generation}`);
    shard.replacement = { connection: replacement, reason };
    this.logger.info('rotating connection', { shard: shard.id, reason, old: connection.id, replacement: replacement.id });
    replacement.start();
    this.updateGauge();
  }

  private onConnectionProgress(connection: PoolConnection): void {
    const shard = this.shardOf(connection);
    if (shard?.replacement?.connection === connection && connection.state === 'open') {
      const old = shard.active;
      const reason = shard.replacement.reason;
      shard.active = connection;
      shard.replacement = undefined;
      this.options.metrics?.connectionRotations.inc({ reason });
      this.logger.info('rotation complete', { shard: shard.id, reason, old: old.id, active: connection.id });
      this.emit('rotated', shard.id, reason, old.id, connection.id);
      // The replacement carries every stream already: closing without UNSUBSCRIBE saves the old one's message budget.
      this.closeConnection(old);
    }
    if (this.planning) return;
    this.checkHandoffs();
    this.checkRetiring();
    this.evaluate();
  }

  /** Streams a shard's connections hold: its planned ones and those still being handed off. */
  private carried(shard: Shard): Set<string> {
    const streams = new Set(shard.streams);
    for (const stream of this.handoffs.get(shard.id) ?? []) streams.add(stream);
    return streams;
  }

  /** A shard left the plan: its connections (with whatever they still hand off) retire. */
  private retireShard(shard: Shard): void {
    this.handoffs.delete(shard.id);
    this.retiring.add(shard.active);
    if (shard.replacement) this.retiring.add(shard.replacement.connection);
  }

  private acknowledged(shard: Shard): boolean {
    return shard.active.fullySubscribed || shard.replacement?.connection.fullySubscribed === true;
  }

  /**
   * Whether a connection may give `stream` up: the stream is not wanted any more, or
   * the shard it is planned on has acknowledged it (all of its streams, in fact:
   * the connection interface reports acknowledgement per connection).
   */
  private releasable(owners: ReadonlyMap<string, Shard>): (stream: string) => boolean {
    return (stream) => {
      if (!this.desired.has(stream)) return true;
      const owner = owners.get(stream);
      return owner !== undefined && this.acknowledged(owner);
    };
  }

  private owners(): Map<string, Shard> {
    const owners = new Map<string, Shard>();
    for (const shard of this.shards.values()) for (const stream of shard.streams) owners.set(stream, shard);
    return owners;
  }

  /** Unsubscribes handed-off streams from their old connections as soon as their new owners are acknowledged. */
  private checkHandoffs(): void {
    if (this.handoffs.size === 0) return;
    const releasable = this.releasable(this.owners());
    for (const [id, streams] of [...this.handoffs]) {
      const shard = this.shards.get(id);
      if (!shard) {
        this.handoffs.delete(id);
        continue;
      }
      const release: string[] = [];
      for (const stream of streams) {
        // Planned back onto this very shard meanwhile: it simply stays.
        if (shard.streams.has(stream)) streams.delete(stream);
        else if (releasable(stream)) release.push(stream);
      }
      for (const stream of release) streams.delete(stream);
      if (streams.size === 0) this.handoffs.delete(id);
      if (release.length === 0) continue;
      this.logger.info('moved streams acknowledged by their new connections, unsubscribing them here', { shard: id, streams: release.length, stillMoving: streams.size });
      this.onShard(shard, (c) => c.unsubscribe(release));
    }
  }

  /**
   * Closes the retiring connections whose every stream is acknowledged elsewhere (or
   * no longer wanted), and those without a socket (connecting, reconnecting): they
   * serve nothing, and waiting would only spend a connection attempt.
   */
  private checkRetiring(): void {
    if (this.retiring.size === 0) return;
    const releasable = this.releasable(this.owners());
    for (const connection of [...this.retiring]) {
      // Closing emits state events that re-enter here; a connection handled meanwhile is gone.
      if (!this.retiring.has(connection)) continue;
      const serving = connection.state === 'open' || connection.state === 'subscribing';
      if (serving && ![...connection.streams].every(releasable)) continue;
      this.retiring.delete(connection);
      this.closeConnection(connection);
    }
  }

  private closeConnection(connection: PoolConnection): void {
    connection
      .close({ unsubscribe: false, timeoutMs: 5_000 })
      .catch((error: unknown) => this.logger.warn('closing connection failed', { connection: connection.id, error: errorMessage(error) }))
      .finally(() => {
        connection.removeAllListeners();
        this.updateGauge();
      });
    this.updateGauge();
  }

  private evaluate(): void {
    if (!this.running) return;
    let allSubscribed = true;
    for (const shard of this.shards.values()) {
      if (shard.active.state !== 'open' && shard.replacement?.connection.state !== 'open') {
        allSubscribed = false;
        break;
      }
    }
    if (allSubscribed) this.setState('ready');
    else if (this.stateValue === 'ready') this.setState('degraded');
  }

  private updateGauge(): void {
    const gauge = this.options.metrics?.connections;
    if (!gauge) return;
    const counts = new Map<ConnectionState, number>(CONNECTION_STATES.map((s) => [s, 0]));
    for (const connection of this.connections()) counts.set(connection.state, (counts.get(connection.state) ?? 0) + 1);
    for (const [state, count] of counts) gauge.set({ state }, count);
  }

  private setState(state: PoolState): void {
    const previous = this.stateValue;
    if (previous === state) return;
    this.stateValue = state;
    this.logger.info('connection pool state', { state, previous });
    this.emit('state', state, previous);
  }
}

function validMaxStreams(max: number, protocol: ExchangeStreamProtocol): number {
  const limit = protocol.maxStreamsPerConnection;
  if (!Number.isInteger(max) || max < 1 || max > limit) {
    throw new ConnectionOptionsError(`maxStreamsPerConnection must be an integer 1..${limit}, got ${max}`);
  }
  return max;
}
