import { performance } from 'node:perf_hooks';
import { BINANCE_REST_WEIGHTS, USED_WEIGHT_HEADER } from '../../../shared/binance';
import { type Logger, errorMessage, LogThrottle } from '../../../shared';
import type { Kline, SymbolInfo, Trade } from '../../domain';
import type { CollectorMetrics } from '../../metrics';
import type { ExchangeRestClient } from '../types';
import { RequestWeightBudget } from '../weight-budget';
import { BinanceRestError } from './errors';
import { toBackfillTrade, toKline, toSymbolInfo } from './rest-mapping';

export const DEFAULT_BINANCE_REST_URL = 'https://api.binance.com';
/** Binance's cap for `limit` on aggTrades and klines. */
export const MAX_REST_PAGE = 1000;

type Endpoint = keyof typeof BINANCE_REST_WEIGHTS;

export interface BinanceRestClientOptions {
  /** e.g. `https://api.binance.com` or the simulator's `restUrl`; the caller reads BINANCE_REST_URL. */
  baseUrl?: string;
  /** Shared by every client of the same IP; one is created when absent. */
  budget?: RequestWeightBudget;
  /** Per attempt, covering connect, headers and body. Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after a 5xx, timeout or network error. Default 3. */
  maxRetries?: number;
  /** Extra attempts after a 429 (each waits for the Retry-After pause first). Default 3. */
  maxRateLimitRetries?: number;
  /** First backoff delay; doubles per attempt, capped at 10 s, with full jitter. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Pause when a 429/418 carries no usable Retry-After. Default 60 s (one weight window). */
  defaultRetryAfterMs?: number;
  metrics?: CollectorMetrics;
  logger?: Logger;
  /** Injected for unit tests; the global (undici) fetch otherwise. */
  fetch?: typeof fetch;
  random?: () => number;
}

const RETRY_CAP_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Binance spot market-data REST with the collector's safety rules: every call
 * first takes its weight from the shared budget, the server's used-weight header
 * is adopted, 429/418 pause every caller until Retry-After, transient failures are
 * retried a bounded number of times, and request errors surface with Binance's
 * code and message.
 */
export class BinanceRestClient implements ExchangeRestClient {
  readonly tradesPageSize = MAX_REST_PAGE;
  private readonly logThrottle = new LogThrottle();
  readonly exchange = 'binance';
  readonly budget: RequestWeightBudget;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxRateLimitRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly defaultRetryAfterMs: number;
  private readonly metrics: CollectorMetrics | undefined;
  private readonly logger: Logger | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;

  constructor(options: BinanceRestClientOptions = {}) {
    const base = options.baseUrl ?? DEFAULT_BINANCE_REST_URL;
    this.baseUrl = base.endsWith('/') ? base.slice(0, -1) : base;
    this.budget = options.budget ?? new RequestWeightBudget();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 3;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
    this.defaultRetryAfterMs = options.defaultRetryAfterMs ?? 60_000;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.fetchImpl = options.fetch ?? fetch;
    this.random = options.random ?? Math.random;
  }

  async listSymbols(): Promise<SymbolInfo[]> {
    const body = await this.request('/api/v3/exchangeInfo', {});
    const rows = (body as { symbols?: unknown } | null)?.symbols;
    if (!Array.isArray(rows)) throw this.malformed('/api/v3/exchangeInfo', 'no symbols array');
    return rows.map((row) => toSymbolInfo(row) ?? this.fail('/api/v3/exchangeInfo', 'a symbol entry lacks symbol, baseAsset, quoteAsset or status'));
  }

  async fetchTradesFrom(symbol: string, fromId: number, limit: number): Promise<Trade[]> {
    const body = await this.request('/api/v3/aggTrades', { symbol, fromId: String(fromId), limit: String(clampLimit(limit)) });
    if (!Array.isArray(body)) throw this.malformed('/api/v3/aggTrades', 'body is not an array');
    const receivedAt = Date.now();
    const receivedAtMono = performance.now();
    return body.map((row) => toBackfillTrade(this.exchange, symbol, row, receivedAt, receivedAtMono) ?? this.fail('/api/v3/aggTrades', `a ${symbol} row is not an aggregate trade`));
  }

  async fetchKlines(symbol: string, startTime: number, limit: number): Promise<Kline[]> {
    const body = await this.request('/api/v3/klines', { symbol, interval: '1m', startTime: String(startTime), limit: String(clampLimit(limit)) });
    if (!Array.isArray(body)) throw this.malformed('/api/v3/klines', 'body is not an array');
    return body.map((row) => toKline(row) ?? this.fail('/api/v3/klines', `a ${symbol} row is not a kline`));
  }

  async serverTime(): Promise<number> {
    const body = await this.request('/api/v3/time', {});
    const time = (body as { serverTime?: unknown } | null)?.serverTime;
    if (typeof time !== 'number' || !Number.isFinite(time)) throw this.malformed('/api/v3/time', 'no serverTime');
    return time;
  }

  private async request(endpoint: Endpoint, params: Record<string, string>): Promise<unknown> {
    const url = `${this.baseUrl}${endpoint}${Object.keys(params).length > 0 ? `?${new URLSearchParams(params).toString()}` : ''}`;
    const weight = BINANCE_REST_WEIGHTS[endpoint];
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      await this.budget.acquire(weight);
      let response: Response;
      let text: string;
      try {
        response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
        text = await response.text();
      } catch (error) {
        this.count(endpoint, 'network');
        failures += 1;
        if (failures > this.maxRetries) {
          throw new BinanceRestError('REST_UNAVAILABLE', `${endpoint} failed ${failures} times (${errorMessage(error)}); check BINANCE_REST_URL and the network path to it.`, { endpoint, cause: error });
        }
        await sleep(this.backoff(failures));
        continue;
      }
      this.count(endpoint, String(response.status));
      this.adoptUsedWeight(response);
      if (response.ok) {
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw new BinanceRestError('REST_MALFORMED', `${endpoint} answered 200 with a body that is not JSON.`, { endpoint, status: response.status, cause: error });
        }
      }
      const body = parseErrorBody(text);
      const details = { endpoint, status: response.status, exchangeCode: body?.code, exchangeMessage: body?.msg };
      if (response.status === 429 || response.status === 418) {
        const retryAfterMs = this.retryAfterMs(response);
        this.budget.pause(retryAfterMs);
        const admitted = this.logThrottle.admit(`status:${response.status}`);
        if (response.status === 418) {
          if (admitted) this.logger?.error('Binance banned this IP for exceeding request weight; every REST request is paused', { endpoint, retryAfterMs, code: body?.code, msg: body?.msg });
          throw new BinanceRestError('REST_IP_BANNED', `${endpoint}: IP banned by Binance for ${Math.ceil(retryAfterMs / 1000)} s (${body?.msg ?? 'no message'}); REST requests are paused until then. Reduce REST use (fewer symbols per collector, lower backfill concurrency).`, { ...details, retryAfterMs });
        }
        if (admitted) this.logger?.warn('Binance rate limit hit; pausing every REST request for Retry-After', { endpoint, retryAfterMs, code: body?.code, suppressedSinceLastLog: admitted.suppressed });
        rateLimited += 1;
        if (rateLimited > this.maxRateLimitRetries) {
          throw new BinanceRestError('REST_RATE_LIMITED', `${endpoint}: still rate limited after ${rateLimited} attempts (${body?.msg ?? 'no message'}).`, { ...details, retryAfterMs });
        }
        continue;
      }
      if (response.status >= 500) {
        failures += 1;
        if (failures > this.maxRetries) {
          throw new BinanceRestError('REST_UNAVAILABLE', `${endpoint}: Binance answered ${response.status} ${failures} times (${body?.msg ?? 'no message'}).`, details);
        }
        await sleep(this.backoff(failures));
        continue;
      }
      throw new BinanceRestError('REST_REJECTED', `${endpoint} rejected with ${response.status} ${body ? `${body.code} ${body.msg}` : text.slice(0, 200)}; the request is wrong (e.g. a symbol Binance does not list), retrying will not help.`, details);
    }
  }

  private adoptUsedWeight(response: Response): void {
    const header = response.headers.get(USED_WEIGHT_HEADER);
    if (header === null) return;
    const used = Number(header);
    if (!Number.isFinite(used)) return;
    this.budget.observeUsedWeight(used);
    this.metrics?.restWeightUsed.set(used);
  }

  private retryAfterMs(response: Response): number {
    const seconds = Number(response.headers.get('retry-after'));
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : this.defaultRetryAfterMs;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(RETRY_CAP_MS, this.retryBaseDelayMs * 2 ** (attempt - 1));
    // Full jitter: many symbols failing together must not retry in lockstep.
    return Math.floor(this.random() * ceiling);
  }

  private count(endpoint: Endpoint, status: string): void {
    this.metrics?.restRequests.inc({ endpoint, status });
  }

  private malformed(endpoint: Endpoint, what: string): BinanceRestError {
    return new BinanceRestError('REST_MALFORMED', `${endpoint} answered 200 with an unexpected body: ${what}. Is BINANCE_REST_URL a Binance spot API?`, { endpoint, status: 200 });
  }

  private fail(endpoint: Endpoint, what: string): never {
    throw this.malformed(endpoint, what);
  }
}

function clampLimit(limit: number): number {
  return Math.max(1, Math.min(MAX_REST_PAGE, Math.floor(limit)));
}

function parseErrorBody(text: string): { code: number; msg: string } | undefined {
  try {
    const body = JSON.parse(text) as { code?: unknown; msg?: unknown };
    if (typeof body?.code === 'number' && typeof body.msg === 'string') return { code: body.code, msg: body.msg };
  } catch {
    // Not Binance's JSON error shape (a proxy's HTML page, say): the caller reports the raw text.
  }
  return undefined;
}
