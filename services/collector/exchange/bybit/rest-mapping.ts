import type { Kline, SymbolInfo, Trade } from '../../domain';
import { isDecimalString } from '../decimal';
import type { EnvelopeVerdict } from '../rest-call';
import { BYBIT_RATE_LIMIT_CODE } from './limits';

/**
 * Conversions of Bybit v5 market REST bodies into domain objects. Each returns
 * undefined for a row that is not what the endpoint documents.
 */

type Row = Record<string, unknown>;

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value);
const MS_TEXT = /^\d{1,15}$/;
const MINUTE_MS = 60_000;
/** Server error / timeout codes: worth a retry. */
const TRANSIENT_CODES = new Set([10000, 10016]);

/** Bybit's envelope `{retCode, retMsg, result, time}`, retCode 0 on success (HTTP 200 either way). */
export function readBybitEnvelope(body: unknown, status: number, headers: Headers, now: number): EnvelopeVerdict {
  if (!isRow(body) || typeof body.retCode !== 'number') {
    if (status >= 500) return { kind: 'transient', code: 0, msg: `HTTP ${status}` };
    return status >= 200 && status < 300 ? { kind: 'malformed', what: 'no retCode' } : { kind: 'rejected', code: 0, msg: `HTTP ${status}` };
  }
  const code = body.retCode;
  const msg = typeof body.retMsg === 'string' ? body.retMsg : '';
  if (code === 0 && status >= 200 && status < 300) return isRow(body.result) ? { kind: 'ok', data: body.result } : { kind: 'malformed', what: 'no result object' };
  if (code === BYBIT_RATE_LIMIT_CODE || status === 429) {
    const reset = Number(headers.get('x-bapi-limit-reset-timestamp'));
    return Number.isFinite(reset) && reset > now ? { kind: 'rate_limited', code, msg, pauseMs: reset - now } : { kind: 'rate_limited', code, msg };
  }
  if (TRANSIENT_CODES.has(code) || status >= 500) return { kind: 'transient', code, msg };
  return { kind: 'rejected', code, msg };
}

/** A row of `instruments-info?category=spot`; only `Trading` trades. */
export function toBybitSymbolInfo(row: unknown): SymbolInfo | undefined {
  if (!isRow(row)) return undefined;
  const { symbol, baseCoin, quoteCoin, status } = row;
  if (typeof symbol !== 'string' || typeof baseCoin !== 'string' || typeof quoteCoin !== 'string' || typeof status !== 'string') return undefined;
  if (symbol === '' || baseCoin === '' || quoteCoin === '') return undefined;
  return { symbol: `${baseCoin}${quoteCoin}`.toUpperCase(), nativeSymbol: symbol, baseAsset: baseCoin, quoteAsset: quoteCoin, status, tradable: status === 'Trading' };
}

/** A row of `recent-trade?category=spot`: `{execId, symbol, price, size, side, time, isBlockTrade}`. */
export function toBybitRecentTrade(symbol: string, nativeSymbol: string, row: unknown, receivedAt: number, receivedAtMono: number): Trade | undefined {
  if (!isRow(row)) return undefined;
  const { execId, price, size, time } = row;
  if (row.symbol !== nativeSymbol || typeof execId !== 'string' || execId === '' || typeof time !== 'string' || !MS_TEXT.test(time)) return undefined;
  if (typeof price !== 'string' || typeof size !== 'string' || !isDecimalString(price, true) || !isDecimalString(size, true)) return undefined;
  const tradeTime = Number(time);
  return { exchange: 'bybit', symbol, priceText: price, price: Number(price), quantityText: size, tradeId: 0, tradeIdText: execId, tradeTime, eventTime: tradeTime, receivedAt, receivedAtMono, source: 'backfill' };
}

/** `[startTime, open, high, low, close, volume, turnover]`, all strings; Bybit reports no trade count. */
export function toBybitKline(row: unknown): Kline | undefined {
  if (!Array.isArray(row) || row.length < 5) return undefined;
  const [start, openText, , , closeText] = row as unknown[];
  if (typeof start !== 'string' || !MS_TEXT.test(start)) return undefined;
  if (typeof openText !== 'string' || typeof closeText !== 'string' || !isDecimalString(openText, false) || !isDecimalString(closeText, false)) return undefined;
  const openTime = Number(start);
  return { openTime, closeTime: openTime + MINUTE_MS - 1, openText, closeText, close: Number(closeText) };
}
