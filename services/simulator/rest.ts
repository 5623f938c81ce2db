import { BINANCE_REST_WEIGHTS, RestErrorCode, type ExchangeInfo, type RestErrorBody, USED_WEIGHT_HEADER } from '../shared/binance';
import type { AggTradesQuery } from './history';
import type { RequestWeightLimiter } from './limits';
import type { Market } from './market';
import { exchangeInfoEntry } from './universe';

export interface RestRequest {
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

export interface RestContext {
  market: Market;
  weights: RequestWeightLimiter;
  /** Exchange clock: wall time live, the replay clock in replay mode. */
  exchangeTime(): number;
  /** Wall clock, for weight windows and injected failures. */
  wallTime(): number;
  failure(): RestFailure | undefined;
}

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

function exchangeInfo(context: RestContext, query: URLSearchParams, weightLimit: number): ExchangeInfo {
  const single = query.get('symbol');
  const list = query.get('symbols');
  if (single !== null && list !== null) throw bad(RestErrorCode.OPTIONAL_PARAMS_BAD_COMBO, 'Combination of optional parameters invalid.');
  let names: string[] | undefined;
  if (single !== null) names = [single];
  if (list !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(list);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((n) => typeof n === 'string')) throw bad(RestErrorCode.ILLEGAL_CHARS, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
    names = parsed as string[];
  }
  const states = names === undefined ? context.market.states : names.map((name) => {
    const state = context.market.get(name);
    if (!state) throw bad(RestErrorCode.BAD_SYMBOL, 'Invalid symbol.');
    return state;
  });
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

function route(context: RestContext, request: RestRequest, weightLimit: number): unknown {
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
    default:
      return undefined;
  }
}

const JSON_HEADERS = { 'content-type': 'application/json;charset=UTF-8' };

/**
 * Answers one REST request: weight accounting first (a rejected request still costs
 * its weight, so hammering past the limit keeps the client locked out), then an
 * injected failure, then the endpoint.
 */
export function handleRest(context: RestContext, request: RestRequest): RestResponse {
  const weight = BINANCE_REST_WEIGHTS[request.path as keyof typeof BINANCE_REST_WEIGHTS];
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
