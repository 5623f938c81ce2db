import { SlidingWindowCounter } from '../../limits';
import type { SymbolState } from '../../market';
import type { RestContext, RestRequest, RestResponse } from '../../rest';
import type { SymbolSpec } from '../../universe';
import { JSON_HEADERS, trimDecimalText, trimmedE8 } from '../common';
import { type BybitFill, bybitRecentTradeRow, fillsOf } from './encode';

/**
 * "You are allowed to send 600 requests within a 5-second window per IP", shared by
 * every endpoint; past it Bybit answers HTTP 403 "access too frequent" and the IP
 * must "wait for at least 10 minutes". Copied from services/collector/exchange/bybit/limits.ts.
 */
export const BYBIT_REST_LIMIT = { limit: 600, windowMs: 5000 } as const;
export const BYBIT_IP_BAN_MS = 10 * 60_000;
const MAX_KLINES = 1000;
const DEFAULT_KLINES = 200;
/** recent-trade: "spot: [1,60], default: 60". */
const MAX_RECENT_TRADES = 60;
const MAX_INSTRUMENTS = 1000;
const DEFAULT_INSTRUMENTS = 500;

export const BybitRetCode = {
  OK: 0,
  PARAMS_ERROR: 10001,
  TOO_MANY_VISITS: 10006,
  SERVER_ERROR: 10016,
} as const;

class BybitRestError extends Error {
  constructor(
    readonly retCode: number,
    message: string,
  ) {
    super(message);
  }
}

const paramsError = (what: string): BybitRestError => new BybitRestError(BybitRetCode.PARAMS_ERROR, `params error: ${what}`);

export interface BybitRestUniverse {
  states(): readonly SymbolState[];
  stateOf(symbol: string): SymbolState | undefined;
}

function optionalInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d{1,16}$/.test(value)) throw paramsError(`${name} invalid`);
  return Number(value);
}

function limitOf(query: URLSearchParams, fallback: number, max: number): number {
  const limit = optionalInt(query, 'limit') ?? fallback;
  if (limit < 1 || limit > max) throw paramsError(`limit must be in [1, ${max}]`);
  return limit;
}

function spotCategory(query: URLSearchParams): void {
  const category = query.get('category');
  if (category === null || category === '') throw paramsError('category is required');
  if (category !== 'spot') throw new BybitRestError(BybitRetCode.PARAMS_ERROR, `params error: this simulator serves category spot only, got ${category}`);
}

function symbolOf(universe: BybitRestUniverse, query: URLSearchParams): SymbolState {
  const symbol = query.get('symbol');
  if (symbol === null || symbol === '') throw paramsError('symbol is required');
  const state = universe.stateOf(symbol);
  if (!state) throw new BybitRestError(BybitRetCode.PARAMS_ERROR, 'Not supported symbols');
  return state;
}

export function bybitInstrumentRow(spec: SymbolSpec): Record<string, unknown> {
  const step = trimmedE8(spec.stepE8);
  return {
    symbol: spec.symbol,
    baseCoin: spec.baseAsset,
    quoteCoin: spec.quoteAsset,
    innovation: '0',
    status: spec.status === 'TRADING' ? 'Trading' : 'Closed',
    marginTrading: 'none',
    stTag: '0',
    lotSizeFilter: { basePrecision: step, quotePrecision: '0.00000001', minOrderQty: step, maxOrderQty: '9000000', minOrderAmt: '1', maxOrderAmt: '2000000' },
    priceFilter: { tickSize: trimmedE8(spec.tickE8) },
    riskParameters: { priceLimitRatioX: '0.05', priceLimitRatioY: '0.05' },
  };
}

/** Opaque page cursors: the offset, base64url-encoded. */
function encodeCursor(offset: number): string {
  return Buffer.from(`offset=${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^offset=(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw paramsError('cursor invalid');
  return Number(match[1]);
}

/**
 * `instruments-info?category=spot`, paged by `cursor` with `limit` (default 500).
 * Bybit documents spot as unpaged; the simulator pages anyway so a client's
 * `nextPageCursor` loop is exercised, and a universe under the limit is one page.
 */
function instruments(universe: BybitRestUniverse, query: URLSearchParams): unknown {
  spotCategory(query);
  const symbol = query.get('symbol');
  const status = query.get('status');
  const limit = limitOf(query, DEFAULT_INSTRUMENTS, MAX_INSTRUMENTS);
  const cursor = query.get('cursor');
  const offset = cursor === null || cursor === '' ? 0 : decodeCursor(cursor);
  let rows = universe.states().map((state) => bybitInstrumentRow(state.spec));
  if (symbol !== null && symbol !== '') rows = rows.filter((row) => row.symbol === symbol);
  if (status !== null && status !== '') rows = rows.filter((row) => row.status === status);
  const page = rows.slice(offset, offset + limit);
  const next = offset + limit < rows.length ? encodeCursor(offset + limit) : '';
  return { category: 'spot', list: page, nextPageCursor: next };
}

/** `kline` (interval 1): `[startTime, open, high, low, close, volume, turnover]` strings, newest first, start/end inclusive. */
function kline(context: RestContext, universe: BybitRestUniverse, query: URLSearchParams): unknown {
  spotCategory(query);
  const state = symbolOf(universe, query);
  const interval = query.get('interval');
  if (interval === null || interval === '') throw paramsError('interval is required');
  if (interval !== '1') throw paramsError(`interval ${interval} is not served (1 only)`);
  const start = optionalInt(query, 'start');
  const end = optionalInt(query, 'end');
  const limit = limitOf(query, DEFAULT_KLINES, MAX_KLINES);
  const rows = state.klines.query(context.exchangeTime(), limit, undefined, end);
  const list = rows
    .filter((row) => start === undefined || row[0] >= start)
    .reverse()
    .map((row) => [String(row[0]), trimDecimalText(row[1]), trimDecimalText(row[2]), trimDecimalText(row[3]), trimDecimalText(row[4]), trimDecimalText(row[5]), trimDecimalText(row[7])]);
  return { category: 'spot', symbol: state.spec.symbol, list };
}

/** `recent-trade`: the latest executions, newest first. */
function recentTrades(universe: BybitRestUniverse, query: URLSearchParams): unknown {
  spotCategory(query);
  const state = symbolOf(universe, query);
  const limit = limitOf(query, MAX_RECENT_TRADES, MAX_RECENT_TRADES);
  const ring = state.trades;
  const fills: BybitFill[] = [];
  for (let i = ring.size - 1; i >= 0 && fills.length < limit; i--) {
    const aggregate = fillsOf(ring.at(i), state.spec.stepE8);
    for (let j = aggregate.length - 1; j >= 0 && fills.length < limit; j--) fills.push(aggregate[j] as BybitFill);
  }
  return { category: 'spot', list: fills.map((fill) => bybitRecentTradeRow(state.spec.symbol, fill)) };
}

/** Answers one Bybit v5 market REST request: the IP ban and limit first, then an injected failure, then the endpoint. */
export class BybitRest {
  private readonly counter = new SlidingWindowCounter(BYBIT_REST_LIMIT.limit, BYBIT_REST_LIMIT.windowMs);
  /** Banned IPs and when their ban ends; bounded by the counter's own client cap. */
  private readonly bans = new Map<string, number>();

  constructor(
    private readonly universe: BybitRestUniverse,
    private readonly banMs: number,
  ) {}

  handle(context: RestContext, request: RestRequest): RestResponse {
    const now = context.wallTime();
    const envelope = (retCode: number, retMsg: string, result: unknown, status = 200, headers: Record<string, string> = {}): RestResponse => ({
      status,
      headers: { ...JSON_HEADERS, ...headers },
      body: JSON.stringify({ retCode, retMsg, result, retExtInfo: {}, time: context.exchangeTime() }),
    });
    if (!request.path.startsWith('/v5/market/')) return { status: 404, headers: { 'content-type': 'text/plain' }, body: '404 page not found' };
    if ((request.method ?? 'GET') !== 'GET') return { status: 405, headers: { 'content-type': 'text/plain' }, body: '405 method not allowed' };
    const bannedUntil = this.bans.get(request.client);
    if (bannedUntil !== undefined && bannedUntil <= now) this.bans.delete(request.client);
    if ((bannedUntil !== undefined && bannedUntil > now) || !this.counter.hit(request.client, now)) {
      if (bannedUntil === undefined || bannedUntil <= now) {
        if (this.bans.size >= 10_000) this.bans.clear();
        this.bans.set(request.client, now + this.banMs);
      }
      return { status: 403, headers: { 'content-type': 'text/plain' }, body: 'access too frequent' };
    }
    const failure = context.failure();
    if (failure && failure.until > now) {
      if (failure.status === 429) return envelope(BybitRetCode.TOO_MANY_VISITS, 'Too many visits!', {}, 429, { 'x-bapi-limit-reset-timestamp': String(failure.until) });
      return envelope(BybitRetCode.SERVER_ERROR, 'Server error.', {}, failure.status);
    }
    try {
      const result = this.route(context, request);
      if (result === undefined) return { status: 404, headers: { 'content-type': 'text/plain' }, body: '404 page not found' };
      return envelope(BybitRetCode.OK, 'OK', result);
    } catch (error) {
      if (error instanceof BybitRestError) return envelope(error.retCode, error.message, {});
      throw error;
    }
  }

  private route(context: RestContext, request: RestRequest): unknown {
    const { query } = request;
    switch (request.path) {
      case '/v5/market/time': {
        const ms = context.exchangeTime();
        return { timeSecond: String(Math.floor(ms / 1000)), timeNano: `${ms}000000` };
      }
      case '/v5/market/instruments-info':
        return instruments(this.universe, query);
      case '/v5/market/kline':
        return kline(context, this.universe, query);
      case '/v5/market/recent-trade':
        return recentTrades(this.universe, query);
      default:
        return undefined;
    }
  }
}
