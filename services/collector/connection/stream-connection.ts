import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { RawData } from 'ws';
import { type Logger, createLogger, errorMessage } from '../../shared';
import type { Trade } from '../domain';
import type { ExchangeStreamProtocol, FrameResult, ParseContext } from '../exchange';
import type { CollectorMetrics } from '../metrics';
import { ConnectionAttemptLimiter } from './attempt-limiter';
import { Backoff, type BackoffOptions } from './backoff';
import { ConnectionError, type ConnectionErrorCode, ConnectionOptionsError, positiveOption } from './errors';
import { type LivenessOptions, LivenessMonitor } from './liveness';
import { MessagePacer, type PacedMessage, type PacerOptions } from './pacer';
import { type ExchangeClock, type Scheduler, type TimerHandle, systemScheduler } from './scheduler';
import { SOCKET_OPEN, type SocketFactory, type SocketLike, wsSocketFactory } from './socket';

export type ConnectionState = 'connecting' | 'subscribing' | 'open' | 'reconnecting' | 'closing' | 'closed';
export const CONNECTION_STATES: readonly ConnectionState[] = ['connecting', 'subscribing', 'open', 'reconnecting', 'closing', 'closed'];

/** Why a socket was replaced; the label of `collector_reconnects_total{reason}`. */
export type DisconnectReason = 'liveness' | 'server_close' | 'socket_error' | 'connect_failed';
/** Why the owner should replace this connection make-before-break. */
export type RotationReason = 'server_shutdown' | 'max_age';

export interface ConnectionStatus {
  id: string;
  state: ConnectionState;
  /** Streams this connection is meant to carry. */
  streams: number;
  /** Of those, not yet acknowledged by the server on the current socket. */
  pendingStreams: number;
  /** Epoch ms of the last text message, null before the first. */
  lastMessageAt: number | null;
  reconnects: number;
  /** Epoch ms the current socket opened, null while there is none. */
  connectedAt: number | null;
  messages: number;
  /** Frames refused as invalid since the connection was created (all sockets). */
  rejected: number;
}

export interface StreamConnectionEvents {
  state: [state: ConnectionState, previous: ConnectionState];
  /** Every stream meant for this connection is acknowledged on the current socket. */
  acknowledged: [];
  rotate: [reason: RotationReason];
  closed: [];
}

export interface StreamConnectionOptions {
  id: string;
  protocol: ExchangeStreamProtocol;
  baseWsUrl: string;
  streams?: Iterable<string>;
  /**
   * Called synchronously for every accepted trade, in socket order. There is no
   * queue between socket and sink on purpose: the sink is synchronous and bounds
   * its own buffers, so backpressure is its decision and memory stays flat here.
   */
  onTrade: (trade: Trade) => void;
  clock: ExchangeClock;
  metrics?: CollectorMetrics;
  /** `connection` label of the message counter; a stable shard id keeps series bounded across rotations. Default `id`. */
  metricsLabel?: string;
  logger?: Logger;
  scheduler?: Scheduler;
  socketFactory?: SocketFactory;
  /** Share one per process so all connections stay under the exchange's per-IP attempt limit. */
  attemptLimiter?: ConnectionAttemptLimiter;
  backoff?: BackoffOptions;
  /** Default rate: the protocol's limit minus one. */
  pacer?: Omit<PacerOptions, 'scheduler'>;
  liveness?: Omit<LivenessOptions, 'scheduler'>;
  /** Streams this connection may hold. Default and ceiling: the protocol's limit. */
  maxStreams?: number;
  /** A SUBSCRIBE / UNSUBSCRIBE without a reply after this is retried. Default 10 s. */
  requestTimeoutMs?: number;
  /** First retry delay of a failed request, doubled per consecutive failure up to 30 s. Default 1 s. */
  requestRetryMs?: number;
  /** Requests awaiting a reply at once; the rest wait merged in pending sets. Default 4. */
  maxOutstandingRequests?: number;
  /** Largest tolerated |trade time - exchange clock|. Default 10 min. */
  maxClockDistanceMs?: number;
  /** Ask for rotation this long before the protocol's connection age limit. Default 10 min. */
  rotateBeforeMs?: number;
  /** Up to this much earlier again, at random, so connections opened together do not rotate together. Default 5 min. */
  rotateJitterMs?: number;
  random?: () => number;
}

interface PendingRequest {
  id: number;
  method: 'SUBSCRIBE' | 'UNSUBSCRIBE';
  streams: string[];
  sentAt: number;
  timer: TimerHandle | undefined;
}

const LOG_INTERVAL_MS = 10_000;
const MAX_RETRY_MS = 30_000;

/**
 * One exchange WebSocket carrying up to `maxStreams` streams. It keeps the set of
 * streams it is meant to carry and converges the server to it: batched, paced and
 * acknowledged SUBSCRIBE / UNSUBSCRIBE requests, failed ones retried, everything
 * resubscribed after a reconnect. It reconnects with backoff for ever; only `close`
 * ends it.
 *
 * Memory is bounded by the stream count: pending work lives in sets of streams
 * (a stream is in at most one of pending, in flight, acknowledged), requests in
 * flight are capped by `maxOutstandingRequests`, and the pacer's queue is bounded.
 */
export class StreamConnection extends EventEmitter<StreamConnectionEvents> {
  readonly id: string;
  readonly maxStreams: number;
  private readonly protocol: ExchangeStreamProtocol;
  private readonly options: StreamConnectionOptions;
  private readonly scheduler: Scheduler;
  private readonly socketFactory: SocketFactory;
  private readonly attemptLimiter: ConnectionAttemptLimiter;
  private readonly backoff: Backoff;
  private readonly pacer: MessagePacer;
  private readonly liveness: LivenessMonitor;
  private readonly logger: Logger;
  private readonly metrics: CollectorMetrics | undefined;
  private readonly messageCounter: { inc(): void } | undefined;
  private readonly requestTimeoutMs: number;
  private readonly requestRetryMs: number;
  private readonly maxOutstanding: number;
  private readonly maxClockDistanceMs: number;
  private readonly random: () => number;

  private stateValue: ConnectionState = 'closed';
  private started = false;
  private socket: SocketLike | undefined;
  private generation = 0;
  private readonly desired = new Set<string>();
  private readonly acked = new Set<string>();
  private readonly pendingSubscribe = new Set<string>();
  private readonly pendingUnsubscribe = new Set<string>();
  private readonly inFlightSubscribe = new Set<string>();
  private readonly inFlightUnsubscribe = new Set<string>();
  private readonly requests = new Map<number, PendingRequest>();
  private readonly retryTimers = new Set<TimerHandle>();
  private nextRequestId = 1;
  private slotQueued = false;
  private readonly probeIds = new Set<number>();
  private requestFailures = 0;
  private reconnectTimer: TimerHandle | undefined;
  private rotationTimer: TimerHandle | undefined;
  private rotationRequested = false;
  private lastMessageAt: number | null = null;
  private connectedAt: number | null = null;
  private reconnectCount = 0;
  private messageCount = 0;
  private rejectedCount = 0;
  private disconnectReason: DisconnectReason = 'server_close';
  private readonly lastLogAt = new Map<string, number>();
  private closing: Promise<void> | undefined;
  private closeRequested = false;
  private readonly parseContext: ParseContext;

  constructor(options: StreamConnectionOptions) {
    super();
    this.options = options;
    this.id = options.id;
    this.protocol = options.protocol;
    this.maxStreams = Math.floor(options.maxStreams ?? options.protocol.maxStreamsPerConnection);
    if (!(this.maxStreams >= 1 && this.maxStreams <= options.protocol.maxStreamsPerConnection)) {
      throw new ConnectionOptionsError(`maxStreams must be 1..${options.protocol.maxStreamsPerConnection}, got ${options.maxStreams}`);
    }
    this.scheduler = options.scheduler ?? systemScheduler;
    this.socketFactory = options.socketFactory ?? wsSocketFactory();
    this.attemptLimiter = options.attemptLimiter ?? new ConnectionAttemptLimiter({ scheduler: this.scheduler });
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff({ random: this.random, ...options.backoff });
    const rate = options.pacer?.ratePerSecond ?? Math.max(1, options.protocol.maxOutgoingMessagesPerSecond - 1);
    this.pacer = new MessagePacer((message) => this.transmit(message), { ...options.pacer, ratePerSecond: rate, scheduler: this.scheduler });
    // burst + rate is the most a one-second window can see; above the exchange's limit it would disconnect us.
    if (this.pacer.burst + this.pacer.ratePerSecond > options.protocol.maxOutgoingMessagesPerSecond) {
      throw new ConnectionOptionsError(
        `pacer burst (${this.pacer.burst}) + rate (${this.pacer.ratePerSecond}) exceeds the exchange's ${options.protocol.maxOutgoingMessagesPerSecond} messages a second`,
      );
    }
    this.liveness = new LivenessMonitor(
      () => this.probe(),
      (silentMs) => this.onDead(silentMs),
      { ...options.liveness, scheduler: this.scheduler },
    );
    this.metrics = options.metrics;
    this.messageCounter = options.metrics?.messages.labels(options.metricsLabel ?? options.id);
    this.logger = options.logger ? options.logger.createChild({ persistentKeys: { connectionId: options.id } }) : createLogger({ serviceName: 'collector', persistentKeys: { connectionId: options.id } });
    this.requestTimeoutMs = positiveOption('requestTimeoutMs', options.requestTimeoutMs ?? 10_000);
    this.requestRetryMs = positiveOption('requestRetryMs', options.requestRetryMs ?? 1_000);
    this.maxOutstanding = Math.max(1, Math.floor(positiveOption('maxOutstandingRequests', options.maxOutstandingRequests ?? 4)));
    this.maxClockDistanceMs = positiveOption('maxClockDistanceMs', options.maxClockDistanceMs ?? 600_000);
    this.parseContext = {
      receivedAt: 0,
      receivedAtMono: 0,
      exchangeNow: 0,
      maxClockDistanceMs: this.maxClockDistanceMs,
      clockSynchronized: false,
      // Streams being unsubscribed still deliver until the server acknowledges; they are known, not unknown.
      isKnownStream: (stream) => this.desired.has(stream) || this.acked.has(stream) || this.inFlightSubscribe.has(stream),
    };
    for (const stream of options.streams ?? []) this.desired.add(stream);
    if (this.desired.size > this.maxStreams) throw new ConnectionError('STREAM_LIMIT', `${this.desired.size} streams exceed the connection limit of ${this.maxStreams}`);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get streams(): ReadonlySet<string> {
    return this.desired;
  }

  /** Streams meant for this connection that the server has not acknowledged yet. */
  get pendingStreams(): number {
    let count = 0;
    for (const stream of this.desired) if (!this.acked.has(stream)) count += 1;
    return count;
  }

  get fullySubscribed(): boolean {
    return this.socket !== undefined && this.stateValue === 'open' && this.pendingStreams === 0;
  }

  status(): ConnectionStatus {
    return {
      id: this.id,
      state: this.stateValue,
      streams: this.desired.size,
      pendingStreams: this.pendingStreams,
      lastMessageAt: this.lastMessageAt,
      reconnects: this.reconnectCount,
      connectedAt: this.connectedAt,
      messages: this.messageCount,
      rejected: this.rejectedCount,
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.setState('connecting');
    this.connect();
  }

  /** Adds streams; they are subscribed now when the socket is up, else on the next connect. */
  subscribe(streams: Iterable<string>): void {
    if (this.closeRequested) throw new ConnectionError('CONNECTION_CLOSED', `connection ${this.id} is closing`);
    const added = [...streams].filter((s) => !this.desired.has(s));
    if (this.desired.size + added.length > this.maxStreams) {
      throw new ConnectionError('STREAM_LIMIT', `${this.desired.size + added.length} streams exceed the connection limit of ${this.maxStreams}`);
    }
    for (const stream of added) {
      this.desired.add(stream);
      if (this.pendingUnsubscribe.delete(stream)) continue;
      if (!this.acked.has(stream) && !this.inFlightSubscribe.has(stream) && !this.inFlightUnsubscribe.has(stream)) this.pendingSubscribe.add(stream);
    }
    this.pump();
  }

  unsubscribe(streams: Iterable<string>): void {
    for (const stream of streams) {
      if (!this.desired.delete(stream)) continue;
      this.pendingSubscribe.delete(stream);
      if (this.acked.has(stream) && !this.inFlightUnsubscribe.has(stream)) this.pendingUnsubscribe.add(stream);
    }
    this.pump();
    this.checkAcknowledged();
  }

  /**
   * Ends the connection for good: optionally unsubscribes first (waiting for the
   * replies at most half the deadline), then a close handshake, and a hard
   * terminate when the deadline passes. Never rejects.
   */
  close(options: { unsubscribe?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.closing;
    this.closeRequested = true;
    const timeoutMs = options.timeoutMs ?? 5_000;
    this.closing = this.doClose(options.unsubscribe ?? false, timeoutMs);
    return this.closing;
  }

  private async doClose(unsubscribe: boolean, timeoutMs: number): Promise<void> {
    const deadline = this.scheduler.now() + timeoutMs;
    this.scheduler.clearTimeout(this.reconnectTimer);
    this.scheduler.clearTimeout(this.rotationTimer);
    this.liveness.stop();
    const socket = this.socket;
    this.setState('closing');
    if (unsubscribe && socket && socket.readyState === SOCKET_OPEN && this.acked.size > 0) {
      this.unsubscribe([...this.desired]);
      await this.waitFor(() => this.acked.size === 0 || this.socket !== socket, timeoutMs / 2);
    }
    if (this.socket) {
      const current = this.socket;
      const closed = new Promise<void>((resolve) => current.on('close', () => resolve()));
      try {
        current.close(1000, 'client closing');
      } catch {
        // A socket still connecting throws on close(); terminate below handles it.
      }
      let timer: TimerHandle | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = this.scheduler.setTimeout(resolve, Math.max(0, deadline - this.scheduler.now()));
      });
      await Promise.race([closed, expired]);
      // A pending deadline timer would keep the process alive after a clean close.
      this.scheduler.clearTimeout(timer);
      this.dropSocket();
      current.terminate();
    }
    this.pacer.stop();
    this.setState('closed');
    this.emit('closed');
  }

  private connect(): void {
    if (this.closeRequested) return;
    const wait = this.attemptLimiter.reserve();
    if (wait > 0) {
      this.logOnce('attempt-limit', 'info', 'connection attempt delayed by the attempt limit', { waitMs: wait });
      this.reconnectTimer = this.scheduler.setTimeout(() => this.openSocket(), wait);
      this.reconnectTimer.unref?.();
    } else {
      this.openSocket();
    }
  }

  private openSocket(): void {
    this.reconnectTimer = undefined;
    if (this.closeRequested) return;
    if (this.stateValue !== 'connecting') this.setState('connecting');
    const generation = ++this.generation;
    let socket: SocketLike;
    try {
      socket = this.socketFactory(this.protocol.connectionUrl(this.options.baseWsUrl));
    } catch (error) {
      this.countError('SOCKET_ERROR', error);
      this.scheduleReconnect('connect_failed');
      return;
    }
    this.socket = socket;
    let opened = false;
    const current = (): boolean => generation === this.generation;
    socket.on('open', () => {
      if (!current()) return;
      opened = true;
      this.onOpen();
    });
    socket.on('message', (data, isBinary) => {
      if (current()) this.onMessage(data, isBinary);
    });
    socket.on('ping', (data) => {
      if (!current()) return;
      this.liveness.frame();
      this.pacer.pong(data);
    });
    socket.on('pong', () => {
      if (current()) this.liveness.frame();
    });
    socket.on('error', (error) => {
      if (!current()) return;
      this.disconnectReason = opened ? 'socket_error' : 'connect_failed';
      this.logOnce('socket-error', 'warn', 'socket error', { error: errorMessage(error) });
    });
    socket.on('close', (code) => {
      if (!current()) return;
      if (this.disconnectReason !== 'liveness' && this.disconnectReason !== 'socket_error' && this.disconnectReason !== 'connect_failed') {
        this.disconnectReason = opened ? 'server_close' : 'connect_failed';
      }
      this.logger.info('socket closed', { code, reason: this.disconnectReason });
      this.onSocketGone();
    });
    this.disconnectReason = 'server_close';
  }

  private onOpen(): void {
    const now = this.scheduler.now();
    this.connectedAt = now;
    this.backoff.connected(now);
    this.rotationRequested = false;
    this.liveness.start();
    this.armRotation(now);
    this.acked.clear();
    this.pendingUnsubscribe.clear();
    this.pendingSubscribe.clear();
    for (const stream of this.desired) this.pendingSubscribe.add(stream);
    this.setState(this.desired.size > 0 ? 'subscribing' : 'open');
    if (this.desired.size === 0) this.emit('acknowledged');
    this.pump();
  }

  private armRotation(openedAt: number): void {
    const maxAge = this.protocol.maxConnectionAgeMs;
    if (!Number.isFinite(maxAge) || maxAge <= 0) return;
    const before = Math.min(this.options.rotateBeforeMs ?? 600_000, maxAge / 2);
    const jitter = Math.min(this.options.rotateJitterMs ?? 300_000, maxAge / 4) * this.random();
    const dueAt = openedAt + maxAge - before - jitter;
    this.rotationTimer = this.scheduler.setTimeout(() => this.requestRotation('max_age'), dueAt - this.scheduler.now());
    this.rotationTimer.unref?.();
  }

  private requestRotation(reason: RotationReason): void {
    if (this.rotationRequested || this.closeRequested) return;
    this.rotationRequested = true;
    this.logger.info('rotation requested', { reason });
    this.emit('rotate', reason);
  }

  /** Forgets the current socket and everything tied to it, without closing it. */
  private dropSocket(): void {
    this.generation += 1;
    this.socket?.removeAllListeners();
    // ws emits 'error' on a socket it could not open; keep a no-op listener so it is never unhandled.
    this.socket?.on('error', () => undefined);
    this.socket = undefined;
    this.connectedAt = null;
    this.liveness.stop();
    this.pacer.reset();
    this.scheduler.clearTimeout(this.rotationTimer);
    this.rotationTimer = undefined;
    for (const request of this.requests.values()) this.scheduler.clearTimeout(request.timer);
    this.requests.clear();
    for (const timer of this.retryTimers) this.scheduler.clearTimeout(timer);
    this.retryTimers.clear();
    this.inFlightSubscribe.clear();
    this.inFlightUnsubscribe.clear();
    this.pendingSubscribe.clear();
    this.pendingUnsubscribe.clear();
    this.acked.clear();
    this.requestFailures = 0;
    this.slotQueued = false;
  }

  private onSocketGone(): void {
    this.dropSocket();
    if (this.closeRequested) return;
    this.scheduleReconnect(this.disconnectReason);
  }

  private scheduleReconnect(reason: DisconnectReason): void {
    const delay = this.backoff.nextDelay(this.scheduler.now());
    this.reconnectCount += 1;
    this.metrics?.reconnects.inc({ reason });
    this.logOnce(`reconnect-${reason}`, 'warn', 'reconnecting', { reason, delayMs: delay, attempt: this.backoff.attempts });
    this.setState('reconnecting');
    this.reconnectTimer = this.scheduler.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.setState('connecting');
      this.connect();
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private onDead(silentMs: number): void {
    const socket = this.socket;
    if (!socket) return;
    this.logger.warn('connection silent, replacing it', { silentMs });
    this.disconnectReason = 'liveness';
    this.onSocketGone();
    socket.terminate();
  }

  private transmit(message: PacedMessage): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== SOCKET_OPEN) return;
    try {
      if (message.kind === 'pong') socket.pong(message.data);
      else if (message.kind === 'ping') socket.ping();
      else socket.send(message.text);
    } catch (error) {
      this.countError('SOCKET_ERROR', error);
    }
  }

  /**
   * Keeps one request slot waiting in the pacer while there is work and room for
   * another outstanding request. The slot's body is built when its token is due, so
   * every change made meanwhile is merged into it; unsubscribes go first so the
   * server never holds more than the stream limit.
   */
  private pump(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== SOCKET_OPEN || this.stateValue === 'closed') return;
    if (this.slotQueued || this.requests.size >= this.maxOutstanding || !this.hasPendingWork()) return;
    this.slotQueued = true;
    const generation = this.generation;
    this.pacer.request(() => {
      this.slotQueued = false;
      if (generation !== this.generation) return undefined;
      const text = this.buildRequest();
      this.pump();
      return text;
    });
  }

  private hasPendingWork(): boolean {
    return this.pendingUnsubscribe.size > 0 || this.pendingSubscribe.size > 0;
  }

  private buildRequest(): string | undefined {
    const method = this.pendingUnsubscribe.size > 0 ? 'UNSUBSCRIBE' : this.pendingSubscribe.size > 0 ? 'SUBSCRIBE' : undefined;
    if (!method) return undefined;
    const batch = Math.max(1, this.protocol.maxStreamsPerRequest);
    const source = method === 'UNSUBSCRIBE' ? this.pendingUnsubscribe : this.pendingSubscribe;
    const target = method === 'UNSUBSCRIBE' ? this.inFlightUnsubscribe : this.inFlightSubscribe;
    const streams: string[] = [];
    for (const stream of source) {
      streams.push(stream);
      if (streams.length >= batch) break;
    }
    for (const stream of streams) {
      source.delete(stream);
      target.add(stream);
    }
    const id = this.nextRequestId++;
    // The reply deadline starts now, when the request leaves, not while it waited for a token.
    const request: PendingRequest = { id, method, streams, sentAt: this.scheduler.now(), timer: undefined };
    request.timer = this.scheduler.setTimeout(() => this.onRequestTimeout(id), this.requestTimeoutMs);
    request.timer.unref?.();
    this.requests.set(id, request);
    return method === 'SUBSCRIBE' ? this.protocol.encodeSubscribe(streams, id) : this.protocol.encodeUnsubscribe(streams, id);
  }

  private onRequestTimeout(id: number): void {
    const request = this.requests.get(id);
    if (!request) return;
    this.countError('SUBSCRIBE_TIMEOUT', new ConnectionError('SUBSCRIBE_TIMEOUT', `${request.method} ${id} not answered in ${this.requestTimeoutMs} ms`));
    this.failRequest(request);
  }

  /**
   * The liveness probe. A WebSocket pong only proves the transport: a stream server
   * that has stopped processing (the "silent stall" users complain about, and the
   * simulator's /_sim/stall) still answers pings from its WebSocket layer. So when
   * the connection holds an acknowledged stream, the probe is an idempotent
   * SUBSCRIBE of that stream (Binance acknowledges it and changes nothing): its reply
   * proves the server still handles this connection. Without any stream, a ping.
   */
  private probe(): void {
    const stream = this.acked.values().next();
    if (stream.done) {
      this.pacer.ping();
      return;
    }
    const generation = this.generation;
    this.pacer.request(() => {
      if (generation !== this.generation || !this.acked.has(stream.value)) return undefined;
      const id = this.nextRequestId++;
      this.probeIds.add(id);
      // Replies to forgotten probes are ignored; the set only ever holds the latest few ids.
      if (this.probeIds.size > 4) this.probeIds.delete(this.probeIds.values().next().value as number);
      return this.protocol.encodeSubscribe([stream.value], id);
    });
  }

  private onReply(id: number | string | null, error: { code: number; msg: string } | undefined): void {
    if (typeof id === 'number' && this.probeIds.delete(id)) return;
    const request = typeof id === 'number' ? this.requests.get(id) : undefined;
    if (!request) {
      // An error without id answers a request the server could not read; that request times out and is retried.
      if (error) this.countError('SUBSCRIBE_REJECTED', new ConnectionError('SUBSCRIBE_REJECTED', `unmatched error reply: ${error.code} ${error.msg}`));
      return;
    }
    this.scheduler.clearTimeout(request.timer);
    if (error) {
      this.countError('SUBSCRIBE_REJECTED', new ConnectionError('SUBSCRIBE_REJECTED', `${request.method} ${id} rejected: ${error.code} ${error.msg}`));
      this.failRequest(request);
      return;
    }
    this.requests.delete(request.id);
    this.requestFailures = 0;
    if (request.method === 'SUBSCRIBE') {
      this.metrics?.subscribeLatency.observe((this.scheduler.now() - request.sentAt) / 1000);
    }
    for (const stream of request.streams) {
      if (request.method === 'SUBSCRIBE') {
        this.inFlightSubscribe.delete(stream);
        this.acked.add(stream);
        // Removed while the request was in flight: take it off the server again.
        if (!this.desired.has(stream)) this.pendingUnsubscribe.add(stream);
      } else {
        this.inFlightUnsubscribe.delete(stream);
        this.acked.delete(stream);
        if (this.desired.has(stream)) this.pendingSubscribe.add(stream);
      }
    }
    this.checkAcknowledged();
    this.pump();
  }

  /** Puts a failed request's streams back after a growing delay (a rejected stream name would otherwise spin at the pacer's rate). */
  private failRequest(request: PendingRequest): void {
    this.requests.delete(request.id);
    const inFlight = request.method === 'SUBSCRIBE' ? this.inFlightSubscribe : this.inFlightUnsubscribe;
    for (const stream of request.streams) inFlight.delete(stream);
    const delay = Math.min(MAX_RETRY_MS, this.requestRetryMs * 2 ** Math.min(this.requestFailures, 16));
    this.requestFailures += 1;
    const timer = this.scheduler.setTimeout(() => {
      this.retryTimers.delete(timer);
      for (const stream of request.streams) {
        const wanted = this.desired.has(stream);
        if (request.method === 'SUBSCRIBE' && wanted && !this.acked.has(stream) && !this.inFlightSubscribe.has(stream)) this.pendingSubscribe.add(stream);
        if (request.method === 'UNSUBSCRIBE' && !wanted && this.acked.has(stream) && !this.inFlightUnsubscribe.has(stream)) this.pendingUnsubscribe.add(stream);
      }
      this.pump();
    }, delay);
    timer.unref?.();
    this.retryTimers.add(timer);
    this.pump();
  }

  private checkAcknowledged(): void {
    if (!this.socket || this.pendingStreams > 0) return;
    if (this.stateValue === 'subscribing') this.setState('open');
    if (this.stateValue === 'open') this.emit('acknowledged');
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.liveness.frame();
    const now = this.scheduler.now();
    this.lastMessageAt = now;
    this.messageCount += 1;
    this.messageCounter?.inc();
    if (isBinary) {
      this.metrics?.rejectedMessages.inc({ reason: 'invalid_type' });
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
    const context = this.parseContext;
    context.receivedAt = now;
    context.receivedAtMono = performance.now();
    context.exchangeNow = this.options.clock.now();
    context.clockSynchronized = this.options.clock.synchronized;
    let result: FrameResult;
    try {
      result = this.protocol.parseFrame(text, context);
    } catch (error) {
      // The protocol promises never to throw; a bug there must not cost the connection.
      this.countError('SINK_ERROR', error);
      return;
    }
    switch (result.kind) {
      case 'trade': {
        const trade = result.trade;
        this.options.clock.observe(trade.eventTime);
        this.metrics?.eventLag.observe(Math.max(0, trade.receivedAt - trade.eventTime) / 1000);
        try {
          this.options.onTrade(trade);
        } catch (error) {
          this.countError('SINK_ERROR', error);
        }
        return;
      }
      case 'reply':
        this.onReply(result.id, result.error);
        return;
      case 'ignored':
        this.metrics?.ignoredMessages.inc({ stream_type: streamType(result.stream) });
        return;
      case 'shutdown':
        this.requestRotation('server_shutdown');
        return;
      case 'rejected':
        this.rejectedCount += 1;
        this.metrics?.rejectedMessages.inc({ reason: result.reason });
        this.logOnce(`rejected-${result.reason}`, 'warn', 'message rejected', { reason: result.reason, detail: result.detail.slice(0, 200) });
        return;
    }
  }

  private setState(state: ConnectionState): void {
    const previous = this.stateValue;
    if (previous === state) return;
    this.stateValue = state;
    this.emit('state', state, previous);
  }

  private countError(code: ConnectionErrorCode, error: unknown): void {
    this.metrics?.errors.inc({ component: 'connection', code });
    this.logOnce(`error-${code}`, 'warn', 'connection error', { code, error: errorMessage(error) });
  }

  /** Repeated log lines are rate-limited per key; the metrics count every occurrence. */
  private logOnce(key: string, level: 'info' | 'warn', message: string, extra: Record<string, unknown>): void {
    const now = this.scheduler.now();
    const last = this.lastLogAt.get(key);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    this.lastLogAt.set(key, now);
    this.logger[level](message, extra);
  }

  private waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = this.scheduler.now() + timeoutMs;
      const poll = (): void => {
        if (condition() || this.scheduler.now() >= deadline) return resolve();
        this.scheduler.setTimeout(poll, 20);
      };
      poll();
    });
  }

}

/** `btcusdt@kline_1m` -> `kline_1m`; anything odd collapses to `other` so the label set stays small. */
export function streamType(stream: string): string {
  const type = stream.slice(stream.indexOf('@') + 1);
  return /^[A-Za-z0-9_]{1,32}$/.test(type) ? type : 'other';
}
