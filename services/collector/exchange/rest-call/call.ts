import { type Logger, errorMessage, LogThrottle } from '../../../shared';
import type { CollectorMetrics } from '../../metrics';
import type { SlidingWindowLimiter } from '../request-rate';
import { ExchangeRestError } from './errors';

/** What an exchange's envelope says about one answer. */
export type EnvelopeVerdict =
  | { kind: 'ok'; data: unknown }
  /** The exchange's own "too many requests"; `pauseMs` when it says how long. */
  | { kind: 'rate_limited'; code: number; msg: string; pauseMs?: number }
  /** Busy or internal error codes: worth a retry. */
  | { kind: 'transient'; code: number; msg: string }
  | { kind: 'rejected'; code: number; msg: string }
  | { kind: 'malformed'; what: string };

export interface RestCallerOptions {
  exchange: string;
  /** Reads any JSON body (2xx or not) into a verdict; `status` for endpoints that answer errors with no body code. */
  readEnvelope(body: unknown, status: number, headers: Headers): EnvelopeVerdict;
  /** HTTP statuses that mean the IP is refused for a while (Bybit 403), with the pause. */
  banPauseMs?(status: number): number | undefined;
  /** Per attempt, covering connect, headers and body. Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after a 5xx, busy code, timeout or network error. Default 3. */
  maxRetries?: number;
  /** Extra attempts after a rate-limit answer (each waits for the pause first). Default 3. */
  maxRateLimitRetries?: number;
  /** First backoff delay; doubles per attempt, capped at 10 s, with full jitter. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Pause after a rate-limit answer that does not say how long: one window of the endpoint's limit. */
  defaultRateLimitPauseMs: number;
  metrics?: CollectorMetrics;
  logger?: Logger;
  fetch?: typeof fetch;
  random?: () => number;
}

const RETRY_CAP_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One GET with the collector's REST safety rules, shared by the OKX and Bybit
 * clients: every attempt first takes a slot from the endpoint's limiter, a
 * rate-limit answer pauses that limiter (so every caller waits, not only this
 * one), transient failures are retried a bounded number of times with jittered
 * backoff, and failures surface as `ExchangeRestError` with the status and the
 * exchange's code.
 */
export class RestCaller {
  private readonly logThrottle = new LogThrottle();
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxRateLimitRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;

  constructor(private readonly options: RestCallerOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 3;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
    this.fetchImpl = options.fetch ?? fetch;
    this.random = options.random ?? Math.random;
  }

  async get(url: string, endpoint: string, limiter: SlidingWindowLimiter): Promise<unknown> {
    const exchange = this.options.exchange;
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      await limiter.acquire();
      let response: Response;
      let text: string;
      try {
        response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
        text = await response.text();
      } catch (error) {
        this.count(endpoint, 'network');
        failures += 1;
        if (failures > this.maxRetries) {
          throw new ExchangeRestError('REST_UNAVAILABLE', `${exchange} ${endpoint} failed ${failures} times (${errorMessage(error)}); check the ${exchange.toUpperCase()}_REST_URL and the network path to it.`, { exchange, endpoint, cause: error });
        }
        await sleep(this.backoff(failures));
        continue;
      }
      this.count(endpoint, String(response.status));
      const status = response.status;
      const banPauseMs = this.options.banPauseMs?.(status);
      if (banPauseMs !== undefined) {
        limiter.pause(banPauseMs);
        if (this.logThrottle.admit(`ban:${status}`)) this.options.logger?.error(`${exchange} refused this IP for exceeding its rate limit; every request of this endpoint is paused`, { endpoint, status, pauseMs: banPauseMs });
        throw new ExchangeRestError('REST_IP_BANNED', `${exchange} ${endpoint}: HTTP ${status}, this IP is refused for ${Math.ceil(banPauseMs / 1000)} s; requests are paused until then. Reduce REST use.`, { exchange, endpoint, status, retryAfterMs: banPauseMs });
      }
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch (error) {
        if (status >= 500 || status === 429) body = undefined;
        else if (status >= 200 && status < 300) throw new ExchangeRestError('REST_MALFORMED', `${exchange} ${endpoint} answered ${status} with a body that is not JSON.`, { exchange, endpoint, status, cause: error });
        else throw new ExchangeRestError('REST_REJECTED', `${exchange} ${endpoint} rejected with ${status} ${text.slice(0, 200)}`, { exchange, endpoint, status, cause: error });
      }
      const verdict: EnvelopeVerdict =
        body === undefined ? (status === 429 ? { kind: 'rate_limited', code: 0, msg: 'HTTP 429' } : { kind: 'transient', code: 0, msg: `HTTP ${status}` }) : this.options.readEnvelope(body, status, response.headers);
      const details = { exchange, endpoint, status };
      switch (verdict.kind) {
        case 'ok':
          return verdict.data;
        case 'malformed':
          throw new ExchangeRestError('REST_MALFORMED', `${exchange} ${endpoint} answered ${status} with an unexpected body: ${verdict.what}. Is ${exchange.toUpperCase()}_REST_URL the ${exchange} API?`, details);
        case 'rejected':
          throw new ExchangeRestError('REST_REJECTED', `${exchange} ${endpoint} rejected with ${status} ${verdict.code} ${verdict.msg}; the request is wrong (e.g. a pair ${exchange} does not list), retrying will not help.`, { ...details, exchangeCode: verdict.code, exchangeMessage: verdict.msg });
        case 'rate_limited': {
          const pauseMs = verdict.pauseMs ?? this.options.defaultRateLimitPauseMs;
          limiter.pause(pauseMs);
          const admitted = this.logThrottle.admit(`rate:${endpoint}`);
          if (admitted) this.options.logger?.warn(`${exchange} rate limit hit; pausing the endpoint's requests`, { endpoint, pauseMs, code: verdict.code, suppressedSinceLastLog: admitted.suppressed });
          rateLimited += 1;
          if (rateLimited > this.maxRateLimitRetries) {
            throw new ExchangeRestError('REST_RATE_LIMITED', `${exchange} ${endpoint}: still rate limited after ${rateLimited} attempts (${verdict.code} ${verdict.msg}).`, { ...details, exchangeCode: verdict.code, exchangeMessage: verdict.msg, retryAfterMs: pauseMs });
          }
          continue;
        }
        case 'transient':
          failures += 1;
          if (failures > this.maxRetries) {
            throw new ExchangeRestError('REST_UNAVAILABLE', `${exchange} ${endpoint}: answered ${status} ${verdict.code} ${verdict.msg} ${failures} times.`, { ...details, exchangeCode: verdict.code, exchangeMessage: verdict.msg });
          }
          await sleep(this.backoff(failures));
          continue;
      }
    }
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(RETRY_CAP_MS, this.retryBaseDelayMs * 2 ** (attempt - 1));
    // Full jitter: many symbols failing together must not retry in lockstep.
    return Math.floor(this.random() * ceiling);
  }

  private count(endpoint: string, status: string): void {
    this.options.metrics?.restRequests.inc({ endpoint, status });
  }
}
