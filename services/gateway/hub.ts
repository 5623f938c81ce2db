import { errorMessage, type Logger } from '../shared';
import type { RateFields } from '../shared/rates';
import type { ChartBook } from './chart';
import { Conflator, type OutgoingRate } from './conflation';
import { ProtocolError, type ErrorCode, type MessageId } from './errors';
import type { GatewayMetrics } from './metrics';
import { moversView } from './movers';
import { encodeMessage, parseClientMessage, ratesFrame, type Mover, type ProtocolLimits, type ServerMessage, type Topic } from './protocol';
import { ConnectionCounter, TokenBucket } from './rate-limit';
import { Session, type Transport } from './session';
import { SubscriptionRegistry } from './subscriptions';

/** What the hub reads: RedisSource in production, a fake in unit tests. */
export interface RatesSource {
  snapshot(exchange: string, symbols: '*' | readonly string[]): Promise<RateFields[]>;
  rankEnds(exchange: string, window: '1m' | '5m' | '15m', depth: number): Promise<{ highest: Mover[]; lowest: Mover[] }>;
  collectors(): Promise<Record<string, string>[]>;
}

export interface HubSettings {
  exchanges: readonly string[];
  conflateMs: number;
  maxSubscriptions: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  messageRate: number;
  messageBurst: number;
  maxBufferedBytes: number;
  slowClientMs: number;
  moversIntervalMs: number;
  moversMaxLimit: number;
  healthIntervalMs: number;
}

/**
 * A client that lets its socket buffer reach this many times the bound is closed
 * at once, whatever it is being sent (snapshots, errors): the hard memory bound
 * per connection. Below it, only updates wait (see Conflator).
 */
const HARD_BUFFER_FACTOR = 4;
/** An unwritable client is looked at again this often. */
const RETRY_MS = 50;

/**
 * The gateway's core, without sockets: sessions, their subscriptions, the
 * fan-out of Redis messages through each client's conflation, the movers and
 * health pollers. A slow client only ever affects its own Conflator: the
 * fan-out writes to a socket only when it has room and never waits on one.
 */
export class StreamHub {
  readonly registry: SubscriptionRegistry<Session>;
  private readonly counter: ConnectionCounter;
  private readonly sessions = new Set<Session>();
  private readonly limits: ProtocolLimits;
  private readonly exchanges: Set<string>;
  private nextId = 1;
  private moversTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private moversRunning = false;
  private healthRunning = false;
  /** Rates queued for the clients during this event-loop turn, by exchange and client. */
  private batch = new Map<string, Map<Session, OutgoingRate[]>>();
  private batchScheduled = false;
  /** Newest tradeTs seen per `exchange:symbol`, to tell a new trade from a re-evaluation; see MAX_TRACKED_TRADES. */
  private lastTradeTs = new Map<string, number>();

  constructor(
    private readonly settings: HubSettings,
    private readonly source: RatesSource,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    /** The recent prices the chart channel answers with (Gateway records into it); none: charts come back empty. */
    private readonly charts?: ChartBook,
  ) {
    this.registry = new SubscriptionRegistry(settings.maxSubscriptions);
    this.counter = new ConnectionCounter(settings.maxConnectionsPerIp, settings.maxConnections);
    this.exchanges = new Set(settings.exchanges);
    this.limits = { maxSymbolsPerMessage: settings.maxSubscriptions, maxMoversLimit: settings.moversMaxLimit };
  }

  get protocolLimits(): ProtocolLimits {
    return this.limits;
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Starts the movers and health pollers (they read Redis only while someone follows them). */
  start(): void {
    this.moversTimer = setInterval(() => void this.pollMovers(), this.settings.moversIntervalMs);
    this.healthTimer = setInterval(() => void this.pollHealth(), this.settings.healthIntervalMs);
  }

  /** Whether a new connection from `address` fits the caps; the refusal reason otherwise. */
  admit(address: string): 'ip_limit' | 'capacity' | undefined {
    return this.counter.tryAcquire(address);
  }

  /** Gives back an admitted slot whose upgrade did not complete. */
  unadmit(address: string): void {
    this.counter.release(address);
  }

  /** A new connection, already admitted. */
  open(transport: Transport, address: string): Session {
    const session = new Session(this.nextId++, transport, address, new TokenBucket(this.settings.messageRate, this.settings.messageBurst));
    this.sessions.add(session);
    this.metrics.connections.inc({ transport: transport.kind });
    return session;
  }

  /** The connection ended (either side); idempotent. */
  close(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session);
    this.registry.remove(session);
    for (const conflator of session.conflators.values()) conflator.close();
    session.conflators.clear();
    this.counter.release(session.address);
    this.metrics.connections.dec({ transport: session.transport.kind });
    this.metrics.subscriptions.set(this.registry.size);
  }

  /** Closes every client with `code` (1001 on shutdown). */
  closeAll(code: number, reason: string): void {
    for (const session of [...this.sessions]) {
      session.transport.close(code, reason);
      this.close(session);
    }
  }

  stop(): void {
    clearInterval(this.moversTimer);
    clearInterval(this.healthTimer);
  }

  /** One WebSocket text frame from a client. Never throws: every problem is answered and counted. */
  handleMessage(session: Session, text: string): void {
    if (session.closed) return;
    if (!session.bucket.take()) {
      this.metrics.badClientMessages.inc({ reason: 'rate_limited' });
      const now = Date.now();
      if (now - session.lastRateLimitedAt >= 1000) {
        session.lastRateLimitedAt = now;
        this.sendError(session, null, 'rate_limited', `more than ${this.settings.messageRate} messages per second (burst ${this.settings.messageBurst}); messages are dropped until the rate falls`, false);
      }
      return;
    }
    try {
      const message = parseClientMessage(text, this.limits);
      switch (message.op) {
        case 'ping':
          this.send(session, { type: 'pong', id: message.id });
          return;
        case 'subscribe':
          this.subscribe(session, message.topic, message.id, true);
          return;
        case 'unsubscribe':
          this.unsubscribe(session, message.topic, message.id);
          return;
      }
    } catch (error) {
      if (error instanceof ProtocolError) return this.refuse(session, error);
      this.logger.error('handling a client message failed', { error: errorMessage(error) });
    }
  }

  /** Refuses a message and counts it by reason. */
  refuse(session: Session, error: ProtocolError): void {
    this.sendError(session, error.id, error.errorCode, error.message);
  }

  /** Subscribes `topic`; `ack` sends `subscribed` (WebSocket; SSE streams start with the data). Throws ProtocolError. */
  subscribe(session: Session, topic: Topic, id: MessageId | null, ack: boolean): void {
    if (topic.channel !== 'health' && !this.exchanges.has(topic.exchange)) {
      throw new ProtocolError('unknown_exchange', `exchange "${topic.exchange}" is not served here; one of ${[...this.exchanges].map((e) => `"${e}"`).join(', ')}`, id);
    }
    if (topic.channel === 'chart') {
      // Answered once from memory, held by nothing: no subscription slot, no Redis read.
      if (ack) this.send(session, { type: 'subscribed', id });
      this.send(session, { type: 'chart', exchange: topic.exchange, symbol: topic.symbol, points: this.charts?.points(topic.exchange, topic.symbol, Date.now()) ?? [] });
      return;
    }
    const result = this.registry.subscribe(session, topic, id);
    this.metrics.subscriptions.set(this.registry.size);
    if (ack) this.send(session, { type: 'subscribed', id });
    switch (topic.channel) {
      case 'rates':
        void this.sendSnapshot(session, topic.exchange, topic.symbols, id);
        return;
      case 'movers':
        session.lastMovers.delete(result.channel === 'movers' ? result.key : '');
        void this.pollMovers(session);
        return;
      case 'health':
        session.lastHealth = undefined;
        void this.pollHealth(session);
        return;
    }
  }

  private unsubscribe(session: Session, topic: Topic, id: MessageId | null): void {
    // A chart holds nothing; its unsubscribe is accepted so clients can treat every channel alike.
    if (topic.channel === 'chart') {
      this.send(session, { type: 'unsubscribed', id });
      return;
    }
    const result = this.registry.unsubscribe(session, topic);
    if (!result) throw new ProtocolError('not_subscribed', 'no subscription matches this unsubscribe (give the keys of the subscribe: channel, exchange, symbols or window)', id);
    this.metrics.subscriptions.set(this.registry.size);
    if (topic.channel === 'rates') {
      const conflator = session.conflators.get(topic.exchange);
      if (conflator && !this.registry.ratesTopicsOf(session).some((t) => t.exchange === topic.exchange)) {
        conflator.close();
        session.conflators.delete(topic.exchange);
      } else if (conflator && result.removed !== '*' && !this.registry.followsAll(session, topic.exchange)) {
        conflator.forget(result.removed);
      }
    } else if (topic.channel === 'movers') session.lastMovers.delete(`${topic.exchange}:${topic.window}`);
    else session.lastHealth = undefined;
    this.send(session, { type: 'unsubscribed', id });
  }

  /** Fresh snapshots for every rates subscription (Redis came back: updates may have been missed). */
  resnapshotAll(): void {
    for (const session of this.sessions) for (const topic of this.registry.ratesTopicsOf(session)) void this.sendSnapshot(session, topic.exchange, topic.symbols, null);
  }

  /**
   * Fan-out of one `rates:{exchange}` message: each rate is serialized once and
   * queued for every client following its symbol. The queue is handed to the
   * clients' conflators once per event-loop turn, so messages that arrived in one
   * socket read (Redis delivers many at once when the gateway is busy) become one
   * frame per client instead of one per message: the batches grow with the load.
   */
  deliver(exchange: string, rates: readonly RateFields[]): void {
    let bySession = this.batch.get(exchange);
    if (!bySession) this.batch.set(exchange, (bySession = new Map()));
    for (const rate of rates) {
      let outgoing: OutgoingRate | undefined;
      const newTrade = this.isNewTrade(exchange, rate);
      this.registry.forEachFollower(exchange, rate.symbol, (session) => {
        outgoing ??= { ...toOutgoing(rate), newTrade };
        const list = bySession.get(session);
        if (list) list.push(outgoing);
        else bySession.set(session, [outgoing]);
      });
    }
    if (!this.batchScheduled) {
      this.batchScheduled = true;
      setImmediate(() => this.flushBatch());
    }
  }

  private isNewTrade(exchange: string, rate: RateFields): boolean {
    const key = `${exchange}:${rate.symbol}`;
    const tradeTs = Number(rate.tradeTs);
    const last = this.lastTradeTs.get(key);
    if (last !== undefined && tradeTs <= last) return false;
    // Bounded by the symbols the collectors publish; past the bound (a universe far beyond any
    // exchange's) the map restarts.
    if (last === undefined && this.lastTradeTs.size >= MAX_TRACKED_TRADES) this.lastTradeTs.clear();
    this.lastTradeTs.set(key, tradeTs);
    // The first rate seen of a symbol may be a re-evaluation of a trade from minutes ago (a quiet
    // symbol, a gateway just started): only a tradeTs that moved on is known to be a new trade.
    return last !== undefined;
  }

  /** Offers the queued rates (see deliver); a client that left meanwhile is skipped. */
  flushBatch(): void {
    this.batchScheduled = false;
    const batch = this.batch;
    this.batch = new Map();
    for (const [exchange, bySession] of batch) for (const [session, list] of bySession) if (!session.closed) this.conflatorOf(session, exchange).offer(list);
  }

  private conflatorOf(session: Session, exchange: string): Conflator {
    let conflator = session.conflators.get(exchange);
    if (conflator) return conflator;
    conflator = new Conflator({
      intervalMs: this.settings.conflateMs,
      slowAfterMs: this.settings.slowClientMs,
      retryMs: RETRY_MS,
      writable: () => session.transport.bufferedAmount() <= this.settings.maxBufferedBytes,
      send: (out) => this.sendRates(session, 'update', exchange, out),
      onSlow: () => this.closeSlow(session, 'behind'),
      onConflated: (count) => this.metrics.conflated.inc(count),
      onStale: (count) => this.metrics.staleDropped.inc(count),
    });
    session.conflators.set(exchange, conflator);
    return conflator;
  }

  private async sendSnapshot(session: Session, exchange: string, symbols: '*' | string[], id: MessageId | null): Promise<void> {
    const conflator = this.conflatorOf(session, exchange);
    conflator.hold();
    let rates: RateFields[] = [];
    let failure: unknown;
    try {
      rates = await this.source.snapshot(exchange, symbols);
    } catch (error) {
      failure = error;
      this.metrics.redisErrors.inc({ operation: 'snapshot' });
    }
    if (session.closed) return;
    // What was unsubscribed while the snapshot was read is not sent.
    const followed = rates.filter((rate) => this.registry.follows(session, exchange, rate.symbol)).map(toOutgoing);
    conflator.release(followed, (fresh) => {
      if (failure === undefined) this.sendRates(session, 'snapshot', exchange, fresh);
    });
    if (failure !== undefined) this.sendError(session, id, 'snapshot_failed', `reading the snapshot from Redis failed (${errorMessage(failure)}); updates follow, subscribe again for a snapshot`);
  }

  private sendRates(session: Session, type: 'snapshot' | 'update', exchange: string, rates: readonly OutgoingRate[]): void {
    if (!this.write(session, type, ratesFrame(type, exchange, rates.map((r) => r.json)))) return;
    if (type !== 'update') return;
    this.metrics.ratesSent.inc(rates.length);
    // One observation per frame, of its oldest new trade: the worst latency the client saw in it,
    // at a cost that does not grow with the rates per frame (10,000 clients write many frames).
    let oldestTrade = Number.POSITIVE_INFINITY;
    for (const rate of rates) if (rate.newTrade && rate.tradeTs < oldestTrade) oldestTrade = rate.tradeTs;
    if (oldestTrade !== Number.POSITIVE_INFINITY) this.metrics.fanoutLatency.observe(Math.max(0, Date.now() - oldestTrade) / 1000);
  }

  private send(session: Session, message: ServerMessage): boolean {
    return this.write(session, message.type, encodeMessage(message));
  }

  private sendError(session: Session, id: MessageId | null, code: ErrorCode, message: string, count = true): void {
    if (count) this.metrics.badClientMessages.inc({ reason: code });
    this.send(session, { type: 'error', id, code, message });
  }

  /** Writes unless the client is past the hard buffer bound, which closes it (1013). */
  private write(session: Session, type: string, text: string): boolean {
    if (session.closed) return false;
    if (session.transport.bufferedAmount() > HARD_BUFFER_FACTOR * this.settings.maxBufferedBytes) {
      this.closeSlow(session, 'buffer_limit');
      return false;
    }
    session.transport.write(type, text);
    this.metrics.messagesSent.inc({ type });
    this.metrics.bytesSent.inc(text.length);
    return true;
  }

  private closeSlow(session: Session, reason: 'behind' | 'buffer_limit'): void {
    if (session.closed) return;
    this.metrics.slowDisconnects.inc({ reason });
    this.logger.info('closing a slow client', { session: session.id, address: session.address, reason, bufferedBytes: session.transport.bufferedAmount() });
    session.transport.close(1013, 'client too slow; reconnect');
    this.close(session);
  }

  /**
   * Reads both ends of every followed rank set once and sends each client its
   * view when it changed; a client over its buffer bound is skipped this round
   * (it gets the newest view later). With `only`, a first answer to one subscribe.
   */
  private async pollMovers(only?: Session): Promise<void> {
    if (!only) {
      if (this.moversRunning) return;
      this.moversRunning = true;
    }
    try {
      for (const { key, exchange, window } of this.registry.moversKeys()) {
        const subscribers = this.registry.moversSubscribers(key);
        if (only && !subscribers.has(only)) continue;
        let ends;
        try {
          ends = await this.source.rankEnds(exchange, window, this.settings.moversMaxLimit);
        } catch (error) {
          this.metrics.redisErrors.inc({ operation: 'movers' });
          this.logger.debug('reading the rank sets failed', { error: errorMessage(error) });
          continue;
        }
        const byLimit = new Map<number, string>();
        for (const [session, limit] of this.registry.moversSubscribers(key)) {
          if (only && session !== only) continue;
          let text = byLimit.get(limit);
          if (text === undefined) byLimit.set(limit, (text = encodeMessage({ type: 'movers', exchange, window, ...moversView(ends.highest, ends.lowest, limit) })));
          if (session.lastMovers.get(key) === text || session.transport.bufferedAmount() > this.settings.maxBufferedBytes) continue;
          if (this.write(session, 'movers', text)) session.lastMovers.set(key, text);
        }
      }
    } finally {
      if (!only) this.moversRunning = false;
    }
  }

  private async pollHealth(only?: Session): Promise<void> {
    const subscribers = this.registry.healthSubscribers();
    if (subscribers.size === 0 || (!only && this.healthRunning)) return;
    if (!only) this.healthRunning = true;
    try {
      const text = encodeMessage({ type: 'health', collectors: await this.source.collectors() });
      for (const session of only ? [only] : [...subscribers]) {
        if (!subscribers.has(session) || session.lastHealth === text || session.transport.bufferedAmount() > this.settings.maxBufferedBytes) continue;
        if (this.write(session, 'health', text)) session.lastHealth = text;
      }
    } catch (error) {
      this.metrics.redisErrors.inc({ operation: 'health' });
      this.logger.debug('reading the collector heartbeats failed', { error: errorMessage(error) });
    } finally {
      if (!only) this.healthRunning = false;
    }
  }
}

/** `exchange:symbol` entries of the new-trade tracker; several exchanges' universes fit many times over. */
const MAX_TRACKED_TRADES = 100_000;

const toOutgoing = (rate: RateFields): OutgoingRate => ({ symbol: rate.symbol, ts: Number(rate.ts), tradeTs: Number(rate.tradeTs), json: JSON.stringify(rate) });
