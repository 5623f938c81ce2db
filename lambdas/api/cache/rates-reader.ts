import type Redis from 'ioredis';
import { decodeRateHash, RATE_WINDOWS, rankKey, rateKey, SYMBOL_PATTERN, symbolIndexKey } from '../../../services/shared/rates';

// The key is the collector's (services/shared/rates); the API's surface keeps exporting it for tools and benchmarks.
export { symbolIndexKey };
import type { RateDto } from '../schemas';


/**
 * The exchanges `GET /v1/rates` lists when none is given: the design's exchange
 * ids (DESIGN.md "Exchanges"). An exchange without data costs one empty ZRANGE.
 */
export const RATE_EXCHANGES = ['binance', 'bybit', 'okx'] as const;
/** Members read per ZRANGE: one reply stays small however large the limit. */
const PAGE_MAX = 1000;
const SORT_WINDOWS = { change_1m: '1m', change_5m: '5m', change_15m: '15m' } as const;

/** A rates hash as the API's Rate; `undefined` when the hash is gone (expired) or not a rates hash. */
export function parseRateHash(exchange: string, symbol: string, hash: Record<string, string>): RateDto | undefined {
  const rate = decodeRateHash(symbol, hash);
  return rate && { exchange, ...rate, time: new Date(rate.ts).toISOString() };
}

export class RatesReader {
  constructor(private readonly redis: Redis) {}

  async get(exchange: string, symbol: string): Promise<RateDto | undefined> {
    return parseRateHash(exchange, symbol, await this.redis.hgetall(rateKey(exchange, symbol)));
  }

  /**
   * Live rates by exchange and symbol, at most `limit`, never a SCAN of the
   * keyspace: members of the symbol index (or, where the collector does not
   * maintain it yet, of the rank sets) in pages, then pipelined HGETALLs. Redis
   * work is bounded by the limit (plus members whose hash expired meanwhile),
   * not by the size of the keyspace the collectors write.
   */
  async list(options: { exchange?: string; limit: number }): Promise<RateDto[]> {
    const exchanges = options.exchange === undefined ? [...RATE_EXCHANGES] : [options.exchange];
    const result: RateDto[] = [];
    for (const exchange of exchanges) {
      if (result.length >= options.limit) break;
      const pages = await this.symbolPages(exchange);
      for (let offset = 0; result.length < options.limit; ) {
        const pageSize = Math.min(PAGE_MAX, Math.max(options.limit - result.length + 20, 100));
        const members = await pages(offset, pageSize);
        if (members.length === 0) break;
        const rates = await this.fetch(members.map((symbol) => [exchange, symbol]));
        for (const rate of rates) if (result.length < options.limit) result.push(rate);
        if (members.length < pageSize) break;
        offset += pageSize;
      }
    }
    return result;
  }

  /**
   * A reader of the exchange's symbols in byte order, by offset: the index when it
   * exists; else the union of the three rank sets (what a collector without the
   * index maintains: symbols with no change known in any window are missing from
   * it until their first change), read once, bounded by the symbols collected.
   */
  private async symbolPages(exchange: string): Promise<(offset: number, count: number) => Promise<string[]>> {
    const indexKey = symbolIndexKey(exchange);
    if ((await this.redis.exists(indexKey)) === 1) {
      return (offset, count) => this.redis.zrange(indexKey, offset, String(offset + count - 1));
    }
    const pipeline = this.redis.pipeline();
    for (const window of RATE_WINDOWS) pipeline.zrange(rankKey(exchange, window), 0, String(-1));
    const replies = (await pipeline.exec()) ?? [];
    const members = new Set<string>();
    for (const [error, reply] of replies) {
      if (error) throw error;
      for (const symbol of reply as string[]) if (SYMBOL_PATTERN.test(symbol)) members.add(symbol);
    }
    const sorted = [...members].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return async (offset, count) => sorted.slice(offset, offset + count);
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
