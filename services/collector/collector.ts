import type Redis from 'ioredis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, errorMessage, LogThrottle, type Logger } from '../shared';
import { ExchangeClock } from './clock';
import { isInShard, type CollectorConfig } from './config';
import { ConnectionPool, type ConnectionSettings, type PoolStatus } from './connection';
import type { SymbolInfo, Trade } from './domain';
import { createExchangeAdapter, type ExchangeAdapter } from './exchange';
import { TradeSequencer, type ClosedGap } from './gaps';
import { CollectorHttpServer, type Readiness } from './http';
import { CollectorMetrics } from './metrics';
import { RateEngine, WarmStart } from './rates';
import { createCollectorRedis, redisTimeoutKind, RedisRatesWriter, writeInstruments } from './sinks/redis';
import { decodePreviousState, rateKey, rateStateFromHash, statusKey, type RateState } from '../shared/rates';
import { createCollectorSqsClient, HistoryPersister } from './sinks/sqs';
import { SymbolSource, type DesiredConfiguration } from './symbols';

export type CollectorState = 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped';

export interface CollectorOptions {
  config: CollectorConfig;
  logger?: Logger;
  metrics?: CollectorMetrics;
  /** Connection tuning (liveness, backoff) for tests that need shorter timings. */
  connection?: ConnectionSettings;
  /** The client-ping interval of OKX and Bybit (20 s), for tests that need shorter timings. */
  pingIntervalMs?: number;
  /** Milliseconds between `status:collector:{id}` heartbeats; the key lives three times as long. */
  heartbeatIntervalMs?: number;
}

export interface CollectorEvents {
  state: [state: CollectorState, previous: CollectorState];
  /** Every trade after sequencing (in id order per symbol, gaps filled). */
  trade: [trade: Trade];
}

const GUARANTEES = {
  consecutive: { tradeIds: 'consecutive', gapDetection: 'id-jump', gapRefill: 'rest' },
  increasing: { tradeIds: 'increasing', gapDetection: 'lost-socket', gapRefill: 'rest' },
  opaque: { tradeIds: 'opaque', gapDetection: 'none', gapRefill: 'none' },
} as const;

/** How often the instrument list is fetched again: Binance's exchangeInfo costs 20 of 6,000 weight a minute. */
const INSTRUMENTS_REFRESH_MS = 3_600_000;

/**
 * The collector service: exchange connections -> trade sequencer (order, gaps)
 * -> Redis latest values, configured by the Redis snapshot (or SYMBOLS), observed
 * through HTTP health, status and metrics. `start` resolves once the HTTP server
 * listens and the first configuration is applied; readiness follows when every
 * connection is subscribed and Redis answers.
 */
export class Collector extends EventEmitter<CollectorEvents> {
  readonly config: CollectorConfig;
  readonly logger: Logger;
  readonly metrics: CollectorMetrics;
  readonly clock = new ExchangeClock();
  readonly startedAt = new Date();
  private stateValue: CollectorState = 'stopped';
  private readonly redis: Redis;
  private readonly adapter: ExchangeAdapter;
  private readonly sequencer: TradeSequencer;
  private readonly pool: ConnectionPool;
  private readonly writer: RedisRatesWriter;
  private readonly engine: RateEngine;
  private readonly warmStart: WarmStart;
  private readonly persister: HistoryPersister | undefined;
  private readonly sqsClient: SQSClient | undefined;
  /** Set when a Redis command went unanswered past the timeout; cleared once the connection is ready again. */
  private redisStalled = false;
  private evaluationTimer: NodeJS.Timeout | undefined;
  private readonly symbolSource: SymbolSource;
  private readonly http: CollectorHttpServer;
  private readonly throttle = new LogThrottle();
  private symbols = new Set<string>();
  private configVersion: number | undefined;
  private configEpoch: number | undefined;
  private configUpdatedAt: string | undefined;
  private configSource: DesiredConfiguration['source'] | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private instrumentsTimer: NodeJS.Timeout | undefined;
  /** The instrument list was fetched (and published) at least once. */
  private instrumentsListed = false;
  private stateTimer: NodeJS.Timeout | undefined;
  private httpPort: number | undefined;
  private tradesProcessed = 0;
  private stopping: Promise<void> | undefined;
  /** Aborted when the collector stops: ends waits that would otherwise hold the stop (instrument retries). */
  private readonly lifetime = new AbortController();

  constructor(private readonly options: CollectorOptions) {
    super();
    const { config } = options;
    this.config = config;
    this.logger = options.logger ?? createLogger({ serviceName: 'collector', logLevel: config.logLevel, persistentKeys: { collectorId: config.collectorId } });
    this.metrics = options.metrics ?? new CollectorMetrics();
    this.redis = createCollectorRedis({ url: config.redisUrl, password: config.redisPassword, tls: config.redisTls, commandTimeoutMs: config.redisCommandTimeoutMs });
    this.redis.on('error', (error) => this.onRedisError(error));
    this.redis.on('ready', () => {
      this.redisStalled = false;
      this.updateState();
    });
    this.redis.on('close', () => this.updateState());
    this.adapter = createExchangeAdapter(config.exchange, {
      restUrl: config.restUrl,
      metrics: this.metrics,
      logger: this.logger,
      restWeightLimitPerMinute: config.restWeightLimit,
      ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
    });
    this.sequencer = new TradeSequencer({
      tradeIds: this.adapter.protocol.tradeIds,
      pageSize: this.adapter.rest.tradesPageSize,
      backfill: (symbol, fromId, limit) => this.adapter.rest.fetchTradesFrom(symbol, fromId, limit),
      emit: (trade) => this.onSequencedTrade(trade),
      onGapClosed: (symbol, gap) => this.rewriteHistory(symbol, gap),
      metrics: this.metrics,
      logger: this.logger,
    });
    this.pool = new ConnectionPool({
      protocol: this.adapter.protocol,
      baseWsUrl: config.wsUrl,
      onTrade: (trade) => this.onLiveTrade(trade),
      clock: this.clock,
      metrics: this.metrics,
      logger: this.logger,
      maxStreamsPerConnection: config.maxStreamsPerConnection,
      connection: { maxClockDistanceMs: config.maxClockDistanceMs, ...options.connection },
    });
    this.pool.on('state', () => this.updateState());
    // Exchanges whose ids skip (OKX) cannot tell a gap from the ids alone: a lost
    // socket marks its symbols, so the span it missed is filled over REST.
    if (this.adapter.protocol.tradeIds === 'increasing') {
      this.pool.on('connectionState', (connectionId, state) => {
        if (state !== 'reconnecting') return;
        const lost = this.pool.connections().find((connection) => connection.id === connectionId);
        for (const stream of lost?.streams ?? []) {
          const symbol = this.adapter.protocol.symbolOfStream(stream);
          if (symbol !== undefined) this.sequencer.expectGap(symbol);
        }
      });
    }
    this.writer = new RedisRatesWriter({
      redis: this.redis,
      exchange: this.adapter.exchange,
      ttlSeconds: config.redisTtlSeconds,
      flushIntervalMs: config.redisFlushIntervalMs,
      persistIntervalMs: () => this.persister?.intervalMs ?? 0,
      metrics: this.metrics,
      logger: this.logger,
    });
    this.engine = new RateEngine({
      isGapOpen: (symbol) => this.sequencer.isBackfilling(symbol),
      anomalyThresholdPct: config.anomalyThresholdPct,
      staleAfterMs: config.staleAfterMs,
      // Unchanged symbols are rewritten well within the TTL, so a quiet but collected symbol never expires.
      refreshAfterMs: Math.min(30_000, (config.redisTtlSeconds * 1000) / 3),
    });
    this.warmStart = new WarmStart({
      fetchKlines: (symbol, startTime, limit) => this.adapter.rest.fetchKlines(symbol, startTime, limit),
      seed: (symbol, klines, now) => {
        if (!this.symbols.has(symbol)) return;
        this.engine.seedFromKlines(symbol, klines, now);
        const state = this.engine.evaluate(symbol, now);
        if (state) this.publish(state);
      },
      now: () => this.clock.now(),
      metrics: this.metrics,
      logger: this.logger,
    });
    this.sqsClient = config.sqs ? createCollectorSqsClient({ region: config.sqs.region, endpoint: config.sqs.endpoint, requestTimeoutMs: config.sqs.requestTimeoutMs }) : undefined;
    this.persister = config.sqs
      ? new HistoryPersister({
          client: this.sqsClient,
          exchange: this.adapter.exchange,
          collectorId: config.collectorId,
          queueUrl: config.sqs.queueUrl,
          region: config.sqs.region,
          endpoint: config.sqs.endpoint,
          intervalMs: config.persistIntervalMs,
          settleMs: 1000,
          maxMessageBytes: config.sqs.maxMessageBytes,
          spillDirectory: config.sqs.spillDirectory,
          spillMaxBytes: config.sqs.spillMaxBytes,
          spillOrphanAfterMs: config.sqs.spillOrphanAfterMs,
          now: () => this.clock.now(),
          connections: () =>
            this.pool.status().connections.map((c) => ({ connectionId: c.id, state: c.state, streams: c.streams, lastMessageAt: c.lastMessageAt ?? null, reconnects: c.reconnects, errors: c.rejected })),
          metrics: this.metrics,
          logger: this.logger,
        })
      : undefined;
    this.symbolSource = new SymbolSource({
      exchange: this.adapter.exchange,
      redis: this.redis,
      fallbackSymbols: () => this.environmentSymbols(),
      pollIntervalMs: config.configPollIntervalMs,
      onChange: (desired) => this.applyConfiguration(desired),
      logger: this.logger,
      metrics: this.metrics,
    });
    this.http = new CollectorHttpServer({
      healthy: () => this.stateValue !== 'stopped',
      readiness: () => this.readiness(),
      status: () => this.status(),
      registry: this.metrics.registry,
      logger: this.logger,
    });
  }

  get state(): CollectorState {
    return this.stateValue;
  }

  /** The HTTP port actually bound (useful with HTTP_PORT=0). */
  get port(): number | undefined {
    return this.httpPort;
  }

  async start(): Promise<void> {
    this.setState('starting');
    if (!this.config.sqs) this.logger.warn('SQS_QUEUE_URL is not set: running without persistence (Redis only)');
    this.httpPort = await this.http.listen(this.config.httpPort);
    this.logger.info('collector starting', { httpPort: this.httpPort, wsUrl: this.config.wsUrl, restUrl: this.config.restUrl, shard: this.config.shard });
    // Redis may be down at start; the collector still collects and the writer catches up.
    await this.redis.connect().catch((error) => this.reportError('redis', 'REDIS_CONNECTION', error));
    await this.synchronizeClock();
    this.pool.start();
    this.persister?.start();
    await this.symbolSource.start();
    // A stop that came while starting has cleared the timers already; none may be set after it.
    if (this.stopping) return;
    // Exchanges listed only on demand (Binance with explicit SYMBOLS) still publish theirs for the API.
    if (!this.instrumentsListed) void this.refreshInstruments();
    // The timer half of "evaluated on every trade and on a timer": quiet symbols decay to 0 %.
    this.evaluationTimer = setInterval(() => this.engine.evaluateAll(this.clock.now(), (state) => this.publish(state)), this.config.evaluationIntervalMs);
    this.evaluationTimer.unref();
    // New listings and delistings reach the directory and the API's checks without a restart.
    this.instrumentsTimer = setInterval(() => void this.refreshInstruments(), INSTRUMENTS_REFRESH_MS);
    this.instrumentsTimer.unref();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatIntervalMs ?? 5000);
    this.heartbeatTimer.unref();
    // Redis health changes without a pool event; re-evaluate the state now and then.
    this.stateTimer = setInterval(() => this.updateState(), 1000);
    this.stateTimer.unref();
    this.updateState();
  }

  /** Graceful stop: unsubscribe, close connections, flush Redis, within `deadlineMs`. */
  stop(deadlineMs = 8000): Promise<void> {
    this.stopping ??= this.doStop(deadlineMs);
    return this.stopping;
  }

  readiness(): Readiness {
    const reasons: string[] = [];
    if (this.stateValue === 'starting' || this.configSource === undefined) reasons.push('configuration not applied yet');
    if (this.symbols.size > 0 && !this.pool.ready) reasons.push('not every connection is subscribed');
    const stalled = this.redisStalled ? `: no reply within ${this.config.redisCommandTimeoutMs} ms (REDIS_COMMAND_TIMEOUT_MS)` : '';
    if (this.redis.status !== 'ready') reasons.push(`redis is ${this.redis.status}${stalled}`);
    else if (!this.writer.status().healthy) reasons.push(`redis writes fail: ${this.writer.status().lastError}`);
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') reasons.push(`collector is ${this.stateValue}`);
    return { ready: reasons.length === 0, reasons };
  }

  status(): Record<string, unknown> {
    const pool: PoolStatus = this.pool.status();
    const writer = this.writer.status();
    const counts = this.sequencer.stats();
    return {
      collectorId: this.config.collectorId,
      exchange: this.adapter.exchange,
      state: this.stateValue,
      startedAt: this.startedAt.toISOString(),
      shard: this.config.shard,
      config: { version: this.configVersion ?? null, epoch: this.configEpoch ?? null, source: this.configSource ?? null },
      symbols: this.symbols.size,
      streams: pool.streams,
      exchangeClock: { now: this.clock.now(), iso: new Date(this.clock.now()).toISOString(), synchronized: this.clock.synchronized },
      connections: pool.connections.map((c) => ({
        ...c,
        lastMessageAtIso: c.lastMessageAt ? new Date(c.lastMessageAt).toISOString() : null,
      })),
      redis: { state: this.redis.status, healthy: writer.healthy, pending: writer.pending, lastError: writer.lastError ?? null, lastSuccessAt: writer.lastSuccessAt ?? null },
      sqs: this.persister ? { queueUrl: this.config.sqs?.queueUrl, ...this.persister.status() } : { state: 'disabled' },
      rest: this.adapter.restLimits(),
      counters: { tradesProcessed: this.tradesProcessed, ratedSymbols: this.engine.symbolCount, ...counts },
      // What this exchange lets the collector guarantee (docs/exchanges.md): operators see it where they see the counters.
      guarantees: GUARANTEES[this.adapter.protocol.tradeIds],
      warmStart: this.warmStart.stats(),
    };
  }

  /** Every published state goes to Redis (latest) and to history (SQS). */
  private publish(state: RateState): void {
    this.writer.update(state);
    this.persister?.record(state);
  }

  private onLiveTrade(trade: Trade): void {
    // Until its UNSUBSCRIBE is acknowledged a removed symbol still delivers trades;
    // they must not recreate its Redis hash or its sequencer state.
    if (!this.symbols.has(trade.symbol)) {
      this.metrics.ignoredMessages.inc({ stream_type: 'unsubscribed_symbol' });
      return;
    }
    this.sequencer.push(trade);
  }

  private onSequencedTrade(trade: Trade): void {
    this.tradesProcessed += 1;
    this.publish(this.engine.onTrade(trade));
    this.emit('trade', trade);
  }

  /**
   * Rows written while a symbol's trades were late (a silent connection, then its
   * backfill) rested on a partial record: written again from the completed one
   * (issue 11 §7; HistoryPersister.rewrite, RateEngine.evaluateAt).
   */
  private rewriteHistory(symbol: string, gap: ClosedGap): void {
    if (!this.persister || !this.symbols.has(symbol)) return;
    const incompleteBefore = gap.incompleteBefore ?? Number.NEGATIVE_INFINITY;
    this.persister.rewrite(symbol, gap.firstLateTradeTime, gap.lastLateTradeTime, (t) => this.engine.evaluateAt(symbol, t, { gap: t < incompleteBefore }));
  }

  /**
   * Seeds the exchange clock with the server's time, so trade-time checks hold from
   * the first message even when the local clock is off or the feed is a replay of
   * old data. Without it the first event's time seeds the clock instead.
   */
  private async synchronizeClock(): Promise<void> {
    try {
      const serverTime = await this.adapter.rest.serverTime();
      this.clock.observe(serverTime);
      this.logger.info('exchange clock synchronized', { serverTime, serverTimeIso: new Date(serverTime).toISOString(), localOffsetMs: serverTime - Date.now() });
    } catch (error) {
      this.reportError('rest', 'SERVER_TIME', error);
    }
  }

  private async environmentSymbols(): Promise<string[]> {
    if (this.config.symbols.length === 1 && this.config.symbols[0] === 'ALL') {
      const listed = await this.listInstruments();
      return listed.filter((s) => s.tradable).map((s) => s.symbol);
    }
    return this.config.symbols;
  }

  private async applyConfiguration(desired: DesiredConfiguration): Promise<void> {
    const mine = desired.symbols.filter((symbol) => isInShard(symbol, this.config.shard));
    const next = new Set(mine);
    const removed = [...this.symbols].filter((symbol) => !next.has(symbol));
    const added = mine.filter((symbol) => !this.symbols.has(symbol));
    this.symbols = next;
    this.configVersion = desired.version;
    this.configEpoch = desired.epoch;
    this.configUpdatedAt = desired.updatedAt;
    this.configSource = desired.source;
    this.metrics.symbols.set(next.size);
    // A setting the snapshot leaves out (reset through the API with null) returns to the environment's value.
    this.engine.updateSettings({
      anomalyThresholdPct: desired.settings.anomalyThresholdPct ?? this.config.anomalyThresholdPct,
      staleAfterMs: desired.settings.staleAfterMs ?? this.config.staleAfterMs,
    });
    this.persister?.setInterval(desired.settings.persistIntervalMs ?? this.config.persistIntervalMs);
    // A snapshot without the setting returns to MAX_STREAMS_PER_CONNECTION; the pool re-plans in place, make-before-break.
    const maxStreams = desired.settings.maxStreamsPerConnection ?? this.config.maxStreamsPerConnection;
    try {
      if (maxStreams !== this.pool.maxStreamsPerConnection) this.pool.setMaxStreamsPerConnection(maxStreams);
    } catch (error) {
      this.reportError('config', 'INVALID_SETTING', error); // refused (above the exchange's limit): the symbol set still applies
    }
    // Before new symbols can deliver a state: history resumes from their last state in Redis.
    if (this.persister && added.length > 0) await this.resumeHistory(added);
    if (!(await this.instrumentsLoaded())) return;
    this.pool.setStreams(this.planStreams(mine));
    for (const symbol of removed) {
      this.sequencer.forget(symbol);
      this.engine.remove(symbol);
      this.persister?.remove(symbol);
      this.warmStart.forget(symbol);
    }
    if (this.config.warmStart) this.warmStart.enqueue(added.filter((symbol) => !this.engine.has(symbol)));

    await this.writer.remove(removed);
    this.logger.info('symbol set applied', { version: desired.version ?? null, epoch: desired.epoch ?? null, source: desired.source, symbols: next.size, added: added.length, removed: removed.length });
    this.updateState();
  }

  /**
   * History continues across a restart without a missing interval: the last state
   * each new symbol had in Redis (written by this collector's predecessor or a
   * peer) fills the intervals until live states arrive, flagged `gap`. A hash older
   * than its TTL is gone, and so is the continuity: the README says so.
   */
  private async resumeHistory(symbols: string[]): Promise<void> {
    if (this.redis.status !== 'ready') return;
    try {
      const pipeline = this.redis.pipeline();
      for (const symbol of symbols) pipeline.hgetall(rateKey(this.adapter.exchange, symbol));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, value], i) => {
        const hash = value as Record<string, string> | null;
        if (error || !hash) return;
        const symbol = symbols[i]!;
        const current = rateStateFromHash(symbol, hash);
        if (!current) return;
        this.persister?.resume(current, hash.prev ? decodePreviousState(symbol, hash.prev) : undefined);
      });
    } catch (error) {
      this.reportError('redis', 'HISTORY_RESUME', error);
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const pool = this.pool.status();
    const key = statusKey(this.config.collectorId);
    const ttlSeconds = Math.ceil(((this.options.heartbeatIntervalMs ?? 5000) * 3) / 1000);
    try {
      await this.redis
        .multi()
        .hset(key, {
          collectorId: this.config.collectorId,
          exchange: this.adapter.exchange,
          state: this.stateValue,
          startedAt: this.startedAt.toISOString(),
          heartbeatAt: new Date().toISOString(),
          shard: `${this.config.shard.index}/${this.config.shard.count}`,
          configVersion: String(this.configVersion ?? ''),
          // With configVersion, what the API compares with the database to notice that it went back (a restore).
          configEpoch: String(this.configEpoch ?? ''),
          configUpdatedAt: this.configUpdatedAt ?? '',
          symbols: String(this.symbols.size),
          connections: String(pool.connections.length),
          connectionsOpen: String(pool.connections.filter((c) => c.state === 'open').length),
          reconnects: String(pool.connections.reduce((sum, c) => sum + c.reconnects, 0)),
          tradesProcessed: String(this.tradesProcessed),
          // The newest frame of any connection: a feed that went silent shows here while the process still beats.
          lastMessageAt: newestMessageAt(pool.connections),
        })
        .expire(key, ttlSeconds)
        .exec();
    } catch (error) {
      this.reportError('redis', 'HEARTBEAT', error);
    }
  }

  private updateState(): void {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped' || this.configSource === undefined) return;
    const healthy = (this.symbols.size === 0 || this.pool.ready) && this.redis.status === 'ready' && this.writer.status().healthy;
    this.setState(healthy ? 'running' : 'degraded');
  }

  private setState(next: CollectorState): void {
    const previous = this.stateValue;
    if (previous === next) return;
    this.stateValue = next;
    this.logger.info('collector state', { state: next, previous });
    this.emit('state', next, previous);
  }

  /**
   * A timeout means Redis stopped answering without closing the socket: ioredis has
   * destroyed the stuck socket (`socketTimeout`) and reconnects, `/ready` names the
   * cause until the connection is ready again, and the writer keeps the newest state
   * per symbol meanwhile.
   */
  private onRedisError(error: unknown): void {
    const kind = redisTimeoutKind(error);
    if (!kind) {
      this.reportError('redis', 'REDIS_CONNECTION', error);
      return;
    }
    const code = kind === 'command' ? 'COMMAND_TIMEOUT' : 'CONNECT_TIMEOUT';
    this.metrics.errors.inc({ component: 'redis', code });
    const admitted = this.throttle.admit(`redis:${code}`);
    if (admitted) {
      this.logger.error('Redis did not answer in time; reconnecting, rates wait as the newest state per symbol', {
        code,
        timeoutMs: this.config.redisCommandTimeoutMs,
        error: errorMessage(error),
        suppressedSinceLastLog: admitted.suppressed,
      });
    }
    this.redisStalled = true;
    this.updateState();
  }

  /**
   * Exchanges whose stream names are their own instrument ids (OKX's BTC-USDT)
   * cannot subscribe before the instrument list is in: it is fetched here, and
   * retried with backoff while the exchange's REST is down, so a start during an
   * outage waits instead of failing. False when the collector stopped meanwhile.
   */
  private async instrumentsLoaded(): Promise<boolean> {
    const directory = this.adapter.directory;
    for (let attempt = 0; directory !== undefined && !directory.loaded; attempt++) {
      try {
        const listed = await this.listInstruments();
        this.logger.info('instrument list loaded', { exchange: this.adapter.exchange, instruments: listed.length, tradable: listed.filter((s) => s.tradable).length });
      } catch (error) {
        this.reportError('rest', 'INSTRUMENTS', error);
        try {
          await sleep(Math.min(30_000, 1000 * 2 ** attempt), undefined, { signal: this.lifetime.signal });
        } catch {
          return false; // stopping
        }
      }
    }
    return !this.lifetime.signal.aborted;
  }

  /** The streams of `symbols`; pairs the exchange does not list get none, and are logged and counted. */
  private planStreams(symbols: readonly string[]): string[] {
    const unlisted: string[] = [];
    const streams = symbols.flatMap((symbol) => {
      const named = this.adapter.protocol.streamsForSymbol(symbol);
      if (named.length === 0) unlisted.push(symbol);
      return named;
    });
    if (unlisted.length > 0) {
      this.metrics.errors.inc({ component: 'config', code: 'SYMBOL_NOT_LISTED' }, unlisted.length);
      this.logger.warn(`${this.adapter.exchange} does not list these pairs, so they get no stream; check SYMBOLS or the collection config`, { symbols: unlisted.slice(0, 50), count: unlisted.length });
    }
    return streams;
  }

  /**
   * The hourly (and, where nothing listed it yet, the start-up) refresh: a pair
   * the exchange lists now gets its stream, one it stopped listing loses it.
   */
  private async refreshInstruments(): Promise<void> {
    try {
      await this.listInstruments();
    } catch (error) {
      this.reportError('rest', 'INSTRUMENTS', error);
      return;
    }
    if (this.stopping || this.adapter.directory === undefined || this.symbols.size === 0) return;
    this.pool.setStreams(this.planStreams([...this.symbols]));
  }

  /**
   * The exchange's instrument list (which also fills the adapter's directory),
   * published to `instruments:<exchange>` for the config API's pair checks. A
   * failed publish is counted and logged; the list is still used.
   */
  private async listInstruments(): Promise<SymbolInfo[]> {
    const listed = await this.adapter.rest.listSymbols();
    this.instrumentsListed = true;
    await writeInstruments(this.redis, this.adapter.exchange, listed).catch((error) => this.reportError('redis', 'INSTRUMENTS_WRITE', error));
    return listed;
  }

  private reportError(component: string, code: string, error: unknown): void {
    this.metrics.errors.inc({ component, code });
    const admitted = this.throttle.admit(`${component}:${code}`);
    if (admitted) this.logger.warn(`${component} error (recovering)`, { code, error: errorMessage(error), suppressedSinceLastLog: admitted.suppressed });
  }

  private async doStop(deadlineMs: number): Promise<void> {
    this.setState('stopping');
    this.lifetime.abort();
    // Refuses REST calls waiting for a rate-limit slot (an instrument list during an
    // outage, a Bybit ban pause of 10 min), so nothing keeps the stop past its deadline.
    this.adapter.close();
    const started = Date.now();
    const remaining = () => Math.max(500, deadlineMs - (Date.now() - started));
    clearInterval(this.heartbeatTimer);
    clearInterval(this.instrumentsTimer);
    clearInterval(this.stateTimer);
    clearInterval(this.evaluationTimer);
    this.warmStart.close();
    await this.symbolSource.stop().catch((error) => this.reportError('config', 'STOP', error));
    await this.pool.stop(Math.min(3000, remaining())).catch((error) => this.reportError('connection', 'STOP', error));
    this.sequencer.close();
    await Promise.all([this.writer.close(Math.min(2000, remaining())), this.persister?.close(Math.min(4000, remaining()))]);
    this.sqsClient?.destroy();
    await this.redis.del(statusKey(this.config.collectorId)).catch((error) => this.reportError('redis', 'HEARTBEAT_DELETE', error));
    this.redis.disconnect();
    await this.http.close();
    this.setState('stopped');
    this.logger.info('collector stopped', { tookMs: Date.now() - started });
  }
}

/** ISO time of the newest frame any connection received; empty before the first. */
export function newestMessageAt(connections: readonly { lastMessageAt: number | null }[]): string {
  let newest: number | null = null;
  for (const connection of connections) if (connection.lastMessageAt !== null && (newest === null || connection.lastMessageAt > newest)) newest = connection.lastMessageAt;
  return newest === null ? '' : new Date(newest).toISOString();
}
