import { BINANCE_REST_WEIGHTS, RestErrorCode, type ExchangeInfo, type RestErrorBody, USED_WEIGHT_HEADER } from '../shared/binance';
import { formatE8 } from './decimal';
import { tickerStats } from './format';
import type { AggTradesQuery } from './history';
import type { RequestWeightLimiter } from './limits';
import type { Market, SymbolState } from './market';
import { exchangeInfoEntry } from './universe';

export interface RestRequest {
  /** HTTP method; GET when absent. */
  method?: string;
  path: string;
  query: URLSearchParams;
  client: string;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RestFailure {
  status: number;
  until: number;
}

/** What every exchange's REST answers from. */
export interface RestContext {
  market: Market;
  /** Exchange clock: wall time live, the replay clock in replay mode. */
  exchangeTime(): number;
  /** Wall clock, for weight windows and injected failures. */
  wallTime(): number;
  failure(): RestFailure | undefined;
}

/** Binance's REST also counts request weight. */
export interface BinanceRestContext extends RestContext {
  weights: RequestWeightLimiter;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 500;

class RestError extends Error {
  constructor(
    readonly status: number,
    readonly body: RestErrorBody,
  ) {
    super(body.msg);
  }
}

function bad(code: number, msg: string): RestError {
  return new RestError(400, { code, msg });
}

function mandatory(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw bad(RestErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
  return value;
}

function optionalInteger(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?[0-9]{1,20}$/.test(value)) throw bad(RestErrorCode.ILLEGAL_CHARS, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`);
  return Number(value);
}

/** Binance caps `limit` at the maximum and rejects values below 1. */
function limitParam(query: URLSearchParams): number {
  const limit = optionalInteger(query, 'limit') ?? DEFAULT_LIMIT;
  if (limit < 1) throw bad(RestErrorCode.INVALID_PARAMETER, "Data sent for parameter 'limit' is not valid.");
  return Math.min(limit, MAX_LIMIT);
}

function symbolParam(context: RestContext, query: URLSearchParams): string {
  const symbol = mandatory(query, 'symbol');
  if (!/^[A-Z0-9-_.]{1,20}$/.test(symbol)) throw bad(RestErrorCode.ILLEGAL_CHARS, "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.");
  if (!context.market.get(symbol)) throw bad(RestErrorCode.BAD_SYMBOL, 'Invalid symbol.');
  return symbol;
}

/** `symbol=X` or `symbols=["X","Y"]` (not both); undefined when neither is sent. */
function symbolSelection(query: URLSearchParams): { names: string[]; single: boolean } | undefined {
  const single = query.get('symbol');
  const list = query.get('symbols');
  if (single !== null && list !== null) throw bad(RestErrorCode.OPTIONAL_PARAMS_BAD_COMBO, 'Combination of optional parameters invalid.');
  if (single !== null) return { names: [single], single: true };
  if (list === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(list);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((n) => typeof n === 'string')) throw bad(RestErrorCode.ILLEGAL_CHARS, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
  return { names: parsed as string[], single: false };
}

function selectedStates(context: RestContext, query: URLSearchParams): { states: readonly SymbolState[]; single: boolean } {
  const selection = symbolSelection(query);
  if (selection === undefined) return { states: context.market.states, single: false };
  const states = selection.names.map((name) => {
    const state = context.market.get(name);
    if (!state) throw bad(RestErrorCode.BAD_SYMBOL, 'Invalid symbol.');
    return state;
  });
  return { states, single: selection.single };
}

function exchangeInfo(context: RestContext, query: URLSearchParams, weightLimit: number): ExchangeInfo {
  const { states } = selectedStates(context, query);
  return {
    timezone: 'UTC',
    serverTime: context.exchangeTime(),
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: weightLimit },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols: states.map((s) => exchangeInfoEntry(s.spec)),
  };
}

function aggTradesQuery(query: URLSearchParams): AggTradesQuery {
  const fromId = optionalInteger(query, 'fromId');
  const startTime = optionalInteger(query, 'startTime');
  const endTime = optionalInteger(query, 'endTime');
  if (startTime !== undefined && endTime !== undefined && endTime < startTime) throw bad(RestErrorCode.INVALID_PARAMETER, "Data sent for parameter 'endTime' is not valid.");
  return { fromId, startTime: fromId === undefined ? startTime : undefined, endTime, limit: limitParam(query) };
}

function route(context: BinanceRestContext, request: RestRequest, weightLimit: number): unknown {
  const { query } = request;
  switch (request.path) {
    case '/api/v3/ping':
      return {};
    case '/api/v3/time':
      return { serverTime: context.exchangeTime() };
    case '/api/v3/exchangeInfo':
      return exchangeInfo(context, query, weightLimit);
    case '/api/v3/klines': {
      const symbol = symbolParam(context, query);
      const interval = mandatory(query, 'interval');
      if (interval !== '1m') throw bad(RestErrorCode.BAD_INTERVAL, 'Invalid interval.');
      const startTime = optionalInteger(query, 'startTime');
      const endTime = optionalInteger(query, 'endTime');
      const limit = limitParam(query);
      return context.market.get(symbol)!.klines.query(context.exchangeTime(), limit, startTime, endTime);
    }
    case '/api/v3/aggTrades': {
      const symbol = symbolParam(context, query);
      return context.market.aggTrades(symbol, aggTradesQuery(query));
    }
    case '/api/v3/ticker/24hr': {
      const { states, single } = selectedStates(context, query);
      const now = context.exchangeTime();
      const rows = states.map((state) => ticker24h(state, now));
      return single ? rows[0] : rows;
    }
    case '/api/v3/ticker/price': {
      const { states, single } = selectedStates(context, query);
      const rows = states.map((state) => ({ symbol: state.spec.symbol, price: formatE8(state.klines.lastPrice()) }));
      return single ? rows[0] : rows;
    }
    default:
      return undefined;
  }
}

function signedE8(value: number): string {
  return value < 0 ? `-${formatE8(-value)}` : formatE8(value);
}

/**
 * `GET /api/v3/ticker/24hr` row: rolling 24 h statistics from the symbol's candles
 * and trade history. The simulator has no order book, so bid and ask sit one tick
 * either side of the last price.
 */
export function ticker24h(state: SymbolState, now: number): Record<string, string | number> {
  const from = now - DAY_MS;
  const bars = state.klines.barsBetween(from - (from % 60_000), now);
  const last = state.klines.lastPrice();
  const stats = tickerStats(bars, bars[0]?.o ?? last) ?? { openE8: last, highE8: last, lowE8: last, closeE8: last, volume: 0, quoteVolume: 0 };
  const ring = state.trades;
  const first = ring.lowerBoundTime(from);
  const firstId = first < ring.size ? ring.at(first).f : -1;
  const lastId = first < ring.size ? ring.at(ring.size - 1).l : -1;
  const tick = state.spec.tickE8;
  return {
    symbol: state.spec.symbol,
    priceChange: signedE8(stats.closeE8 - stats.openE8),
    priceChangePercent: (((stats.closeE8 - stats.openE8) / stats.openE8) * 100).toFixed(3),
    weightedAvgPrice: stats.volume > 0 ? (stats.quoteVolume / stats.volume).toFixed(8) : formatE8(stats.closeE8),
    prevClosePrice: formatE8(stats.openE8),
    lastPrice: formatE8(stats.closeE8),
    lastQty: formatE8(state.lastTrade?.qtyE8 ?? 0),
    bidPrice: formatE8(Math.max(tick, stats.closeE8 - tick)),
    bidQty: formatE8(state.spec.stepE8 * 10),
    askPrice: formatE8(stats.closeE8 + tick),
    askQty: formatE8(state.spec.stepE8 * 10),
    openPrice: formatE8(stats.openE8),
    highPrice: formatE8(stats.highE8),
    lowPrice: formatE8(stats.lowE8),
    volume: stats.volume.toFixed(8),
    quoteVolume: stats.quoteVolume.toFixed(8),
    openTime: from,
    closeTime: now,
    firstId,
    lastId,
    count: firstId < 0 ? 0 : lastId - firstId + 1,
  };
}

/**
 * Binance's request weights, including the two ticker endpoints whose weight depends
 * on how many symbols are asked for (undefined: not an endpoint served here).
 */
export function requestWeight(path: string, query: URLSearchParams): number | undefined {
  if (path === '/api/v3/ticker/24hr' || path === '/api/v3/ticker/price') {
    let selection: ReturnType<typeof symbolSelection>;
    try {
      selection = symbolSelection(query);
    } catch {
      // A malformed selection is answered with its error, at the single-symbol weight.
      return 2;
    }
    if (path === '/api/v3/ticker/price') return selection?.single === true ? 2 : 4;
    if (selection === undefined) return 80;
    if (selection.single) return 2;
    const n = selection.names.length;
    return n <= 20 ? 2 : n <= 100 ? 40 : 80;
  }
  return BINANCE_REST_WEIGHTS[path as keyof typeof BINANCE_REST_WEIGHTS];
}

const JSON_HEADERS = { 'content-type': 'application/json;charset=UTF-8' };

/**
 * Answers one REST request: weight accounting first (a rejected request still costs
 * its weight, so hammering past the limit keeps the client locked out), then an
 * injected failure, then the endpoint.
 */
export function handleRest(context: BinanceRestContext, request: RestRequest): RestResponse {
  if ((request.method ?? 'GET') !== 'GET') return { status: 405, headers: JSON_HEADERS, body: JSON.stringify({ code: -1000, msg: 'Method not allowed.' }) };
  const weight = requestWeight(request.path, request.query);
  if (weight === undefined) return { status: 404, headers: JSON_HEADERS, body: JSON.stringify({ code: RestErrorCode.UNKNOWN, msg: 'Not found.' }) };
  const now = context.wallTime();
  const decision = context.weights.consume(request.client, weight, now);
  const headers = { ...JSON_HEADERS, [USED_WEIGHT_HEADER]: String(decision.used) };
  const failure = context.failure();
  if (failure && failure.until > now) {
    const retryAfter = String(Math.max(1, Math.ceil((failure.until - now) / 1000)));
    const body = failure.status === 429 || failure.status === 418
      ? { code: RestErrorCode.TOO_MANY_REQUESTS, msg: 'Way too much request weight used; IP banned until later. Please use WebSocket Streams for live updates to avoid bans.' }
      : { code: RestErrorCode.UNKNOWN, msg: 'An unknown error occurred while processing the request.' };
    return { status: failure.status, headers: { ...headers, 'retry-after': retryAfter }, body: JSON.stringify(body) };
  }
  if (!decision.allowed) {
    const body = { code: RestErrorCode.TOO_MANY_REQUESTS, msg: `Too much request weight used; current limit is ${context.weights.limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.` };
    return { status: 429, headers: { ...headers, 'retry-after': String(decision.retryAfterSeconds) }, body: JSON.stringify(body) };
  }
  try {
    return { status: 200, headers, body: JSON.stringify(route(context, request, context.weights.limit)) };
  } catch (error) {
    if (error instanceof RestError) return { status: error.status, headers, body: JSON.stringify(error.body) };
    throw error;
  }
}
