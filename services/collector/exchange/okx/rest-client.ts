import { performance } from 'node:perf_hooks';
import type { Logger } from '../../../shared';
import type { Kline, SymbolInfo, Trade } from '../../domain';
import type { CollectorMetrics } from '../../metrics';
import { SlidingWindowLimiter } from '../request-rate';
import { ExchangeRestError, RestCaller } from '../rest-call';
import { SymbolDirectory } from '../symbol-directory';
import type { ExchangeRestClient } from '../types';
import { OKX_MAX_CANDLES_PAGE, OKX_MAX_TRADES_PAGE, OKX_REST_LIMITS, type OkxEndpoint } from './limits';
import { readOkxEnvelope, toOkxBackfillTrade, toOkxKline, toOkxSymbolInfo } from './rest-mapping';

export const DEFAULT_OKX_REST_URL = 'https://www.okx.com';
const MINUTE_MS = 60_000;

/** One limiter per endpoint: OKX counts each public endpoint's requests per IP on its own. */
export type OkxRestLimiters = Record<OkxEndpoint, SlidingWindowLimiter>;

export function createOkxRestLimiters(options: { safetyRatio?: number; maxQueued?: number; now?: () => number } = {}): OkxRestLimiters {
  const entries = (Object.keys(OKX_REST_LIMITS) as OkxEndpoint[]).map((endpoint) => [endpoint, new SlidingWindowLimiter({ name: `okx ${endpoint}`, ...OKX_REST_LIMITS[endpoint], ...options })] as const);
  return Object.fromEntries(entries) as OkxRestLimiters;
}

export interface OkxRestClientOptions {
  /** e.g. `https://www.okx.com` or the simulator's REST URL. */
  baseUrl?: string;
  /** Share one set between every client of the same IP; created when absent. */
  limiters?: OkxRestLimiters;
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
 * OKX v5 public REST for the collector. Pairs are named by the project's symbol
 * and translated through the directory; the first call that needs a native name
 * lists the instruments itself when nobody has yet. A 429 / 50011 pauses the
 * endpoint's limiter for one window (OKX sends no Retry-After) and is retried.
 */
export class OkxRestClient implements ExchangeRestClient {
  readonly tradesPageSize = OKX_MAX_TRADES_PAGE;
  readonly exchange = 'okx';
  readonly limiters: OkxRestLimiters;
  readonly directory: SymbolDirectory;
  private readonly baseUrl: string;
  private readonly caller: RestCaller;

  constructor(options: OkxRestClientOptions = {}) {
    const base = options.baseUrl ?? DEFAULT_OKX_REST_URL;
    this.baseUrl = base.endsWith('/') ? base.slice(0, -1) : base;
    this.limiters = options.limiters ?? createOkxRestLimiters();
    this.directory = options.directory ?? new SymbolDirectory('okx');
    this.caller = new RestCaller({
      exchange: 'okx',
      readEnvelope: (body, status) => readOkxEnvelope(body, status),
      defaultRateLimitPauseMs: 2000,
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

  /** Every spot instrument (`live` is tradable) and, as a side effect, a fresh directory. */
  async listSymbols(): Promise<SymbolInfo[]> {
    const rows = (await this.get('/api/v5/public/instruments', { instType: 'SPOT' })) as unknown[];
    const symbols = rows.map((row) => toOkxSymbolInfo(row) ?? this.fail('/api/v5/public/instruments', 'an instrument lacks instId, baseCcy, quoteCcy or state'));
    this.directory.load(symbols);
    return symbols;
  }

  /**
   * History-trades ids are per-instrument trade numbers (every fill, not the stream's
   * aggregates), returned newest first. `after` returns ids below it, `before` ids
   * above it, so `before = fromId - 1, after = fromId + n` asks exactly for ids
   * fromId .. fromId + n - 1; the rows are sorted back to ascending.
   */
  async fetchTradesFrom(symbol: string, fromId: number, limit: number): Promise<Trade[]> {
    if (!Number.isSafeInteger(fromId) || fromId < 0) throw new RangeError(`fromId must be a non-negative integer, got ${fromId}`);
    const instId = await this.nativeOf(symbol);
    const n = clamp(limit, OKX_MAX_TRADES_PAGE);
    const params: Record<string, string> = { instId, type: '1', after: String(fromId + n), limit: String(n) };
    if (fromId > 0) params.before = String(fromId - 1);
    const rows = (await this.get('/api/v5/market/history-trades', params)) as unknown[];
    const receivedAt = Date.now();
    const receivedAtMono = performance.now();
    const trades = rows.map((row) => toOkxBackfillTrade(symbol, instId, row, receivedAt, receivedAtMono) ?? this.fail('/api/v5/market/history-trades', `a ${instId} row is not a trade`));
    return trades.filter((trade) => trade.tradeId >= fromId).sort((a, b) => a.tradeId - b.tradeId).slice(0, n);
  }

  /**
   * 1m candles from `startTime`, ascending. `/market/candles` serves the latest
   * 1,440 candles, which covers the warm start's quarter of an hour.
   */
  async fetchKlines(symbol: string, startTime: number, limit: number): Promise<Kline[]> {
    const instId = await this.nativeOf(symbol);
    const n = clamp(limit, OKX_MAX_CANDLES_PAGE);
    const rows = (await this.get('/api/v5/market/candles', { instId, bar: '1m', before: String(startTime - 1), after: String(startTime + n * MINUTE_MS), limit: String(n) })) as unknown[];
    const klines = rows.map((row) => toOkxKline(row) ?? this.fail('/api/v5/market/candles', `a ${instId} row is not a candle`));
    return klines.filter((kline) => kline.openTime >= startTime).sort((a, b) => a.openTime - b.openTime).slice(0, n);
  }

  async serverTime(): Promise<number> {
    const rows = (await this.get('/api/v5/public/time', {})) as unknown[];
    const ts = (rows[0] as { ts?: unknown } | undefined)?.ts;
    const time = typeof ts === 'string' && /^\d{1,15}$/.test(ts) ? Number(ts) : Number.NaN;
    if (!Number.isFinite(time)) throw this.malformed('/api/v5/public/time', 'no ts');
    return time;
  }

  private async nativeOf(symbol: string): Promise<string> {
    if (!this.directory.loaded) await this.listSymbols();
    return this.directory.nativeOf(symbol);
  }

  private get(endpoint: OkxEndpoint, params: Record<string, string>): Promise<unknown> {
    const query = new URLSearchParams(params).toString();
    return this.caller.get(`${this.baseUrl}${endpoint}${query === '' ? '' : `?${query}`}`, endpoint, this.limiters[endpoint]);
  }

  private malformed(endpoint: OkxEndpoint, what: string): ExchangeRestError {
    return new ExchangeRestError('REST_MALFORMED', `okx ${endpoint} answered 200 with an unexpected body: ${what}. Is OKX_REST_URL the OKX v5 API?`, { exchange: 'okx', endpoint, status: 200 });
  }

  private fail(endpoint: OkxEndpoint, what: string): never {
    throw this.malformed(endpoint, what);
  }
}

function clamp(limit: number, max: number): number {
  return Math.max(1, Math.min(max, Math.floor(limit)));
}
