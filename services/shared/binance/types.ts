/**
 * Binance spot wire formats, shared by the simulator (which produces them) and the
 * collector (which consumes them). Field names are Binance's one-letter keys so a
 * payload can be typed without renaming; prices and quantities stay strings because
 * Binance sends them as exact decimals.
 */

/** `<symbol>@aggTrade`: trades of one taker order at one price, ids consecutive per symbol. */
export interface AggTradeEvent {
  e: 'aggTrade';
  E: number;
  s: string;
  a: number;
  p: string;
  q: string;
  f: number;
  l: number;
  T: number;
  m: boolean;
  M: boolean;
}

/** `<symbol>@trade`: one maker/taker match. */
export interface TradeEvent {
  e: 'trade';
  E: number;
  s: string;
  t: number;
  p: string;
  q: string;
  T: number;
  m: boolean;
  M: boolean;
}

export interface KlinePayload {
  t: number;
  T: number;
  s: string;
  i: string;
  f: number;
  L: number;
  o: string;
  c: string;
  h: string;
  l: string;
  v: string;
  n: number;
  x: boolean;
  q: string;
  V: string;
  Q: string;
  B: string;
}

/** `<symbol>@kline_<interval>`. */
export interface KlineEvent {
  e: 'kline';
  E: number;
  s: string;
  k: KlinePayload;
}

/** `<symbol>@miniTicker`: 24 h rolling window. */
export interface MiniTickerEvent {
  e: '24hrMiniTicker';
  E: number;
  s: string;
  c: string;
  o: string;
  h: string;
  l: string;
  v: string;
  q: string;
}

/** Sent before the server closes a connection (24 h cut, maintenance). */
export interface ServerShutdownEvent {
  e: 'serverShutdown';
  E: number;
}

/** Stream name Binance uses for `serverShutdown` on combined connections. */
export const SERVER_SHUTDOWN_STREAM = '!serverShutdown';

export type MarketEvent = AggTradeEvent | TradeEvent | KlineEvent | MiniTickerEvent;

/** Events on `/stream` connections are wrapped with the stream name. */
export interface CombinedStreamMessage<T = MarketEvent | ServerShutdownEvent> {
  stream: string;
  data: T;
}

export type WsRequestId = number | string | null;
export type WsMethod = 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'LIST_SUBSCRIPTIONS' | 'SET_PROPERTY' | 'GET_PROPERTY';

export interface WsRequest {
  method: WsMethod;
  params?: unknown[];
  id: WsRequestId;
}

/** `{"result":null,"id":1}` for SUBSCRIBE/UNSUBSCRIBE, the stream list for LIST_SUBSCRIPTIONS. */
export interface WsResultResponse {
  result: null | string[] | boolean;
  id: WsRequestId;
}

/** `{"error":{"code":2,"msg":"..."},"id":1}`; `id` is absent when the request could not be read. */
export interface WsErrorResponse {
  error: { code: number; msg: string };
  id?: WsRequestId;
}

/** Error codes of the WebSocket Streams control protocol. */
export const WsErrorCode = {
  UNKNOWN_PROPERTY: 0,
  INVALID_VALUE_TYPE: 1,
  INVALID_REQUEST: 2,
  INVALID_JSON: 3,
} as const;

/** Row of `GET /api/v3/aggTrades`. */
export interface RestAggTrade {
  a: number;
  p: string;
  q: string;
  f: number;
  l: number;
  T: number;
  m: boolean;
  M: boolean;
}

/**
 * Row of `GET /api/v3/klines`: open time, open, high, low, close, volume, close time,
 * quote volume, trades, taker buy base volume, taker buy quote volume, ignore.
 */
export type RestKline = [number, string, string, string, string, string, number, string, number, string, string, string];

export interface ExchangeInfoFilter {
  filterType: string;
  [key: string]: unknown;
}

export interface ExchangeInfoSymbol {
  symbol: string;
  status: string;
  baseAsset: string;
  quoteAsset: string;
  filters: ExchangeInfoFilter[];
  [key: string]: unknown;
}

export interface ExchangeInfoRateLimit {
  rateLimitType: string;
  interval: string;
  intervalNum: number;
  limit: number;
}

export interface ExchangeInfo {
  timezone: string;
  serverTime: number;
  rateLimits: ExchangeInfoRateLimit[];
  exchangeFilters: unknown[];
  symbols: ExchangeInfoSymbol[];
}

/** Body of every REST error. */
export interface RestErrorBody {
  code: number;
  msg: string;
}

/** REST error codes used by the market-data endpoints. */
export const RestErrorCode = {
  UNKNOWN: -1000,
  TOO_MANY_REQUESTS: -1003,
  ILLEGAL_CHARS: -1100,
  TOO_MANY_PARAMETERS: -1101,
  MANDATORY_PARAM_EMPTY_OR_MALFORMED: -1102,
  BAD_INTERVAL: -1120,
  BAD_SYMBOL: -1121,
  OPTIONAL_PARAMS_BAD_COMBO: -1128,
  INVALID_PARAMETER: -1130,
} as const;

/** Documented per-connection limits of the spot WebSocket Streams. */
export const BINANCE_WS_LIMITS = {
  maxStreamsPerConnection: 1024,
  maxIncomingMessagesPerSecond: 5,
  pingIntervalMs: 20_000,
  pongTimeoutMs: 60_000,
  maxConnectionAgeMs: 24 * 60 * 60 * 1000,
} as const;

/** Request weights of the REST endpoints the collector uses. */
export const BINANCE_REST_WEIGHTS = {
  '/api/v3/ping': 1,
  '/api/v3/time': 1,
  '/api/v3/exchangeInfo': 20,
  '/api/v3/klines': 2,
  '/api/v3/aggTrades': 4,
} as const;

export const BINANCE_REST_WEIGHT_LIMIT_1M = 6000;
export const USED_WEIGHT_HEADER = 'x-mbx-used-weight-1m';
