import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { RawData } from 'ws';
import { type Logger, createLogger, errorMessage } from '../../shared';
import type { Trade } from '../domain';
import type { ExchangeStreamProtocol, FrameResult, KeepalivePolicy, ParseContext } from '../exchange';
import type { CollectorMetrics } from '../metrics';
import { ConnectionAttemptLimiter } from './attempt-limiter';
import { Backoff, type BackoffOptions } from './backoff';
import { ConnectionError, type ConnectionErrorCode, ConnectionOptionsError, positiveOption } from './errors';
import { KeepaliveTimer } from './keepalive';
import { type LivenessOptions, LivenessMonitor } from './liveness';
import { MessagePacer, type PacedMessage, type PacerOptions, type RequestBody } from './pacer';
import { type ExchangeClock, type Scheduler, type TimerHandle, systemScheduler } from './scheduler';
import { SOCKET_OPEN, type SocketFactory, type SocketLike, wsSocketFactory } from './socket';
import { type LedgerReply, type ReplyError, SubscriptionLedger } from './subscription-ledger';

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
  /** Of those, not yet acknowledged by the server on the current socket (refused ones excluded). */
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
  /** Every stream meant for this connection is acknowledged (or refused) on the current socket. */
  acknowledged: [];
  /** The server refused these streams `maxRequestRejections` times; they are not retried until the next reconnect. */
  refused: [streams: string[], error: ReplyError];
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
  /** Refusals of one stream's SUBSCRIBE on one socket before it is given up (event `refused`). Default 5. */
  maxRequestRejections?: number;
  /** Largest tolerated |trade time - exchange clock|. Default 10 min. */
  maxClockDistanceMs?: number;
  /** Ask for rotation this long before the protocol's connection age limit. Default 10 min. */
  rotateBeforeMs?: number;
  /** Up to this much earlier again, at random, so connections opened together do not rotate together. Default 5 min. */
  rotateJitterMs?: number;
  random?: () => number;
}

const LOG_INTERVAL_MS = 10_000;
const MAX_CLOCK_DISTANCE_MS = 600_000;

/**
 * One exchange WebSocket carrying up to `maxStreams` streams: the socket's
 * lifecycle (reconnect with backoff for ever; only `close` ends it), liveness,
 * keepalive pings where the exchange wants them, and rotation before the
 * exchange's age cut. What to subscribe, what is in flight and what to retry is the
 * SubscriptionLedger's; this class sends what the ledger hands out, paced, and feeds
 * it replies and deadlines.
 *
 * Memory is bounded by the stream count (the ledger), the pacer's bounded queue,
 * and at most one request slot and one ping waiting in it.
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
  private readonly keepalive: KeepaliveTimer | undefined;
  private readonly ledger: SubscriptionLedger;
  private readonly logger: Logger;
  private readonly metrics: CollectorMetrics | undefined;
  private readonly messageCounter: { inc(): void } | undefined;
  private readonly random: () => number;
  private readonly parseContext: ParseContext;

  private stateValue: ConnectionState = 'closed';
  private started = false;
  private socket: SocketLike | undefined;
  private generation = 0;
  private slotQueued = false;
  private pingQueued = false;
  private ledgerTimer: TimerHandle | undefined;
  private ledgerTimerDueAt: number | undefined;
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

  constructor(options: StreamConnectionOptions) {
    super();
    this.options = options;
    this.id = options.id;
    this.protocol = options.protocol;
    this.maxStreams = Math.floor(options.maxStreams ?? options.protocol.maxStreamsPerConnection);
    if (!(this.maxStreams >= 1 && this.maxStreams <= options.protocol.maxStreamsPerConnection)) {
      throw new ConnectionOptionsError(`maxStreams must be 1..${options.protocol.maxStreamsPerConnection}, got ${options.maxStreams}`);
    }
    if (!(options.protocol.maxConnectionAgeMs > 0)) {
      throw new ConnectionOptionsError(`protocol maxConnectionAgeMs must be positive or Infinity, got ${options.protocol.maxConnectionAgeMs}`);
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
    const keepalive = options.protocol.keepalive;
    this.keepalive = keepalive.kind === 'client-ping' ? new KeepaliveTimer(() => this.sendClientPing(keepalive), { intervalMs: keepalive.intervalMs, scheduler: this.scheduler }) : undefined;
    this.ledger = new SubscriptionLedger({
      maxStreams: this.maxStreams,
      maxStreamsPerRequest: options.protocol.maxStreamsPerRequest,
      maxOutstandingRequests: options.maxOutstandingRequests,
      requestTimeoutMs: options.requestTimeoutMs,
      requestRetryMs: options.requestRetryMs,
      maxRejections: options.maxRequestRejections,
    });
    this.metrics = options.metrics;
    this.messageCounter = options.metrics?.messages.labels(options.metricsLabel ?? options.id);
    this.logger = options.logger ? options.logger.createChild({ persistentKeys: { connectionId: options.id } }) : createLogger({ serviceName: 'collector', persistentKeys: { connectionId: options.id } });
    this.parseContext = {
      receivedAt: 0,
      receivedAtMono: 0,
      exchangeNow: 0,
      maxClockDistanceMs: positiveOption('maxClockDistanceMs', options.maxClockDistanceMs ?? MAX_CLOCK_DISTANCE_MS),
      clockSynchronized: false,
      isKnownStream: (stream) => this.ledger.isKnown(stream),
    };
    this.ledger.want(options.streams ?? []);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get streams(): ReadonlySet<string> {
    return this.ledger.wanted;
  }

  /** Streams meant for this connection that the server has not acknowledged yet. */
  get pendingStreams(): number {
    return this.ledger.pendingStreams;
  }

  /** Streams the server refused on the current socket and that are not retried until a reconnect. */
  get refusedStreams(): ReadonlySet<string> {
    return this.ledger.refused;
  }

  get fullySubscribed(): boolean {
    return this.socket !== undefined && this.stateValue === 'open' && this.pendingStreams === 0;
  }

  status(): ConnectionStatus {
    return {
      id: this.id,
      state: this.stateValue,
      streams: this.ledger.wanted.size,
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
    this.ledger.want(streams);
    this.pump();
  }

  unsubscribe(streams: Iterable<string>): void {
    this.ledger.unwant(streams);
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
    this.keepalive?.stop();
    const socket = this.socket;
    this.setState('closing');
    if (unsubscribe && socket && socket.readyState === SOCKET_OPEN && this.ledger.held > 0) {
      this.unsubscribe([...this.ledger.wanted]);
      await this.waitFor(() => this.ledger.held === 0 || this.socket !== socket, timeoutMs / 2);
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
      this.onTraffic();
      this.pacer.pong(data);
    });
    socket.on('pong', () => {
      if (current()) this.onTraffic();
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
    this.keepalive?.start();
    this.armRotation(now);
    this.ledger.reset();
    const empty = this.ledger.wanted.size === 0;
    this.setState(empty ? 'open' : 'subscribing');
    if (empty) this.emit('acknowledged');
    this.pump();
  }

  /** Exchanges without an age cut declare `maxConnectionAgeMs: Infinity`; their connections never rotate on age. */
  private armRotation(openedAt: number): void {
    const maxAge = this.protocol.maxConnectionAgeMs;
    if (!Number.isFinite(maxAge)) return;
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
    this.keepalive?.stop();
    this.pacer.reset();
    this.scheduler.clearTimeout(this.rotationTimer);
    this.rotationTimer = undefined;
    this.scheduler.clearTimeout(this.ledgerTimer);
    this.ledgerTimer = undefined;
    this.ledgerTimerDueAt = undefined;
    this.ledger.reset();
    this.slotQueued = false;
    this.pingQueued = false;
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

  /** Any frame in: the connection is alive, and the keepalive need not ping yet. */
  private onTraffic(): void {
    this.liveness.frame();
    this.keepalive?.activity();
  }

  private transmit(message: PacedMessage): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== SOCKET_OPEN) return;
    try {
      if (message.kind === 'pong') socket.pong(message.data);
      else if (message.kind === 'ping') socket.ping();
      else socket.send(message.text);
      this.keepalive?.activity();
    } catch (error) {
      this.countError('SOCKET_ERROR', error);
    }
  }

  /** Queues a text message; a full pacer queue is counted and the work stays where it was (ledger, keepalive). */
  private enqueue(body: RequestBody): boolean {
    try {
      this.pacer.request(body);
      return true;
    } catch (error) {
      this.countError('PACER_QUEUE_FULL', error);
      return false;
    }
  }

  /**
   * Keeps one request slot waiting in the pacer while the ledger has work and room
   * for another request in flight. The slot's body is taken from the ledger when its
   * token is due, so every change made meanwhile is merged into it.
   */
  private pump(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== SOCKET_OPEN || this.stateValue === 'closed') return;
    if (this.slotQueued || !this.ledger.canSend) return;
    this.slotQueued = true;
    const generation = this.generation;
    const queued = this.enqueue(() => {
      this.slotQueued = false;
      if (generation !== this.generation) return undefined;
      // The reply deadline starts now, when the request leaves, not while it waited for a token.
      const request = this.ledger.takeRequest(this.scheduler.now());
      if (!request) return undefined;
      this.armLedgerTimer();
      this.pump();
      const streams = [...request.streams];
      return request.method === 'SUBSCRIBE' ? this.protocol.encodeSubscribe(streams, request.id) : this.protocol.encodeUnsubscribe(streams, request.id);
    });
    if (!queued) this.slotQueued = false;
  }

  /** One timer for all of the ledger's deadlines (request timeouts, retries), re-armed when the earliest changes. */
  private armLedgerTimer(): void {
    const dueAt = this.ledger.nextDeadline();
    if (dueAt === this.ledgerTimerDueAt) return;
    this.scheduler.clearTimeout(this.ledgerTimer);
    this.ledgerTimer = undefined;
    this.ledgerTimerDueAt = dueAt;
    if (dueAt === undefined) return;
    this.ledgerTimer = this.scheduler.setTimeout(() => this.onLedgerDeadline(), Math.max(1, dueAt - this.scheduler.now()));
    this.ledgerTimer.unref?.();
  }

  private onLedgerDeadline(): void {
    this.ledgerTimer = undefined;
    this.ledgerTimerDueAt = undefined;
    const { timedOut } = this.ledger.advance(this.scheduler.now());
    for (const request of timedOut) {
      this.countError('SUBSCRIBE_TIMEOUT', new ConnectionError('SUBSCRIBE_TIMEOUT', `${request.method} ${request.id} not answered in ${this.ledger.requestTimeoutMs} ms`));
    }
    this.armLedgerTimer();
    this.pump();
  }

  /**
   * The liveness probe. A WebSocket pong only proves the transport: a stream server
   * that has stopped processing (the "silent stall" users complain about, and the
   * simulator's /_sim/stall) still answers pings from its WebSocket layer. So on a
   * `server-ping` exchange (Binance) a connection holding an acknowledged stream is
   * probed with an idempotent SUBSCRIBE of that stream, whose reply proves the server
   * still handles this connection; without any stream, a WebSocket ping. A
   * `client-ping` exchange answers its own ping in the application (OKX's `pong`,
   * Bybit's `{"op":"pong"}`), which proves as much, so the probe is that ping.
   */
  private probe(): void {
    const keepalive = this.protocol.keepalive;
    if (keepalive.kind === 'client-ping') {
      this.sendClientPing(keepalive);
      return;
    }
    const probe = this.ledger.takeProbe();
    if (!probe) {
      this.pacer.ping();
      return;
    }
    const generation = this.generation;
    this.enqueue(() => (generation === this.generation && this.ledger.holds(probe.stream) ? this.protocol.encodeSubscribe([probe.stream], probe.id) : undefined));
  }

  /** The exchange's text ping goes through the pacer, as it counts against the outgoing message rate; one at a time. */
  private sendClientPing(keepalive: Extract<KeepalivePolicy, { kind: 'client-ping' }>): void {
    if (this.pingQueued || !this.socket) return;
    this.pingQueued = true;
    const generation = this.generation;
    const queued = this.enqueue(() => {
      this.pingQueued = false;
      return generation === this.generation ? keepalive.encodePing() : undefined;
    });
    if (!queued) this.pingQueued = false;
  }

  private onReply(reply: LedgerReply): void {
    const now = this.scheduler.now();
    const outcome = this.ledger.settle(reply, now);
    if (outcome.probe) return;
    const error = reply.error;
    if (error) {
      // An error nothing matches answers a request the server could not read; that request times out and is retried.
      const what = outcome.unmatched ? 'unmatched error reply' : `request ${String(reply.id)} rejected`;
      this.countError('SUBSCRIBE_REJECTED', new ConnectionError('SUBSCRIBE_REJECTED', `${what}: ${error.code} ${error.msg}`));
    } else {
      for (const request of outcome.completed) {
        if (request.method === 'SUBSCRIBE') this.metrics?.subscribeLatency.observe((now - request.sentAt) / 1000);
      }
    }
    if (error && outcome.refused.length > 0) {
      this.countError('SUBSCRIBE_REFUSED', new ConnectionError('SUBSCRIBE_REFUSED', `${outcome.refused.length} streams refused ${this.ledger.maxRejections} times, e.g. ${outcome.refused[0]}: ${error.code} ${error.msg}`));
      this.emit('refused', outcome.refused, error);
    }
    if (outcome.unmatched) return;
    this.checkAcknowledged();
    this.armLedgerTimer();
    this.pump();
  }

  private checkAcknowledged(): void {
    if (!this.socket || this.pendingStreams > 0) return;
    if (this.stateValue === 'subscribing') this.setState('open');
    if (this.stateValue === 'open') this.emit('acknowledged');
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.onTraffic();
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
        this.onReply(result);
        return;
      case 'pong':
        // Liveness and keepalive were fed on arrival, like for any frame.
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
