import { performance } from 'node:perf_hooks';
import type { Logger } from '../../../shared';
import type { Kline, SymbolInfo, Trade } from '../../domain';
import type { CollectorMetrics } from '../../metrics';
import { SlidingWindowLimiter } from '../request-rate';
import { ExchangeRestError, RestCaller } from '../rest-call';
import { SymbolDirectory } from '../symbol-directory';
import type { ExchangeRestClient } from '../types';
import { BYBIT_INSTRUMENTS_PAGE, BYBIT_MAX_KLINES_PAGE, BYBIT_MAX_RECENT_TRADES, BYBIT_REST_LIMITS } from './limits';
import { readBybitEnvelope, toBybitKline, toBybitRecentTrade, toBybitSymbolInfo } from './rest-mapping';

export const DEFAULT_BYBIT_REST_URL = 'https://api.bybit.com';
const MINUTE_MS = 60_000;
/** Pages of instruments-info followed at most; a cursor that never ends is a malformed answer, not a loop. */
const MAX_INSTRUMENT_PAGES = 20;

type Endpoint = '/v5/market/instruments-info' | '/v5/market/kline' | '/v5/market/recent-trade' | '/v5/market/time';

/** One limiter for the whole IP: Bybit's 600 requests per 5 s are shared by every endpoint. */
export function createBybitRestLimiter(options: { safetyRatio?: number; maxQueued?: number; now?: () => number } = {}): SlidingWindowLimiter {
  return new SlidingWindowLimiter({ name: 'bybit REST', limit: BYBIT_REST_LIMITS.limit, windowMs: BYBIT_REST_LIMITS.windowMs, ...options });
}

export interface BybitRestClientOptions {
  baseUrl?: string;
  /** Share one between every client of the same IP; created when absent. */
  limiter?: SlidingWindowLimiter;
  /** Filled by `listSymbols()`; share it with the stream protocol. Created when absent. */
  directory?: SymbolDirectory;
  timeoutMs?: number;
  maxRetries?: number;
  maxRateLimitRetries?: number;
  retryBaseDelayMs?: number;
  metrics?: CollectorMetrics;
  logger?: Logger;
  fetch?: typeof fetch;
  random?: () => number;
}

/**
 * Bybit v5 public market REST for the collector. A 403 ("access too frequent") is
 * an IP ban: the limiter pauses every request for 10 minutes and the call fails as
 * REST_IP_BANNED; retCode 10006 pauses until X-Bapi-Limit-Reset-Timestamp.
 */
export class BybitRestClient implements ExchangeRestClient {
  readonly tradesPageSize = BYBIT_MAX_RECENT_TRADES;
  readonly exchange = 'bybit';
  readonly limiter: SlidingWindowLimiter;
  readonly directory: SymbolDirectory;
  private readonly baseUrl: string;
  private readonly caller: RestCaller;

  constructor(options: BybitRestClientOptions = {}) {
    const base = options.baseUrl ?? DEFAULT_BYBIT_REST_URL;
    this.baseUrl = base.endsWith('/') ? base.slice(0, -1) : base;
    this.limiter = options.limiter ?? createBybitRestLimiter();
    this.directory = options.directory ?? new SymbolDirectory('bybit');
    this.caller = new RestCaller({
      exchange: 'bybit',
      readEnvelope: (body, status, headers) => readBybitEnvelope(body, status, headers, Date.now()),
      banPauseMs: (status) => (status === 403 ? BYBIT_REST_LIMITS.banPauseMs : undefined),
      defaultRateLimitPauseMs: 1000,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      maxRateLimitRetries: options.maxRateLimitRetries,
      retryBaseDelayMs: options.retryBaseDelayMs,
      metrics: options.metrics,
      logger: options.logger,
      fetch: options.fetch,
      random: options.random,
    });
  }

  /** Every spot pair (`Trading` is tradable), following `nextPageCursor`, and a fresh directory. */
  async listSymbols(): Promise<SymbolInfo[]> {
    const endpoint = '/v5/market/instruments-info';
    const symbols: SymbolInfo[] = [];
    let cursor = '';
    for (let page = 0; ; page += 1) {
      if (page === MAX_INSTRUMENT_PAGES) throw this.malformed(endpoint, `nextPageCursor still set after ${MAX_INSTRUMENT_PAGES} pages`);
      const params: Record<string, string> = { category: 'spot', limit: String(BYBIT_INSTRUMENTS_PAGE) };
      if (cursor !== '') params.cursor = cursor;
      const result = (await this.get(endpoint, params)) as { list?: unknown; nextPageCursor?: unknown };
      if (!Array.isArray(result.list)) throw this.malformed(endpoint, 'no list');
      for (const row of result.list) symbols.push(toBybitSymbolInfo(row) ?? this.fail(endpoint, 'an instrument lacks symbol, baseCoin, quoteCoin or status'));
      cursor = typeof result.nextPageCursor === 'string' ? result.nextPageCursor : '';
      if (cursor === '') break;
    }
    this.directory.load(symbols);
    return symbols;
  }

  /**
   * Always rejects with BACKFILL_UNSUPPORTED: Bybit's public REST has no trade
   * history by id (recent-trade gives the latest 60 spot trades, nothing older),
   * and spot ids do not fit the number this interface pages by. The protocol says
   * `tradeIds: 'opaque'`, so the sequencer never asks.
   */
  fetchTradesFrom(symbol: string, fromId: number, limit: number): Promise<Trade[]> {
    return Promise.reject(
      new ExchangeRestError('BACKFILL_UNSUPPORTED', `bybit cannot page trades by id (asked ${limit} ${symbol} trades from ${fromId}); its public REST only has the latest ${BYBIT_MAX_RECENT_TRADES} spot trades.`, { exchange: 'bybit', endpoint: '/v5/market/recent-trade' }),
    );
  }

  /** The latest spot trades (at most 60), ascending by trade time: what Bybit can give after a reconnect. */
  async fetchRecentTrades(symbol: string, limit: number): Promise<Trade[]> {
    const endpoint = '/v5/market/recent-trade';
    const native = this.nativeOf(symbol);
    const result = (await this.get(endpoint, { category: 'spot', symbol: native, limit: String(clamp(limit, BYBIT_MAX_RECENT_TRADES)) })) as { list?: unknown };
    if (!Array.isArray(result.list)) throw this.malformed(endpoint, 'no list');
    const receivedAt = Date.now();
    const receivedAtMono = performance.now();
    const trades = result.list.map((row) => toBybitRecentTrade(symbol, native, row, receivedAt, receivedAtMono) ?? this.fail(endpoint, `a ${native} row is not a trade`));
    // Newest first on the wire; a stable sort keeps same-millisecond trades in the exchange's order.
    return trades.reverse().sort((a, b) => a.tradeTime - b.tradeTime);
  }

  async fetchKlines(symbol: string, startTime: number, limit: number): Promise<Kline[]> {
    const endpoint = '/v5/market/kline';
    const n = clamp(limit, BYBIT_MAX_KLINES_PAGE);
    const result = (await this.get(endpoint, { category: 'spot', symbol: this.nativeOf(symbol), interval: '1', start: String(startTime), end: String(startTime + n * MINUTE_MS - 1), limit: String(n) })) as { list?: unknown };
    if (!Array.isArray(result.list)) throw this.malformed(endpoint, 'no list');
    const klines = result.list.map((row) => toBybitKline(row) ?? this.fail(endpoint, `a ${symbol} row is not a candle`));
    return klines.filter((k) => k.openTime >= startTime).sort((a, b) => a.openTime - b.openTime).slice(0, n);
  }

  /** `timeNano` as ms: exact, where `timeSecond` would lose the milliseconds. */
  async serverTime(): Promise<number> {
    const result = (await this.get('/v5/market/time', {})) as { timeNano?: unknown };
    if (typeof result.timeNano !== 'string' || !/^\d{10,20}$/.test(result.timeNano)) throw this.malformed('/v5/market/time', 'no timeNano');
    return Number(BigInt(result.timeNano) / 1_000_000n);
  }

  /** Bybit names spot pairs base+quote already, so an unloaded directory is no obstacle. */
  private nativeOf(symbol: string): string {
    return this.directory.loaded ? this.directory.nativeOf(symbol) : symbol;
  }

  private get(endpoint: Endpoint, params: Record<string, string>): Promise<unknown> {
    const query = new URLSearchParams(params).toString();
    return this.caller.get(`${this.baseUrl}${endpoint}${query === '' ? '' : `?${query}`}`, endpoint, this.limiter);
  }

  private malformed(endpoint: Endpoint, what: string): ExchangeRestError {
    return new ExchangeRestError('REST_MALFORMED', `bybit ${endpoint} answered 200 with an unexpected body: ${what}. Is BYBIT_REST_URL the Bybit v5 API?`, { exchange: 'bybit', endpoint, status: 200 });
  }

  private fail(endpoint: Endpoint, what: string): never {
    throw this.malformed(endpoint, what);
  }
}

function clamp(limit: number, max: number): number {
  return Math.max(1, Math.min(max, Math.floor(limit)));
}
