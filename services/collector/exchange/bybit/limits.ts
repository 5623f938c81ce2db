/**
 * Bybit v5 public spot facts the adapter is built on, from
 * https://bybit-exchange.github.io/docs/v5/ws/connect and
 * https://bybit-exchange.github.io/docs/v5/rate-limit.
 */
export const BYBIT_WS_LIMITS = {
  /** "Spot can input up to 10 args for each subscription request sent to one connection." */
  maxArgsPerRequest: 10,
  /** "Do not establish more than 500 connections within a 5-minute window." */
  maxConnectionAttempts: 500,
  connectionAttemptWindowMs: 5 * 60_000,
  /** Bybit asks for a heartbeat ping every 20 s; an idle connection is cut after 10 minutes. */
  pingIntervalMs: 20_000,
  /** Total length of the args one public connection may hold. */
  maxArgsCharactersPerConnection: 21_000,
} as const;

export const BYBIT_REST_LIMITS = {
  /** "You are allowed to send 600 requests within a 5-second window per IP", shared by every endpoint. */
  limit: 600,
  windowMs: 5000,
  /** "403, access too frequent": "wait for at least 10 minutes. The ban will be lifted automatically." */
  banPauseMs: 10 * 60_000,
} as const;

/** `limit` caps: kline 1000, recent-trade 60 for spot, instruments-info 1000. */
export const BYBIT_MAX_KLINES_PAGE = 1000;
export const BYBIT_MAX_RECENT_TRADES = 60;
export const BYBIT_INSTRUMENTS_PAGE = 1000;

/** retCode 10006 "Too many visits!": the API rate limit. */
export const BYBIT_RATE_LIMIT_CODE = 10006;
