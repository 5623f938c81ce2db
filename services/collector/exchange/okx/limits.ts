/**
 * OKX v5 public WebSocket and REST facts the adapter is built on, from
 * https://www.okx.com/docs-v5/en/#overview-websocket and the endpoint pages.
 */
export const OKX_WS_LIMITS = {
  /** "Connection limit: 3 requests per second (based on IP)". */
  maxConnectionAttempts: 3,
  connectionAttemptWindowMs: 1000,
  /** "The total number of 'subscribe'/'unsubscribe'/'login' requests per connection is limited to 480 times per hour." */
  maxSubscribeRequestsPerHour: 480,
  /** Largest subscribe / unsubscribe request OKX accepts: the args of one request may total 4096 bytes. */
  maxRequestBytes: 4096,
  /** "The connection will break automatically if ... data has not been pushed for more than 30 seconds." */
  serverIdleCutMs: 30_000,
} as const;

/**
 * Requests a second per IP for each public REST endpoint used ("Rate Limit: N
 * requests per 2 seconds", rule IP). OKX counts each endpoint on its own.
 */
export const OKX_REST_LIMITS = {
  '/api/v5/public/instruments': { limit: 20, windowMs: 2000 },
  '/api/v5/market/history-trades': { limit: 20, windowMs: 2000 },
  '/api/v5/market/candles': { limit: 40, windowMs: 2000 },
  '/api/v5/public/time': { limit: 10, windowMs: 2000 },
} as const;

export type OkxEndpoint = keyof typeof OKX_REST_LIMITS;

/** `limit` caps: history-trades 100, candles 300. */
export const OKX_MAX_TRADES_PAGE = 100;
export const OKX_MAX_CANDLES_PAGE = 300;

/** OKX's code for "Rate limit reached" (HTTP 429). */
export const OKX_RATE_LIMIT_CODE = 50011;
