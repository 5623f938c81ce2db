import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { RawData } from 'ws';
import { type Logger, createLogger, errorMessage } from '../../shared';
import type { ExchangeStreamProtocol, FrameResult, ParseContext } from '../exchange';
import type { CollectorMetrics } from '../metrics';
import type { Trade } from '../domain';
import { ConnectionAttemptLimiter } from './attempt-limiter';
import { Backoff } from './backoff';
import type { ConnectionState, ConnectionStatus, DisconnectReason, RotationReason, StreamConnectionEvents, StreamConnectionOptions } from './connection-types';
import { ConnectionError, type ConnectionErrorCode, ConnectionOptionsError, positiveOption } from './errors';
import { ConnectionHeartbeat } from './heartbeat';
import { LogLimiter } from './log-limiter';
import { MessagePacer, type PacedMessage, type RequestBody } from './pacer';
import { rotationDueAt } from './rotation';
import { type Scheduler, type TimerHandle, systemScheduler } from './scheduler';
import { SOCKET_OPEN, type SocketFactory, type SocketLike, wsSocketFactory } from './socket';
import { SubscriptionLedger } from './subscription-ledger';
import { SubscriptionSender } from './subscription-sender';

export {
  CONNECTION_STATES,
  type ConnectionState,
  type ConnectionStatus,
  type DisconnectReason,
  type RotationReason,
  type StreamConnectionEvents,
  type StreamConnectionOptions,
} from './connection-types';

const LOG_INTERVAL_MS = 10_000;
const MAX_CLOCK_DISTANCE_MS = 600_000;

/**
 * One exchange WebSocket carrying up to `maxStreams` streams: the socket's
 * lifecycle (reconnect with backoff for ever; only `close` ends it), frame dispatch
 * and rotation before the exchange's age cut. Liveness and keepalive are the
 * ConnectionHeartbeat's; what to subscribe, what is in flight and what to retry is
 * the SubscriptionLedger's, which the SubscriptionSender drives through the pacer.
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
  private readonly heartbeat: ConnectionHeartbeat;
  private readonly ledger: SubscriptionLedger;
  private readonly sender: SubscriptionSender;
  private readonly logger: Logger;
  private readonly metrics: CollectorMetrics | undefined;
  private readonly messageCounter: { inc(): void } | undefined;
  private readonly random: () => number;
  private readonly parseContext: ParseContext;

  private stateValue: ConnectionState = 'closed';
  private started = false;
  private socket: SocketLike | undefined;
  private generation = 0;
  private reconnectTimer: TimerHandle | undefined;
  private rotationTimer: TimerHandle | undefined;
  private rotationRequested = false;
  private lastMessageAt: number | null = null;
  private connectedAt: number | null = null;
  private reconnectCount = 0;
  private messageCount = 0;
  private rejectedCount = 0;
  private disconnectReason: DisconnectReason = 'server_close';
  private readonly logLimiter = new LogLimiter(LOG_INTERVAL_MS);
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
    this.pacer = new MessagePacer((message) => this.transmit(message), {
      subscribeWindow: { limit: options.protocol.maxSubscribeRequestsPerWindow, windowMs: options.protocol.subscribeRequestWindowMs },
      ...options.pacer,
      ratePerSecond: rate,
      scheduler: this.scheduler,
    });
    // burst + rate is the most a one-second window can see; above the exchange's limit it would disconnect us.
    if (this.pacer.burst + this.pacer.ratePerSecond > options.protocol.maxOutgoingMessagesPerSecond) {
      throw new ConnectionOptionsError(
        `pacer burst (${this.pacer.burst}) + rate (${this.pacer.ratePerSecond}) exceeds the exchange's ${options.protocol.maxOutgoingMessagesPerSecond} messages a second`,
      );
    }
    this.ledger = new SubscriptionLedger({
      maxStreams: this.maxStreams,
      maxStreamsPerRequest: options.protocol.maxStreamsPerRequest,
      maxOutstandingRequests: options.maxOutstandingRequests,
      requestTimeoutMs: options.requestTimeoutMs,
      requestRetryMs: options.requestRetryMs,
      maxRejections: options.maxRequestRejections,
    });
    this.sender = new SubscriptionSender(this.ledger, this.protocol, this.scheduler, {
      enqueue: (body) => this.enqueue(body, true),
      canTransmit: () => this.socket?.readyState === SOCKET_OPEN && this.stateValue !== 'closed',
      countError: (code, error) => this.countError(code, error),
      onSettled: () => this.checkAcknowledged(),
      onRefused: (streams, error) => this.emit('refused', streams, error),
      observeSubscribeLatency: (seconds) => this.metrics?.subscribeLatency.observe(seconds),
    });
    this.heartbeat = new ConnectionHeartbeat(
      { keepalive: options.protocol.keepalive, liveness: options.liveness, scheduler: this.scheduler },
      {
        enqueue: (body) => this.enqueue(body),
        sendWebSocketPing: () => this.pacer.ping(),
        probeSubscription: () => this.sender.probe(),
        onDead: (silentMs) => this.onDead(silentMs),
      },
    );
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
    this.sender.pump();
  }

  unsubscribe(streams: Iterable<string>): void {
    this.ledger.unwant(streams);
    this.sender.pump();
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
    this.heartbeat.stop();
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
      this.heartbeat.received();
      this.pacer.pong(data);
    });
    socket.on('pong', () => {
      if (current()) this.heartbeat.received();
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
    this.heartbeat.start();
    this.armRotation(now);
    this.sender.reset();
    const empty = this.ledger.wanted.size === 0;
    this.setState(empty ? 'open' : 'subscribing');
    if (empty) this.emit('acknowledged');
    this.sender.pump();
  }

  /** Exchanges without an age cut declare `maxConnectionAgeMs: Infinity`; their connections never rotate on age. */
  private armRotation(openedAt: number): void {
    const dueAt = rotationDueAt({
      openedAt,
      maxConnectionAgeMs: this.protocol.maxConnectionAgeMs,
      rotateBeforeMs: this.options.rotateBeforeMs ?? 600_000,
      rotateJitterMs: this.options.rotateJitterMs ?? 300_000,
      random: this.random,
    });
    if (dueAt === undefined) return;
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
    this.heartbeat.stop();
    this.pacer.reset();
    this.scheduler.clearTimeout(this.rotationTimer);
    this.rotationTimer = undefined;
    this.sender.reset();
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
      this.heartbeat.sent();
    } catch (error) {
      this.countError('SOCKET_ERROR', error);
    }
  }

  /**
   * Queues a text message; a full pacer queue is counted and the work stays where
   * it was (ledger, keepalive). Subscription requests are `counted` against the
   * exchange's per-window subscribe limit; keepalive pings are not.
   */
  private enqueue(body: RequestBody, counted = false): boolean {
    try {
      this.pacer.request(body, undefined, { counted });
      return true;
    } catch (error) {
      this.countError('PACER_QUEUE_FULL', error);
      return false;
    }
  }

  private checkAcknowledged(): void {
    if (!this.socket || this.pendingStreams > 0) return;
    if (this.stateValue === 'subscribing') this.setState('open');
    if (this.stateValue === 'open') this.emit('acknowledged');
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.heartbeat.received();
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
      case 'trade':
        this.deliverTrade(result.trade);
        return;
      case 'trades':
        // OKX and Bybit push several trades of one symbol in one frame, in exchange order.
        for (const trade of result.trades) this.deliverTrade(trade);
        return;
      case 'reply':
        this.sender.onReply(result);
        return;
      case 'pong':
        // The heartbeat was fed on arrival, like for any frame.
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

  private deliverTrade(trade: Trade): void {
    this.options.clock.observe(trade.eventTime);
    this.metrics?.eventLag.observe(Math.max(0, trade.receivedAt - trade.eventTime) / 1000);
    try {
      this.options.onTrade(trade);
    } catch (error) {
      this.countError('SINK_ERROR', error);
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
    if (this.logLimiter.allow(key, this.scheduler.now())) this.logger[level](message, extra);
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
