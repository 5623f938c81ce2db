import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { type Logger, createLogger, errorMessage } from '../shared';
import { Connection, type DisconnectReason } from './connection';
import { FaultRequestError, SimulatorConfigError } from './errors';
import { type CloseAction, type ExchangeProtocol, type Render, type TradeEvent, createProtocol } from './exchanges';
import { TradeGenerator } from './generator';
import type { AggTradeRecord } from './history';
import { Market, type SymbolState } from './market';
import { PREHISTORY_MAX_RATE, type SimulatorConfig } from './options';
import { Prng } from './prng';
import { type ReplayEvent, ReplayCursor, parseRecording } from './replay';
import type { RestFailure } from './rest';
import { type SymbolSpec, exchangeInfoUniverse, listedUniverse, startPrices, syntheticUniverse } from './universe';

/** Replay events sent per tick at most, so a huge speed cannot block the event loop. */
const MAX_REPLAY_EVENTS_PER_TICK = 20_000;
const KLINE_BARS_KEPT = 1440;
/** Trades in one batched push at most (OKX, Bybit); a larger batch is split. */
const MAX_TRADES_PER_PUSH = 100;

export interface ConnectionStats {
  id: number;
  streams: number;
  combined: boolean;
  ageMs: number;
  stalled: boolean;
  bufferedBytes: number;
  messagesSent: number;
}

export interface SimulatorStats {
  exchange: string;
  connections: number;
  subscriptions: number;
  perConnection: ConnectionStats[];
  tradesTotal: number;
  tradesPerSecond: number;
  messagesSent: number;
  droppedSlowConsumers: number;
  disconnects: Partial<Record<DisconnectReason, number>>;
  pausedSymbols: string[];
  replay?: { position: number; total: number; started: boolean; clock: number };
}

/**
 * The simulator process: one node:http server answering REST and fault requests
 * and upgrading WebSocket paths the exchange plug-in accepts. Trades are generated
 * (or replayed) on a drift-corrected timer; each event is encoded once per encoding
 * variant and the same Buffers go to every subscriber, with sockets corked for the
 * duration of a tick so a burst leaves in few syscalls. Everything a client can tell
 * apart between exchanges is the plug-in's (see exchanges/types.ts).
 */
export class SimulatorServer {
  readonly logger: Logger;
  readonly protocol: ExchangeProtocol<unknown>;
  market!: Market;
  private generator: TradeGenerator | undefined;
  private replay: ReplayCursor | undefined;
  private replaying: ReplayEvent | undefined;
  private topics: string[][] = [];
  /** Trades waiting for the end of the tick, per symbol index (batching plug-ins only). */
  private readonly pending = new Map<number, TradeEvent[]>();
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024, autoPong: false });
  private readonly hub = new Map<string, Set<Connection>>();
  private readonly connections = new Set<Connection>();
  private readonly corked: Connection[] = [];
  private restFailure: RestFailure | undefined;
  private nextConnectionId = 1;
  private timers: NodeJS.Timeout[] = [];
  private tickTimer: NodeJS.Timeout | undefined;
  private nextTickAt = 0;
  private stopping = false;
  private tradesPublished = 0;
  private tradesAtLastSecond = 0;
  private tradesPerSecond = 0;
  private messagesSent = 0;
  private droppedSlowConsumers = 0;
  private readonly disconnects: Partial<Record<DisconnectReason, number>> = {};

  constructor(private readonly config: SimulatorConfig) {
    this.logger = createLogger({ serviceName: 'simulator', logLevel: config.logLevel });
    this.protocol = createProtocol(config.exchange, config);
    this.http = createServer((req, res) => this.onHttp(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  async start(): Promise<number> {
    await this.buildMarket();
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', (error) => reject(new SimulatorConfigError(`cannot listen on ${this.config.host}:${this.config.port}: ${errorMessage(error)}`, { cause: error })));
      this.http.listen(this.config.port, this.config.host, () => resolve());
    });
    this.nextTickAt = Date.now() + this.config.tickMs;
    this.tickTimer = setTimeout(() => this.tick(), this.config.tickMs);
    this.timers.push(setInterval(() => this.sweepConnections(), this.sweepIntervalMs()));
    this.timers.push(setInterval(() => this.everySecond(), 1000));
    const address = this.http.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    this.logger.info('simulator listening', { exchange: this.protocol.id, port, symbols: this.market.states.length, rate: this.config.rate, replay: this.config.replayFile ?? null });
    return port;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.tickTimer);
    for (const timer of this.timers) clearInterval(timer);
    for (const connection of [...this.connections]) this.disconnect(connection, 'stop', () => connection.ws.terminate());
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.logger.info('simulator stopped', { tradesTotal: this.tradesPublished });
  }

  /** A quarter of the shortest deadline the sweep enforces, between 10 ms and 1 s. */
  private sweepIntervalMs(): number {
    const rule = this.protocol.keepalive;
    const deadlines = rule.kind === 'server-ping' ? [rule.pingIntervalMs, rule.pongTimeoutMs] : [rule.idleTimeoutMs];
    if (Number.isFinite(this.config.maxConnectionAgeMs)) deadlines.push(this.config.maxConnectionAgeMs);
    return Math.max(10, Math.min(1000, Math.min(...deadlines) / 4));
  }

  private async buildMarket(): Promise<void> {
    const config = this.config;
    const rng = new Prng(config.seed);
    let specs: SymbolSpec[];
    let prices: number[];
    const native = await this.protocol.loadUniverse?.(config);
    if (native) {
      specs = native;
      prices = startPrices(specs, rng);
    } else if (config.exchangeInfoFile) {
      specs = exchangeInfoUniverse(JSON.parse(await readFile(config.exchangeInfoFile, 'utf8')));
      prices = startPrices(specs, rng);
    } else if (config.replayFile) {
      specs = [];
      prices = [];
    } else {
      ({ specs, prices } = Array.isArray(config.symbols) ? listedUniverse(config.symbols, rng) : syntheticUniverse(config.symbols, rng));
    }
    const limits = { retentionMs: config.retentionMinutes * 60_000, maxTradesPerSymbol: config.maxTradesPerSymbol, maxKlineBars: KLINE_BARS_KEPT };
    if (config.replayFile) {
      const events = parseRecording(await readFile(config.replayFile, 'utf8'), config.maxReplayEvents, config.exchange);
      const first = events[0] as ReplayEvent;
      const known = new Set(specs.map((s) => s.symbol));
      const replayed = [...new Set(events.map((e) => e.symbol))].filter((s) => !known.has(s));
      const extra = listedUniverse(replayed, rng);
      const firstPrice = new Map(events.map((e) => [e.symbol, e.trade.priceE8 / 1e8] as const).reverse());
      specs = [...specs, ...extra.specs];
      prices = [...prices, ...extra.specs.map((s) => firstPrice.get(s.symbol) ?? 1)];
      this.market = new Market(specs, prices, first.eventTime, limits);
      this.replay = new ReplayCursor(events, config.speed);
    } else {
      const now = Date.now();
      const origin = now - config.historyMinutes * 60_000;
      this.market = new Market(specs, prices, origin, limits);
      this.generator = new TradeGenerator(this.market, { rate: config.rate, seed: config.seed, volatility: config.volatility });
      this.generator.prehistory(origin, now, Math.min(config.rate, PREHISTORY_MAX_RATE));
    }
    this.protocol.attach(this.market, config);
    this.topics = this.market.states.map((state) => this.protocol.tradeTopics(state));
    this.market.onTrade((state, trade, eventTime) => this.publishTrade(state, trade, eventTime));
  }

  /** Exchange clock: the wall clock live, the recording's clock in replay. */
  exchangeTime(): number {
    return this.replay ? this.replay.clock(Date.now()) : Date.now();
  }

  private tick(): void {
    if (this.stopping) return;
    const now = Date.now();
    try {
      if (this.replay) {
        for (const event of this.replay.due(now, MAX_REPLAY_EVENTS_PER_TICK)) {
          const state = this.market.get(event.symbol) as SymbolState;
          this.replaying = event;
          this.market.record(state, event.trade, event.eventTime);
        }
        this.replaying = undefined;
      } else {
        this.generator?.advance(now);
      }
      this.flushPending();
    } finally {
      this.uncorkAll();
    }
    // Drift correction: aim at the fixed schedule, and re-anchor after a stall instead of bursting.
    this.nextTickAt += this.config.tickMs;
    if (this.nextTickAt < now) this.nextTickAt = now + this.config.tickMs;
    this.tickTimer = setTimeout(() => this.tick(), this.nextTickAt - now);
  }

  private publishTrade(state: SymbolState, trade: AggTradeRecord, eventTime: number): void {
    this.tradesPublished += 1;
    const topics = this.topics[state.index] as string[];
    if (!topics.some((topic) => (this.hub.get(topic)?.size ?? 0) > 0)) return;
    const event: TradeEvent = { state, trade, eventTime, original: this.replaying };
    if (this.protocol.batchTrades) {
      let batch = this.pending.get(state.index);
      if (!batch) {
        batch = [];
        this.pending.set(state.index, batch);
      }
      batch.push(event);
      // Bounded: a batch is flushed early rather than grown past one push.
      if (batch.length >= MAX_TRADES_PER_PUSH) this.flushSymbol(state.index, batch);
      return;
    }
    this.publishEvents(topics, [event]);
  }

  private flushPending(): void {
    for (const [index, batch] of this.pending) this.flushSymbol(index, batch);
    this.pending.clear();
  }

  private flushSymbol(index: number, batch: TradeEvent[]): void {
    if (batch.length === 0) return;
    this.publishEvents(this.topics[index] as string[], batch.splice(0, batch.length));
  }

  private publishEvents(topics: readonly string[], events: readonly TradeEvent[]): void {
    for (const topic of topics) {
      const subscribers = this.hub.get(topic);
      if (subscribers !== undefined && subscribers.size > 0) this.deliver(subscribers, this.protocol.renderTrades(topic, events));
    }
  }

  private everySecond(): void {
    this.publishPeriodic();
    this.tradesPerSecond = this.tradesPublished - this.tradesAtLastSecond;
    this.tradesAtLastSecond = this.tradesPublished;
  }

  /** The plug-in's periodic pushes (Binance klines and miniTickers). */
  private publishPeriodic(): void {
    const periodic = this.protocol.periodic?.bind(this.protocol);
    if (!periodic) return;
    const now = this.exchangeTime();
    const subscribed = (topic: string): boolean => (this.hub.get(topic)?.size ?? 0) > 0;
    try {
      for (const state of this.market.states) {
        for (const event of periodic(state, now, subscribed)) {
          const subscribers = this.hub.get(event.topic);
          if (subscribers) this.deliver(subscribers, event.render);
        }
      }
    } finally {
      this.uncorkAll();
    }
  }

  /** Sends one event to every healthy subscriber, encoding it at most once per variant. */
  private deliver(subscribers: Set<Connection>, render: Render): void {
    const cache: Array<Buffer[] | undefined> = new Array<Buffer[] | undefined>(this.protocol.variants);
    for (const connection of subscribers) {
      if (connection.stalled || connection.closed) continue;
      const variant = this.protocol.variantOf(connection.state);
      let frames = cache[variant];
      if (frames === undefined) {
        frames = render(variant).map((text) => Buffer.from(text));
        cache[variant] = frames;
      }
      for (const frame of frames) {
        if (connection.closed) break;
        this.send(connection, frame);
      }
    }
  }

  private send(connection: Connection, frame: Buffer | string): void {
    if (!connection.corked) {
      connection.corked = true;
      connection.socket.cork();
      this.corked.push(connection);
    }
    connection.ws.send(frame, { binary: false });
    connection.messagesSent += 1;
    this.messagesSent += 1;
    // Like the exchanges, a client that cannot keep up is cut rather than buffered without bound.
    if (connection.bufferedBytes > this.config.maxBufferedBytes) {
      this.droppedSlowConsumers += 1;
      this.disconnect(connection, 'slow-consumer', () => connection.socket.destroy());
    }
  }

  private uncorkAll(): void {
    for (const connection of this.corked) {
      connection.corked = false;
      if (!connection.socket.destroyed) connection.socket.uncork();
    }
    this.corked.length = 0;
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const decision = this.protocol.upgrade(url, req.socket.remoteAddress ?? 'unknown', Date.now());
    if (decision.kind === 'refuse') {
      const type = decision.body.startsWith('{') ? 'application/json' : 'text/plain';
      socket.end(`HTTP/1.1 ${decision.status} ${decision.statusText}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(decision.body)}\r\nConnection: close\r\n\r\n${decision.body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket, decision.state, decision.streams, decision.closeOnOpen));
  }

  private onConnection(ws: WebSocket, socket: Socket, state: unknown, streams: string[], closeOnOpen: CloseAction | undefined): void {
    if (this.stopping) {
      ws.terminate();
      return;
    }
    const connection = new Connection(this.nextConnectionId++, ws, socket, state, Date.now(), this.protocol.maxIncomingMessagesPerSecond);
    this.connections.add(connection);
    socket.setNoDelay(true);
    ws.on('message', (data, isBinary) => this.onMessage(connection, isBinary ? '' : data.toString()));
    // Pongs are answered by hand (autoPong off) so a stalled connection can stay
    // silent to client pings too, as a half-dead TCP path would.
    ws.on('ping', (data) => {
      if (connection.stalled || connection.closed) return;
      connection.lastClientFrameAt = Date.now();
      if (this.countIncoming(connection)) ws.pong(data);
    });
    ws.on('pong', () => {
      if (connection.stalled) return;
      connection.lastPongAt = Date.now();
      connection.lastClientFrameAt = connection.lastPongAt;
      this.countIncoming(connection);
    });
    ws.on('close', () => this.forget(connection, 'client'));
    ws.on('error', (error) => this.logger.debug('connection error', { connection: connection.id, error: errorMessage(error) }));
    if (closeOnOpen) {
      this.close(connection, closeOnOpen);
      return;
    }
    for (const stream of new Set(streams)) this.subscribe(connection, stream);
    this.logger.debug('connection opened', { connection: connection.id, streams: connection.streams.size });
  }

  /** Counts an incoming frame; false (and the connection is closed) past the plug-in's rate. */
  private countIncoming(connection: Connection): boolean {
    if (!connection.limiter || connection.limiter.hit(Date.now())) return true;
    this.disconnect(connection, 'too-many-messages', () => connection.ws.close(1008, 'Too many messages'));
    return false;
  }

  private onMessage(connection: Connection, text: string): void {
    if (connection.stalled || connection.closed) return;
    const now = Date.now();
    connection.lastClientFrameAt = now;
    if (!this.countIncoming(connection)) return;
    const outcome = this.protocol.control(text, connection, now);
    for (const stream of outcome.unsubscribe) this.unsubscribe(connection, stream);
    for (const stream of outcome.subscribe) this.subscribe(connection, stream);
    for (const reply of outcome.replies) this.send(connection, reply);
    this.uncorkAll();
    if (outcome.close) this.close(connection, outcome.close);
  }

  private close(connection: Connection, action: CloseAction): void {
    this.disconnect(connection, action.cause, () => connection.ws.close(action.code, action.reason));
  }

  private subscribe(connection: Connection, stream: string): void {
    if (connection.closed) return;
    connection.streams.add(stream);
    let subscribers = this.hub.get(stream);
    if (!subscribers) {
      subscribers = new Set();
      this.hub.set(stream, subscribers);
    }
    subscribers.add(connection);
    // A replay starts with the first subscription to something it will deliver, so the client sees it from the beginning.
    if (this.replay && !this.replay.started && this.protocol.serves(stream)) this.replay.start(Date.now());
  }

  private unsubscribe(connection: Connection, stream: string): void {
    connection.streams.delete(stream);
    const subscribers = this.hub.get(stream);
    subscribers?.delete(connection);
    if (subscribers?.size === 0) this.hub.delete(stream);
  }

  private disconnect(connection: Connection, reason: DisconnectReason, close: () => void): void {
    if (connection.closed) return;
    this.forget(connection, reason);
    if (reason !== 'stop') this.logger.info('connection closed by server', { connection: connection.id, reason });
    close();
  }

  private forget(connection: Connection, reason: DisconnectReason): void {
    if (connection.closed) return;
    connection.closed = true;
    this.disconnects[reason] = (this.disconnects[reason] ?? 0) + 1;
    for (const stream of [...connection.streams]) this.unsubscribe(connection, stream);
    this.connections.delete(connection);
  }

  /** Keepalive (server pings and pong timeouts, or the idle cut) and the connection age limit. */
  private sweepConnections(): void {
    const now = Date.now();
    const rule = this.protocol.keepalive;
    const { maxConnectionAgeMs, shutdownNoticeMs } = this.config;
    for (const connection of [...this.connections]) {
      if (connection.stalled) continue;
      if (rule.kind === 'server-ping') {
        if (now - connection.lastPongAt > rule.pongTimeoutMs) {
          this.disconnect(connection, 'pong-timeout', () => connection.ws.terminate());
          continue;
        }
      } else {
        if (connection.messagesSent !== connection.sentAtLastSweep) {
          connection.sentAtLastSweep = connection.messagesSent;
          connection.lastTrafficAt = now;
        }
        const lastActivity = rule.idle === 'no-traffic' ? Math.max(connection.lastTrafficAt, connection.lastClientFrameAt) : connection.lastClientFrameAt;
        if (now - lastActivity > rule.idleTimeoutMs) {
          this.disconnect(connection, 'idle', () => (rule.onIdle === 'terminate' ? connection.ws.terminate() : connection.ws.close(rule.onIdle.code, rule.onIdle.reason)));
          continue;
        }
      }
      const age = now - connection.createdAt;
      if (age >= maxConnectionAgeMs) {
        this.disconnect(connection, 'max-age', () => connection.ws.close(1000, 'Connection age limit'));
        continue;
      }
      if (!connection.shutdownNotified && age >= maxConnectionAgeMs - shutdownNoticeMs) this.notifyShutdown(connection);
      if (rule.kind === 'server-ping' && now - connection.lastPingAt >= rule.pingIntervalMs) {
        connection.lastPingAt = now;
        connection.ws.ping(String(now));
      }
    }
    this.uncorkAll();
  }

  private notifyShutdown(connection: Connection): void {
    connection.shutdownNotified = true;
    const notice = this.protocol.shutdownNotice(connection, this.exchangeTime());
    if (notice !== undefined) this.send(connection, notice);
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const reply = (status: number, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): void => {
      res.writeHead(status, headers).end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      if (url.pathname.startsWith('/_sim/')) {
        const action = url.pathname.slice(6);
        if (action === 'stats' && req.method === 'GET') return reply(200, this.stats());
        if (req.method !== 'POST') return reply(405, { error: 'fault endpoints take POST' });
        return reply(200, this.fault(action, url.searchParams));
      }
      const response = this.protocol.rest(
        {
          market: this.market,
          exchangeTime: () => this.exchangeTime(),
          wallTime: () => Date.now(),
          failure: () => this.restFailure,
        },
        { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, client: req.socket.remoteAddress ?? 'unknown' },
      );
      reply(response.status, response.body, response.headers);
    } catch (error) {
      if (error instanceof FaultRequestError) return reply(400, { error: error.message });
      this.logger.error('request failed', { path: url.pathname, error: errorMessage(error) });
      reply(500, { msg: 'An unknown error occurred while processing the request.' });
    }
  }

  /** Fault injection; returns what was done. */
  fault(action: string, params: URLSearchParams): Record<string, unknown> {
    const symbols = (params.get('symbols') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    const targets = [...this.connections].filter((c) => !c.stalled);
    switch (action) {
      case 'drop':
        for (const connection of targets) this.disconnect(connection, 'drop', () => connection.socket.destroy());
        return { dropped: targets.length };
      case 'stall':
        for (const connection of targets) connection.stalled = true;
        return { stalled: targets.length };
      case 'garbage': {
        const now = this.exchangeTime();
        for (const connection of targets) {
          for (const frame of this.protocol.garbage(connection, now)) if (!connection.closed) this.send(connection, frame);
          if (!connection.closed) connection.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
        }
        this.uncorkAll();
        return { connections: targets.length };
      }
      case 'pause':
        if (symbols.length === 0) throw new FaultRequestError('pause needs ?symbols=A,B');
        this.market.pause(symbols);
        return { paused: this.market.pausedSymbols() };
      case 'resume':
        this.market.resume(symbols);
        return { paused: this.market.pausedSymbols() };
      case 'rest-fail': {
        const status = Number(params.get('status') ?? 429);
        const seconds = Number(params.get('seconds') ?? 10);
        if (!Number.isInteger(status) || status < 400 || status > 599) throw new FaultRequestError('status must be an HTTP error status (400-599)');
        if (!Number.isFinite(seconds) || seconds <= 0) throw new FaultRequestError('seconds must be positive');
        this.restFailure = { status, until: Date.now() + seconds * 1000 };
        return { status, seconds };
      }
      case 'shutdown-notice': {
        const graceMs = Number(params.get('graceMs') ?? 1000);
        if (!Number.isFinite(graceMs) || graceMs < 0) throw new FaultRequestError('graceMs must be a non-negative number');
        for (const connection of targets) if (!connection.shutdownNotified) this.notifyShutdown(connection);
        this.uncorkAll();
        const timer = setTimeout(() => {
          this.timers = this.timers.filter((t) => t !== timer);
          for (const connection of targets) this.disconnect(connection, 'shutdown-notice', () => connection.ws.close(1001, 'Server shutdown'));
        }, graceMs);
        this.timers.push(timer);
        return { notified: targets.length, graceMs };
      }
      default:
        throw new FaultRequestError(`unknown fault ${action}; one of drop, stall, garbage, pause, resume, rest-fail, shutdown-notice`);
    }
  }

  stats(): SimulatorStats {
    const now = Date.now();
    const perConnection = [...this.connections].map((c) => ({
      id: c.id,
      streams: c.streams.size,
      combined: this.protocol.isCombined?.(c.state) ?? false,
      ageMs: now - c.createdAt,
      stalled: c.stalled,
      bufferedBytes: c.bufferedBytes,
      messagesSent: c.messagesSent,
    }));
    return {
      exchange: this.protocol.id,
      connections: perConnection.length,
      subscriptions: perConnection.reduce((sum, c) => sum + c.streams, 0),
      perConnection,
      tradesTotal: this.tradesPublished,
      tradesPerSecond: this.tradesPerSecond,
      messagesSent: this.messagesSent,
      droppedSlowConsumers: this.droppedSlowConsumers,
      disconnects: { ...this.disconnects },
      pausedSymbols: this.market.pausedSymbols(),
      ...(this.replay ? { replay: { position: this.replay.position, total: this.replay.total, started: this.replay.started, clock: this.exchangeTime() } } : {}),
    };
  }
}
