import { minuteOf } from '../../history';
import { SlidingWindowCounter } from '../../limits';
import type { SymbolState } from '../../market';
import type { RestContext, RestRequest, RestResponse } from '../../rest';
import { JSON_HEADERS, trimDecimalText } from '../common';
import { type OkxFillRow, okxFillsNewestFirst } from './encode';
import type { OkxInstrumentRow } from './instruments';

/**
 * Requests per 2 s per IP of each public endpoint ("Rate Limit: N requests per 2
 * seconds", rule IP); copied from services/collector/exchange/okx/limits.ts
 * (OKX_REST_LIMITS), plus `/market/trades`. OKX counts each endpoint on its own.
 */
export const OKX_REST_LIMITS: Record<string, number> = {
  '/api/v5/public/instruments': 20,
  '/api/v5/market/history-trades': 20,
  '/api/v5/market/candles': 40,
  '/api/v5/market/trades': 100,
  '/api/v5/public/time': 10,
};
const WINDOW_MS = 2000;
const MAX_CANDLES = 300;
const DEFAULT_CANDLES = 100;
const MAX_HISTORY_TRADES = 100;
const MAX_RECENT_TRADES = 500;

export const OkxRestCode = {
  OK: '0',
  SERVICE_UNAVAILABLE: '50001',
  RATE_LIMIT: '50011',
  PARAM_EMPTY: '50014',
  PARAM_ERROR: '51000',
  INSTRUMENT_NOT_FOUND: '51001',
} as const;

class OkxRestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const paramError = (name: string): OkxRestError => new OkxRestError(400, OkxRestCode.PARAM_ERROR, `Parameter ${name} error`);

function envelope(status: number, code: string, msg: string, data: unknown[]): RestResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify({ code, msg, data }) };
}

export interface OkxRestUniverse {
  /** Instrument rows in listing order. */
  rows(): OkxInstrumentRow[];
  stateOf(instId: string): SymbolState | undefined;
}

function optionalInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d{1,16}$/.test(value)) throw paramError(name);
  return Number(value);
}

function limitOf(query: URLSearchParams, fallback: number, max: number): number {
  const limit = optionalInt(query, 'limit') ?? fallback;
  if (limit < 1) throw paramError('limit');
  return Math.min(limit, max);
}

function instrument(universe: OkxRestUniverse, query: URLSearchParams): { instId: string; state: SymbolState } {
  const instId = query.get('instId');
  if (instId === null || instId === '') throw new OkxRestError(400, OkxRestCode.PARAM_EMPTY, 'Parameter instId can not be empty.');
  const state = universe.stateOf(instId);
  if (!state) throw new OkxRestError(400, OkxRestCode.INSTRUMENT_NOT_FOUND, "Instrument ID doesn't exist.");
  return { instId, state };
}

/**
 * `/market/candles` (bar 1m): newest first, `[ts, o, h, l, c, vol, volCcy,
 * volCcyQuote, confirm]` as strings. `after` returns candles older than it, `before`
 * newer; `before` alone returns the latest ones.
 */
function candles(context: RestContext, universe: OkxRestUniverse, query: URLSearchParams): string[][] {
  const { state } = instrument(universe, query);
  const bar = query.get('bar') ?? '1m';
  if (bar !== '1m') throw paramError('bar');
  const after = optionalInt(query, 'after');
  const before = optionalInt(query, 'before');
  const limit = limitOf(query, DEFAULT_CANDLES, MAX_CANDLES);
  const now = context.exchangeTime();
  const current = minuteOf(now);
  const rows = state.klines.query(now, limit, undefined, after === undefined ? undefined : after - 1);
  return rows
    .filter((row) => before === undefined || row[0] > before)
    .reverse()
    .map((row) => [String(row[0]), trimDecimalText(row[1]), trimDecimalText(row[2]), trimDecimalText(row[3]), trimDecimalText(row[4]), trimDecimalText(row[5]), trimDecimalText(row[7]), trimDecimalText(row[7]), row[0] === current ? '0' : '1']);
}

/**
 * Fills newest first: `upperExclusive` bounds the fill id (type 1) or the time
 * (type 2) from above, `lowerExclusive` the fill id from below. Stops at `limit`.
 */
function fillsNewestFirst(state: SymbolState, instId: string, limit: number, bound: { kind: 'id' | 'time'; upperExclusive?: number; lowerExclusive?: number }): OkxFillRow[] {
  const ring = state.trades;
  let index: number;
  if (bound.upperExclusive === undefined) index = ring.size - 1;
  else index = (bound.kind === 'id' ? ring.lowerBoundFirstId(bound.upperExclusive) : ring.lowerBoundTime(bound.upperExclusive)) - 1;
  const rows: OkxFillRow[] = [];
  for (; index >= 0 && rows.length < limit; index--) {
    const trade = ring.at(index);
    if (bound.lowerExclusive !== undefined && trade.l <= bound.lowerExclusive) break;
    for (const row of okxFillsNewestFirst(instId, trade, state.spec.stepE8)) {
      const id = Number(row.tradeId);
      if (bound.kind === 'id' && bound.upperExclusive !== undefined && id >= bound.upperExclusive) continue;
      if (bound.lowerExclusive !== undefined && id <= bound.lowerExclusive) break;
      rows.push(row);
      if (rows.length === limit) break;
    }
  }
  return rows;
}

/**
 * `/market/history-trades`: `type=1` (default) pages by tradeId, `after` returning
 * older ids, `before` newer ones (both exclusive; `before` alone returns the
 * latest); `type=2` pages by time with `after` only. Newest first, at most 100.
 */
function historyTrades(universe: OkxRestUniverse, query: URLSearchParams): OkxFillRow[] {
  const { instId, state } = instrument(universe, query);
  const type = query.get('type') ?? '1';
  if (type !== '1' && type !== '2') throw paramError('type');
  const after = optionalInt(query, 'after');
  const before = optionalInt(query, 'before');
  if (type === '2' && before !== undefined) throw paramError('before');
  const limit = limitOf(query, MAX_HISTORY_TRADES, MAX_HISTORY_TRADES);
  return fillsNewestFirst(state, instId, limit, { kind: type === '1' ? 'id' : 'time', upperExclusive: after, lowerExclusive: before });
}

function instruments(universe: OkxRestUniverse, query: URLSearchParams): OkxInstrumentRow[] {
  const instType = query.get('instType');
  if (instType === null || instType === '') throw new OkxRestError(400, OkxRestCode.PARAM_EMPTY, 'Parameter instType can not be empty.');
  if (!['SPOT', 'MARGIN', 'SWAP', 'FUTURES', 'OPTION'].includes(instType)) throw paramError('instType');
  // The simulator lists spot pairs only; OKX would list derivatives under the other types.
  if (instType !== 'SPOT') return [];
  const instId = query.get('instId');
  const rows = universe.rows();
  return instId === null || instId === '' ? rows : rows.filter((row) => row.instId === instId);
}

/** Answers one OKX v5 REST request: per-endpoint limit, then an injected failure, then the endpoint. */
export class OkxRest {
  private readonly limiters = new Map<string, SlidingWindowCounter>(Object.entries(OKX_REST_LIMITS).map(([path, limit]) => [path, new SlidingWindowCounter(limit, WINDOW_MS)]));

  constructor(private readonly universe: OkxRestUniverse) {}

  handle(context: RestContext, request: RestRequest): RestResponse {
    if ((request.method ?? 'GET') !== 'GET') return envelope(405, '50000', 'Method Not Allowed', []);
    const limiter = this.limiters.get(request.path);
    if (!limiter) return envelope(404, '404', 'Not Found', []);
    const now = context.wallTime();
    // OKX answers a rate-limited request with HTTP 429 and code 50011, and sends no Retry-After.
    if (!limiter.hit(request.client, now)) return { status: 429, headers: JSON_HEADERS, body: JSON.stringify({ msg: 'Too Many Requests', code: OkxRestCode.RATE_LIMIT }) };
    const failure = context.failure();
    if (failure && failure.until > now) {
      if (failure.status === 429) return { status: 429, headers: JSON_HEADERS, body: JSON.stringify({ msg: 'Too Many Requests', code: OkxRestCode.RATE_LIMIT }) };
      return envelope(failure.status, OkxRestCode.SERVICE_UNAVAILABLE, 'Service temporarily unavailable. Please try again later.', []);
    }
    try {
      return envelope(200, OkxRestCode.OK, '', this.route(context, request));
    } catch (error) {
      if (error instanceof OkxRestError) return envelope(error.status, error.code, error.message, []);
      throw error;
    }
  }

  private route(context: RestContext, request: RestRequest): unknown[] {
    const { query } = request;
    switch (request.path) {
      case '/api/v5/public/time':
        return [{ ts: String(context.exchangeTime()) }];
      case '/api/v5/public/instruments':
        return instruments(this.universe, query);
      case '/api/v5/market/candles':
        return candles(context, this.universe, query);
      case '/api/v5/market/history-trades':
        return historyTrades(this.universe, query);
      case '/api/v5/market/trades': {
        const { instId, state } = instrument(this.universe, query);
        return fillsNewestFirst(state, instId, limitOf(query, 100, MAX_RECENT_TRADES), { kind: 'id' });
      }
      default:
        return [];
    }
  }
}
