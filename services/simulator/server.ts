import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BINANCE_WS_LIMITS } from '../shared/binance';
import { type Logger, createLogger, errorMessage } from '../shared';
import { Connection, type DisconnectReason } from './connection';
import { FaultRequestError, SimulatorConfigError } from './errors';
import { garbageFrames } from './faults';
import { aggTradePayload, combinedMessage, klinePayload, miniTickerPayload, serverShutdownMessage, splitQuantity, tickerStats, tradePayload } from './format';
import { TradeGenerator } from './generator';
import { type AggTradeRecord, minuteOf } from './history';
import { RequestWeightLimiter } from './limits';
import { Market, type SymbolState } from './market';
import { PREHISTORY_MAX_RATE, type SimulatorConfig } from './options';
import { Prng } from './prng';
import { decideControl, parseControlMessage } from './protocol';
import { type ReplayEvent, ReplayCursor, parseReplay } from './replay';
import { type RestFailure, handleRest } from './rest';
import { isWellFormedStream, servedStream } from './streams';
import { type SymbolSpec, exchangeInfoUniverse, listedUniverse, startPrices, syntheticUniverse } from './universe';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Replay events sent per tick at most, so a huge speed cannot block the event loop. */
const MAX_REPLAY_EVENTS_PER_TICK = 20_000;
const KLINE_BARS_KEPT = 1440;

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

interface StreamKeys {
  aggTrade: string;
  trade: string;
  kline: string;
  miniTicker: string;
}

type Render = (variant: number) => string;

/**
 * The simulator process: one node:http server answering REST and fault requests
 * and upgrading `/ws` and `/stream` to WebSockets. Trades are generated (or replayed)
 * on a drift-corrected timer; each event is encoded once per encoding variant and
 * the same Buffer goes to every subscriber, with sockets corked for the duration of
 * a tick so a burst leaves in few syscalls.
 */
export class SimulatorServer {
  readonly logger: Logger;
  market!: Market;
  private generator: TradeGenerator | undefined;
  private replay: ReplayCursor | undefined;
  private replayEvents: ReplayEvent[] = [];
  private replaying: ReplayEvent | undefined;
  private keys: StreamKeys[] = [];
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024, autoPong: false });
  private readonly hub = new Map<string, Set<Connection>>();
  private readonly connections = new Set<Connection>();
  private readonly corked: Connection[] = [];
  private readonly weights: RequestWeightLimiter;
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
    this.weights = new RequestWeightLimiter(config.restWeightLimit);
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
    const sweepMs = Math.max(10, Math.min(1000, Math.min(this.config.pingIntervalMs, this.config.pongTimeoutMs, this.config.maxConnectionAgeMs) / 4));
    this.timers.push(setInterval(() => this.sweepConnections(), sweepMs));
    this.timers.push(setInterval(() => this.publishPeriodic(), 1000));
    const address = this.http.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    this.logger.info('simulator listening', { port, symbols: this.market.states.length, rate: this.config.rate, replay: this.config.replayFile ?? null });
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

  private async buildMarket(): Promise<void> {
    const config = this.config;
    const rng = new Prng(config.seed);
    let specs: SymbolSpec[];
    let prices: number[];
    if (config.exchangeInfoFile) {
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
      this.replayEvents = parseReplay(await readFile(config.replayFile, 'utf8'), config.maxReplayEvents);
      const first = this.replayEvents[0] as ReplayEvent;
      const known = new Set(specs.map((s) => s.symbol));
      const replayed = [...new Set(this.replayEvents.map((e) => e.symbol))].filter((s) => !known.has(s));
      const extra = listedUniverse(replayed, rng);
      const firstPrice = new Map(this.replayEvents.map((e) => [e.symbol, e.trade.priceE8 / 1e8] as const).reverse());
      specs = [...specs, ...extra.specs];
      prices = [...prices, ...extra.specs.map((s) => firstPrice.get(s.symbol) ?? 1)];
      this.market = new Market(specs, prices, first.eventTime, limits);
      this.replay = new ReplayCursor(this.replayEvents, config.speed);
    } else {
      const now = Date.now();
      const origin = now - config.historyMinutes * 60_000;
      this.market = new Market(specs, prices, origin, limits);
      this.generator = new TradeGenerator(this.market, { rate: config.rate, seed: config.seed, volatility: config.volatility });
      this.generator.prehistory(origin, now, Math.min(config.rate, PREHISTORY_MAX_RATE));
    }
    this.keys = this.market.states.map((s) => ({ aggTrade: `${s.lower}@aggTrade`, trade: `${s.lower}@trade`, kline: `${s.lower}@kline_1m`, miniTicker: `${s.lower}@miniTicker` }));
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
    const keys = this.keys[state.index] as StreamKeys;
    const symbol = state.spec.symbol;
    const aggSubscribers = this.hub.get(keys.aggTrade);
    if (aggSubscribers !== undefined && aggSubscribers.size > 0) {
      const original = this.replaying;
      this.deliver(aggSubscribers, (variant) => {
        if (original && variant < 2) return variant === 1 ? original.combined : original.payload;
        const payload = aggTradePayload(symbol, trade, eventTime, variant >= 2 ? 1000 : 1);
        return variant & 1 ? combinedMessage(keys.aggTrade, payload) : payload;
      });
    }
    const tradeSubscribers = this.hub.get(keys.trade);
    if (tradeSubscribers !== undefined && tradeSubscribers.size > 0) {
      const quantities = splitQuantity(trade.qtyE8, trade.l - trade.f + 1, state.spec.stepE8);
      quantities.forEach((qtyE8, i) => {
        this.deliver(tradeSubscribers, (variant) => {
          const payload = tradePayload(symbol, trade.f + i, trade.priceE8, qtyE8, trade.T, trade.m, eventTime, variant >= 2 ? 1000 : 1);
          return variant & 1 ? combinedMessage(keys.trade, payload) : payload;
        });
      });
    }
  }

  /** Kline updates (at most once a second, plus the closing candle) and miniTickers. */
  private publishPeriodic(): void {
    const now = this.exchangeTime();
    const minute = minuteOf(now);
    try {
      for (const state of this.market.states) {
        const keys = this.keys[state.index] as StreamKeys;
        const klineSubscribers = this.hub.get(keys.kline);
        if (klineSubscribers !== undefined && klineSubscribers.size > 0) {
          const closed = state.klines.closeIfBefore(minute);
          if (closed) this.deliver(klineSubscribers, this.periodic(keys.kline, now, (factor) => klinePayload(state.spec.symbol, closed, true, now, factor)));
          const current = state.klines.current;
          if (current && state.klines.dirty) this.deliver(klineSubscribers, this.periodic(keys.kline, now, (factor) => klinePayload(state.spec.symbol, current, false, now, factor)));
          state.klines.dirty = false;
        }
        const tickerSubscribers = this.hub.get(keys.miniTicker);
        if (tickerSubscribers !== undefined && tickerSubscribers.size > 0 && state.tickerDirty) {
          const bars = state.klines.barsBetween(now - DAY_MS, now);
          const stats = tickerStats(bars, bars[0]?.o ?? state.klines.lastPrice());
          if (stats) this.deliver(tickerSubscribers, this.periodic(keys.miniTicker, now, (factor) => miniTickerPayload(state.spec.symbol, stats, now, factor)));
          state.tickerDirty = false;
        }
      }
    } finally {
      this.uncorkAll();
    }
    this.tradesPerSecond = this.tradesPublished - this.tradesAtLastSecond;
    this.tradesAtLastSecond = this.tradesPublished;
  }

  private periodic(stream: string, _now: number, payload: (factor: number) => string): Render {
    return (variant) => {
      const data = payload(variant >= 2 ? 1000 : 1);
      return variant & 1 ? combinedMessage(stream, data) : data;
    };
  }

  /** Sends one event to every healthy subscriber, encoding it at most once per variant. */
  private deliver(subscribers: Set<Connection>, render: Render): void {
    const cache: Array<Buffer | undefined> = [undefined, undefined, undefined, undefined];
    for (const connection of subscribers) {
      if (connection.stalled || connection.closed) continue;
      const variant = connection.variant;
      let frame = cache[variant];
      if (frame === undefined) {
        frame = Buffer.from(render(variant));
        cache[variant] = frame;
      }
      this.send(connection, frame);
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
    // Like Binance, a client that cannot keep up is cut rather than buffered without bound.
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
    let streams: string[];
    let combined: boolean;
    if (url.pathname === '/ws' || url.pathname === '/ws/') {
      streams = [];
      combined = false;
    } else if (url.pathname.startsWith('/ws/')) {
      streams = [decodeURIComponent(url.pathname.slice(4))];
      combined = false;
    } else if (url.pathname === '/stream' || url.pathname === '/stream/') {
      const list = url.searchParams.get('streams');
      streams = list ? list.split('/').filter((s) => s !== '') : [];
      combined = true;
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!streams.every(isWellFormedStream)) {
      const body = JSON.stringify({ code: 2, msg: 'Invalid request: invalid stream' });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const timeUnit = (url.searchParams.get('timeUnit') ?? 'MILLISECOND').toUpperCase();
    const timeFactor = timeUnit === 'MICROSECOND' ? 1000 : 1;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket, streams, combined, timeFactor));
  }

  private onConnection(ws: WebSocket, socket: Socket, streams: string[], combined: boolean, timeFactor: number): void {
    if (this.stopping) {
      ws.terminate();
      return;
    }
    const connection = new Connection(this.nextConnectionId++, ws, socket, combined, timeFactor, Date.now(), BINANCE_WS_LIMITS.maxIncomingMessagesPerSecond);
    this.connections.add(connection);
    socket.setNoDelay(true);
    ws.on('message', (data, isBinary) => this.onMessage(connection, isBinary ? '' : data.toString()));
    // Pongs are answered by hand (autoPong off) so a stalled connection can stay
    // silent to client pings too, as a half-dead TCP path would.
    ws.on('ping', (data) => {
      if (connection.stalled || connection.closed) return;
      if (this.countIncoming(connection)) ws.pong(data);
    });
    ws.on('pong', () => {
      if (connection.stalled) return;
      connection.lastPongAt = Date.now();
      this.countIncoming(connection);
    });
    ws.on('close', () => this.forget(connection, 'client'));
    ws.on('error', (error) => this.logger.debug('connection error', { connection: connection.id, error: errorMessage(error) }));
    const unique = [...new Set(streams)];
    if (unique.length > BINANCE_WS_LIMITS.maxStreamsPerConnection) {
      this.disconnect(connection, 'too-many-streams', () => ws.close(1008, 'Too many streams'));
      return;
    }
    for (const stream of unique) this.subscribe(connection, stream);
    this.logger.debug('connection opened', { connection: connection.id, streams: unique.length, combined });
  }

  /** Counts an incoming frame; false (and the connection is closed) past 5 a second. */
  private countIncoming(connection: Connection): boolean {
    if (connection.limiter.hit(Date.now())) return true;
    this.disconnect(connection, 'too-many-messages', () => connection.ws.close(1008, 'Too many messages'));
    return false;
  }

  private onMessage(connection: Connection, text: string): void {
    if (connection.stalled || connection.closed || !this.countIncoming(connection)) return;
    const parsed = parseControlMessage(text);
    if ('error' in parsed) {
      this.reply(connection, parsed);
      return;
    }
    const outcome = decideControl(parsed, connection.streams, connection.combined, BINANCE_WS_LIMITS.maxStreamsPerConnection);
    if (outcome.exceedsStreamLimit) {
      this.disconnect(connection, 'too-many-streams', () => connection.ws.close(1008, 'Too many streams'));
      return;
    }
    for (const stream of outcome.unsubscribe) this.unsubscribe(connection, stream);
    for (const stream of outcome.subscribe) this.subscribe(connection, stream);
    if (outcome.setCombined !== undefined) connection.combined = outcome.setCombined;
    this.reply(connection, outcome.reply);
  }

  private reply(connection: Connection, message: object): void {
    this.send(connection, JSON.stringify(message));
    this.uncorkAll();
  }

  private subscribe(connection: Connection, stream: string): void {
    connection.streams.add(stream);
    let subscribers = this.hub.get(stream);
    if (!subscribers) {
      subscribers = new Set();
      this.hub.set(stream, subscribers);
    }
    subscribers.add(connection);
    // A replay starts with the first subscription to something it will deliver, so the client sees it from the beginning.
    if (this.replay && !this.replay.started && servedStream(stream)) this.replay.start(Date.now());
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

  /** Pings, pong timeouts and the connection age limit (announced by serverShutdown). */
  private sweepConnections(): void {
    const now = Date.now();
    const { pingIntervalMs, pongTimeoutMs, maxConnectionAgeMs, shutdownNoticeMs } = this.config;
    for (const connection of [...this.connections]) {
      if (connection.stalled) continue;
      if (now - connection.lastPongAt > pongTimeoutMs) {
        this.disconnect(connection, 'pong-timeout', () => connection.ws.terminate());
        continue;
      }
      const age = now - connection.createdAt;
      if (age >= maxConnectionAgeMs) {
        this.disconnect(connection, 'max-age', () => connection.ws.close(1000, 'Connection age limit'));
        continue;
      }
      if (!connection.shutdownNotified && age >= maxConnectionAgeMs - shutdownNoticeMs) this.notifyShutdown(connection);
      if (now - connection.lastPingAt >= pingIntervalMs) {
        connection.lastPingAt = now;
        connection.ws.ping(String(now));
      }
    }
    this.uncorkAll();
  }

  private notifyShutdown(connection: Connection): void {
    connection.shutdownNotified = true;
    this.send(connection, serverShutdownMessage(this.exchangeTime(), connection.combined, connection.timeFactor));
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
      if (req.method !== 'GET') return reply(405, { code: -1000, msg: 'Method not allowed.' });
      const response = handleRest(
        {
          market: this.market,
          weights: this.weights,
          exchangeTime: () => this.exchangeTime(),
          wallTime: () => Date.now(),
          failure: () => this.restFailure,
        },
        { path: url.pathname, query: url.searchParams, client: req.socket.remoteAddress ?? 'unknown' },
      );
      reply(response.status, response.body, response.headers);
    } catch (error) {
      if (error instanceof FaultRequestError) return reply(400, { error: error.message });
      this.logger.error('request failed', { path: url.pathname, error: errorMessage(error) });
      reply(500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
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
          const stream = [...connection.streams][0] ?? `${this.keys[0]?.aggTrade ?? 'btcusdt@aggTrade'}`;
          const symbol = stream.split('@')[0]?.toUpperCase() ?? 'BTCUSDT';
          for (const frame of garbageFrames(stream, symbol, connection.combined, now)) this.send(connection, frame);
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
    const perConnection = [...this.connections].map((c) => ({ id: c.id, streams: c.streams.size, combined: c.combined, ageMs: now - c.createdAt, stalled: c.stalled, bufferedBytes: c.bufferedBytes, messagesSent: c.messagesSent }));
    return {
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
