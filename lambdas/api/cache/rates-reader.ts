import type Redis from 'ioredis';
import { rankKey, rateKey } from '../../../services/collector/sinks/redis/keys';
import type { RateDto } from '../schemas';

const RATE_KEY_PATTERN = /^rates:([a-z0-9]{2,20}):([A-Z0-9]{2,20})$/;
const KNOWN_FLAGS = new Set(['backfilled', 'stale', 'anomaly', 'gap']);
const SORT_WINDOWS = { change_1m: '1m', change_5m: '5m', change_15m: '15m' } as const;

/** A rates hash as typed values; `undefined` when the hash is gone (expired) or not a rates hash. */
export function parseRateHash(exchange: string, symbol: string, hash: Record<string, string>): RateDto | undefined {
  if (hash.price === undefined || hash.ts === undefined || hash.ts === '') return undefined;
  const ts = Number(hash.ts);
  // Beyond what a Date holds is not a time the collector wrote.
  if (!Number.isSafeInteger(ts) || Math.abs(ts) > 8.64e15) return undefined;
  const change = (field: string): number | null => {
    const text = hash[field];
    if (text === undefined || text === '') return null;
    const value = Number(text);
    return Number.isFinite(value) ? value : null;
  };
  const tradeTs = Number(hash.tradeTs ?? hash.ts);
  return {
    exchange,
    symbol,
    price: hash.price,
    ts,
    time: new Date(ts).toISOString(),
    tradeTs: Number.isFinite(tradeTs) ? tradeTs : ts,
    change_1m: change('change_1m'),
    change_5m: change('change_5m'),
    change_15m: change('change_15m'),
    flags: (hash.flags ? hash.flags.split(',') : []).filter((flag) => KNOWN_FLAGS.has(flag)) as RateDto['flags'],
  };
}

export class RatesReader {
  constructor(private readonly redis: Redis) {}

  async get(exchange: string, symbol: string): Promise<RateDto | undefined> {
    return parseRateHash(exchange, symbol, await this.redis.hgetall(rateKey(exchange, symbol)));
  }

  /** Every live rates hash (of one exchange), by exchange and symbol, at most `limit`. */
  async list(options: { exchange?: string; limit: number }): Promise<RateDto[]> {
    const pairs: Array<[string, string]> = [];
    // SCAN, never KEYS: it does not block Redis for the collector's writes.
    const stream = this.redis.scanStream({ match: options.exchange ? `rates:${options.exchange}:*` : 'rates:*', count: 1000 });
    for await (const batch of stream as AsyncIterable<string[]>) {
      for (const key of batch) {
        const match = RATE_KEY_PATTERN.exec(key);
        if (match) pairs.push([match[1]!, match[2]!]);
      }
    }
    pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
    // Keys can expire between SCAN and HGETALL: read a little beyond the limit, then cut.
    const rates = await this.fetch(pairs.slice(0, options.limit + 100));
    return rates.slice(0, options.limit);
  }

  /**
   * Top movers from the rank set. A member whose hash expired (a delisted or
   * unsubscribed symbol) is skipped, so the set is read in pages until `limit`
   * live values are found or it ends.
   */
  async top(options: { exchange: string; sort: keyof typeof SORT_WINDOWS; order: 'asc' | 'desc'; limit: number }): Promise<RateDto[]> {
    const key = rankKey(options.exchange, SORT_WINDOWS[options.sort]);
    const result: RateDto[] = [];
    const pageSize = Math.max(options.limit, 100);
    for (let offset = 0; result.length < options.limit; offset += pageSize) {
      const members = options.order === 'desc' ? await this.redis.zrevrange(key, offset, String(offset + pageSize - 1)) : await this.redis.zrange(key, offset, String(offset + pageSize - 1));
      if (members.length === 0) break;
      const rates = await this.fetch(members.map((symbol) => [options.exchange, symbol]));
      // A member can outlive its change value (unknown again after a restart): only ranked values count.
      for (const rate of rates) if (rate[options.sort] !== null && result.length < options.limit) result.push(rate);
      if (members.length < pageSize) break;
    }
    return result;
  }

  private async fetch(pairs: Array<[string, string]>): Promise<RateDto[]> {
    const rates: RateDto[] = [];
    // Pipelined in chunks: one round trip per 500 keys, without one huge reply buffer.
    for (let i = 0; i < pairs.length; i += 500) {
      const chunk = pairs.slice(i, i + 500);
      const pipeline = this.redis.pipeline();
      for (const [exchange, symbol] of chunk) pipeline.hgetall(rateKey(exchange, symbol));
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, hash], j) => {
        if (error) throw error;
        const rate = parseRateHash(chunk[j]![0], chunk[j]![1], hash as Record<string, string>);
        if (rate) rates.push(rate);
      });
    }
    return rates;
  }
}
