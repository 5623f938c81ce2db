import type Redis from 'ioredis';
import { errorMessage, type Logger } from '../../../shared';
import type { CollectorMetrics } from '../../metrics';
import { rankKey, rateKey, rateScriptArgs, ratesChannel, RATE_WINDOWS, symbolIndexKey, type RateState } from '../../../shared/rates';
import { APPLY_RATES_SCRIPT, SWEEP_RANKS_SCRIPT } from './scripts';

export interface RatesWriterOptions {
  redis: Redis;
  exchange: string;
  ttlSeconds: number;
  /** Upper bound between a change and its write; the design asks for at most 50 ms. */
  flushIntervalMs: number;
  /** The history persistence interval: states keep the last one of the previous interval (`prev`); 0 or absent: not kept. */
  persistIntervalMs?: () => number;
  /** How often expired symbols are swept out of the rank sets. */
  rankSweepIntervalMs?: number;
  metrics?: CollectorMetrics;
  logger?: Logger;
  /** Called after each acknowledged flush with the states applied (for benchmarks and tests). */
  onFlushed?: (applied: number, states: RateState[], ackMono: number) => void;
}

type RedisWithScripts = Redis & {
  applyRates(...args: (string | number)[]): Promise<number>;
  sweepRanks(...args: (string | number)[]): Promise<number>;
};

/** States per script call; see `write`. */
const MAX_STATES_PER_CALL = 200;

/**
 * Coalesces rate states per symbol and writes them in one script call per flush.
 * `update` never waits on Redis: the hot path only replaces the symbol's entry
 * in `pending`, a map bounded by the number of symbols. While Redis is down the
 * map keeps only the newest state of each symbol, and the first successful flush
 * after it returns writes exactly those.
 */
export class RedisRatesWriter {
  private pending = new Map<string, RateState>();
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private lastError: string | undefined;
  private lastSuccessAt: number | undefined;
  private readonly redis: RedisWithScripts;
  private readonly rankKeys: string[];
  private readonly channel: string;

  constructor(private readonly options: RatesWriterOptions) {
    const redis = options.redis as RedisWithScripts;
    // defineCommand sends EVALSHA and falls back to EVAL after a NOSCRIPT (failover, restart).
    if (typeof redis.applyRates !== 'function') redis.defineCommand('applyRates', { lua: APPLY_RATES_SCRIPT });
    if (typeof redis.sweepRanks !== 'function') redis.defineCommand('sweepRanks', { lua: SWEEP_RANKS_SCRIPT, numberOfKeys: 4 });
    this.redis = redis;
    // The rank sets, then the symbol index: the scripts' first four keys.
    this.rankKeys = [...RATE_WINDOWS.map((window) => rankKey(options.exchange, window)), symbolIndexKey(options.exchange)];
    this.channel = ratesChannel(options.exchange);
    const sweepEvery = options.rankSweepIntervalMs ?? 30_000;
    this.sweepTimer = setInterval(() => void this.sweepRanks(), sweepEvery);
    this.sweepTimer.unref();
  }

  /** Queues the newest state of a symbol; O(1), never touches the network. */
  update(state: RateState): void {
    if (this.closed) return;
    this.pending.set(state.symbol, state);
    this.scheduleFlush();
  }

  /** Symbols removed from collection leave the rank sets, the index and their hash at once. */
  async remove(symbols: string[]): Promise<void> {
    if (symbols.length === 0) return;
    for (const symbol of symbols) this.pending.delete(symbol);
    const pipeline = this.redis.pipeline();
    for (const key of this.rankKeys) pipeline.zrem(key, ...symbols);
    pipeline.del(...symbols.map((symbol) => rateKey(this.options.exchange, symbol)));
    try {
      await pipeline.exec();
    } catch (error) {
      this.options.metrics?.redisErrors.inc({ operation: 'remove' });
      this.options.logger?.warn('removing symbols from Redis failed; their hashes expire by TTL and the rank sweep drops them', { error: errorMessage(error) });
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Healthy when the last flush succeeded (or nothing was written yet). */
  status(): { healthy: boolean; pending: number; lastError?: string; lastSuccessAt?: number } {
    return { healthy: this.lastError === undefined, pending: this.pending.size, lastError: this.lastError, lastSuccessAt: this.lastSuccessAt };
  }

  /** Writes everything pending now; resolves when Redis acknowledged it (or the attempt failed). */
  async flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    // One flush at a time keeps writes ordered; a caller arriving mid-flush waits for
    // it and then flushes what accumulated meanwhile.
    while (this.inFlight) await this.inFlight;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.inFlight = this.write(batch).finally(() => {
      this.inFlight = undefined;
      if (this.pending.size > 0) this.scheduleFlush();
    });
    await this.inFlight;
  }

  /** Flushes what is pending (bounded by `deadlineMs`) and stops the timers. */
  async close(deadlineMs = 2000): Promise<void> {
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, deadlineMs).unref())]);
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, this.options.flushIntervalMs);
  }

  private async write(batch: Map<string, RateState>): Promise<void> {
    // States made by a trade go first, in script calls of at most MAX_STATES_PER_CALL:
    // Redis runs one script at a time, so a second's worth of timer updates for
    // thousands of quiet symbols must not hold up the acknowledgement of fresh trades.
    const states = [...batch.values()].sort((a, b) => (a.receivedAtMono === undefined ? 1 : 0) - (b.receivedAtMono === undefined ? 1 : 0));
    const chunks: RateState[][] = [];
    for (let i = 0; i < states.length; i += MAX_STATES_PER_CALL) chunks.push(states.slice(i, i + MAX_STATES_PER_CALL));
    // Sent back to back without waiting: replies arrive, and are timed, chunk by chunk.
    const results = await Promise.allSettled(chunks.map((chunk) => this.writeChunk(chunk)));
    this.options.metrics?.redisFlushSize.observe(states.length);
    const failed = results.flatMap((result, i) => (result.status === 'rejected' ? [{ chunk: chunks[i]!, error: result.reason as unknown }] : []));
    if (failed.length === 0) {
      this.lastError = undefined;
      this.lastSuccessAt = Date.now();
      return;
    }
    this.options.metrics?.redisErrors.inc({ operation: 'flush' }, failed.length);
    const message = errorMessage(failed[0]!.error);
    if (this.lastError === undefined) this.options.logger?.error('Redis flush failed; keeping the newest state per symbol until Redis answers', { error: message, symbols: states.length });
    this.lastError = message;
    // Put back what failed unless a newer state arrived meanwhile: bounded by the symbol count.
    for (const { chunk } of failed) for (const state of chunk) if (!this.pending.has(state.symbol)) this.pending.set(state.symbol, state);
    await new Promise((resolve) => setTimeout(resolve, Math.max(this.options.flushIntervalMs, 200)).unref());
  }

  private async writeChunk(states: RateState[]): Promise<void> {
    const keys: string[] = [...this.rankKeys];
    const args: (string | number)[] = [this.options.ttlSeconds, this.channel, this.options.persistIntervalMs?.() ?? 0];
    for (const state of states) {
      keys.push(rateKey(this.options.exchange, state.symbol));
      args.push(...rateScriptArgs(state));
    }
    const applied = await this.redis.applyRates(keys.length, ...keys, ...args);
    const ackMono = performance.now();
    const latency = this.options.metrics?.updateLatency;
    if (latency) for (const state of states) if (state.receivedAtMono !== undefined) latency.observe((ackMono - state.receivedAtMono) / 1000);
    this.options.onFlushed?.(applied, states, ackMono);
  }

  private async sweepRanks(): Promise<void> {
    try {
      await this.redis.sweepRanks(...this.rankKeys, `rates:${this.options.exchange}:`);
    } catch (error) {
      this.options.metrics?.redisErrors.inc({ operation: 'rank_sweep' });
      this.options.logger?.warn('rank sweep failed; it runs again on the next interval', { error: errorMessage(error) });
    }
  }
}
