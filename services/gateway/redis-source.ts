import Redis, { type RedisOptions } from 'ioredis';
import { errorMessage, type Logger } from '../shared';
import { decodeRatesMessage, parseRateKey, rankKey, rateFieldsFromHash, rateKey, rateKeyPattern, ratesChannel, STATUS_KEY_PREFIX, type RateFields, type RateWindow } from '../shared/rates';
import type { GatewayMetrics } from './metrics';
import { parseRanked } from './movers';
import type { Mover } from './protocol';

export interface RedisSourceOptions {
  url: string;
  password?: string;
  tls: boolean;
  commandTimeoutMs: number;
  exchanges: readonly string[];
  metrics: GatewayMetrics;
  logger: Logger;
  /** Decoded rates of one `rates:{exchange}` message. */
  onRates(exchange: string, rates: RateFields[]): void;
  /** The subscriber (re)gained its channels; after a drop, clients may have missed updates. */
  onSubscribed(resumed: boolean): void;
}

/** Keys per pipelined round trip: bounded reply buffers, few round trips. */
const PIPELINE_CHUNK = 500;
/** How often the idle subscriber is pinged: a dead peer must not leave it subscribed to nothing. */
const SUBSCRIBER_PING_MS = 5000;

/**
 * The same timeout policy as the collector's Redis client (see
 * services/collector/sinks/redis/client.ts): commands fail fast instead of
 * queueing while Redis is away, a stuck socket is replaced after one command
 * timeout, reconnects back off up to 5 s.
 */
function redisOptions(options: RedisSourceOptions): RedisOptions {
  const timeout = options.commandTimeoutMs;
  return {
    ...(options.password ? { password: options.password } : {}),
    ...(options.tls ? { tls: {} } : {}),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(200 * attempt, 5000),
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    lazyConnect: true,
    commandTimeout: timeout,
    socketTimeout: timeout,
    connectTimeout: Math.max(1000, 2 * timeout),
    disconnectTimeout: timeout,
    keepAlive: 5000,
  };
}

/**
 * The gateway's only contact with the world: one command connection for
 * snapshots, rank sets and heartbeats, and one subscriber connection for the
 * `rates:{exchange}` channels, shared by every client of the process.
 */
export class RedisSource {
  readonly commands: Redis;
  private readonly subscriber: Redis;
  private subscribed = false;
  private everSubscribed = false;
  private stopped = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;
  private readonly channels: Map<string, string>;

  constructor(private readonly options: RedisSourceOptions) {
    this.commands = new Redis(options.url, redisOptions(options));
    // Resubscribing is done here on every `ready`, so the gateway knows when it holds its channels again.
    this.subscriber = new Redis(options.url, { ...redisOptions(options), autoResubscribe: false });
    this.channels = new Map(options.exchanges.map((exchange) => [ratesChannel(exchange), exchange]));
    // A served exchange no collector writes yet shows as 0 messages, not as a missing series an alarm reads as "no data".
    for (const exchange of options.exchanges) options.metrics.redisMessages.inc({ exchange }, 0);
    for (const [name, client] of [
      ['commands', this.commands],
      ['subscriber', this.subscriber],
    ] as const) {
      client.on('error', (error: Error) => {
        const message = errorMessage(error);
        if (message !== this.lastError) options.logger.warn('Redis connection error; ioredis reconnects', { connection: name, error: message });
        this.lastError = message;
      });
    }
    this.subscriber.on('close', () => this.setSubscribed(false));
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('message', (channel: string, message: string) => this.handleMessage(channel, message));
  }

  /** Connects both; resolves when subscribed, or throws the first connection error. */
  async start(): Promise<void> {
    await Promise.all([this.commands.connect(), this.subscriber.connect()]);
    while (!this.subscribed && !this.stopped) await new Promise((resolve) => setTimeout(resolve, 10));
    this.pingTimer = setInterval(() => {
      if (this.subscriber.status === 'ready') this.subscriber.ping().catch(() => this.options.metrics.redisErrors.inc({ operation: 'subscriber_ping' }));
    }, SUBSCRIBER_PING_MS);
    this.pingTimer.unref();
  }

  get isSubscribed(): boolean {
    return this.subscribed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pingTimer);
    await Promise.allSettled([this.subscriber.quit(), this.commands.quit()]);
    this.subscriber.disconnect();
    this.commands.disconnect();
  }

  /** The current hashes of `symbols` (or every symbol of the exchange), pipelined; expired or non-rates keys are left out. */
  async snapshot(exchange: string, symbols: '*' | readonly string[]): Promise<RateFields[]> {
    const list = symbols === '*' ? await this.scanSymbols(exchange) : symbols;
    const rates: RateFields[] = [];
    for (let i = 0; i < list.length; i += PIPELINE_CHUNK) {
      const chunk = list.slice(i, i + PIPELINE_CHUNK);
      const pipeline = this.commands.pipeline();
      for (const symbol of chunk) pipeline.hgetall(rateKey(exchange, symbol));
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, hash], j) => {
        // WRONGTYPE: some other key under the prefix; not a rate, not a failure.
        if (error && /^WRONGTYPE/.test(error.message)) return;
        if (error) throw error;
        const fields = rateFieldsFromHash(chunk[j]!, hash as Record<string, string>);
        if (fields) rates.push(fields);
      });
    }
    return rates;
  }

  /** Both ends of a window's rank set, `depth` members each, with their scores. */
  async rankEnds(exchange: string, window: RateWindow, depth: number): Promise<{ highest: Mover[]; lowest: Mover[] }> {
    const key = rankKey(exchange, window);
    const replies = (await this.commands.pipeline().zrevrange(key, 0, String(depth - 1), 'WITHSCORES').zrange(key, 0, String(depth - 1), 'WITHSCORES').exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    return { highest: parseRanked(replies[0]?.[1] as string[]), lowest: parseRanked(replies[1]?.[1] as string[]) };
  }

  /** Every `status:collector:{id}` heartbeat hash, by collector id. */
  async collectors(): Promise<Record<string, string>[]> {
    const keys: string[] = [];
    const stream = this.commands.scanStream({ match: `${STATUS_KEY_PREFIX}*`, count: 1000 });
    for await (const batch of stream as AsyncIterable<string[]>) keys.push(...batch);
    keys.sort();
    if (keys.length === 0) return [];
    const pipeline = this.commands.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const replies = (await pipeline.exec()) ?? [];
    const collectors: Record<string, string>[] = [];
    replies.forEach(([error, hash], i) => {
      if (error && /^WRONGTYPE/.test(error.message)) return;
      if (error) throw error;
      const fields = hash as Record<string, string>;
      if (Object.keys(fields).length > 0) collectors.push({ collectorId: keys[i]!.slice(STATUS_KEY_PREFIX.length), ...fields });
    });
    return collectors;
  }

  private async scanSymbols(exchange: string): Promise<string[]> {
    const symbols: string[] = [];
    // SCAN, never KEYS: it does not block Redis for the collector's writes.
    const stream = this.commands.scanStream({ match: rateKeyPattern(exchange), count: 1000 });
    for await (const batch of stream as AsyncIterable<string[]>) {
      for (const key of batch) {
        const parsed = parseRateKey(key);
        if (parsed?.exchange === exchange) symbols.push(parsed.symbol);
      }
    }
    return symbols.sort();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(...this.channels.keys());
      const resumed = this.everSubscribed;
      this.everSubscribed = true;
      this.setSubscribed(true);
      if (resumed) this.options.logger.info('Redis subscriber is back; clients get fresh snapshots', { channels: [...this.channels.keys()] });
      this.options.onSubscribed(resumed);
    } catch (error) {
      this.options.metrics.redisErrors.inc({ operation: 'subscribe' });
      this.options.logger.warn('subscribing the rates channels failed; retrying on the next reconnect', { error: errorMessage(error) });
      // A subscriber without its channels is useless: force a reconnect, which retries.
      if (!this.stopped) this.subscriber.disconnect(true);
    }
  }

  private setSubscribed(value: boolean): void {
    this.subscribed = value;
    this.options.metrics.redisSubscribed.set(value ? 1 : 0);
  }

  private handleMessage(channel: string, message: string): void {
    const exchange = this.channels.get(channel);
    if (exchange === undefined) return;
    this.options.metrics.redisMessages.inc({ exchange });
    let decoded;
    try {
      decoded = decodeRatesMessage(message);
    } catch (error) {
      this.options.metrics.redisInvalid.inc();
      this.options.logger.warn('skipping a rates message that is not a JSON array of rates', { channel, error: errorMessage(error) });
      return;
    }
    if (decoded.invalid > 0) this.options.metrics.redisInvalid.inc(decoded.invalid);
    if (decoded.rates.length > 0) this.options.onRates(exchange, decoded.rates);
  }
}
