import type { Kline, SymbolInfo, Trade } from '../../domain';
import { isDecimalString } from '../decimal';
import type { EnvelopeVerdict } from '../rest-call';
import { OKX_RATE_LIMIT_CODE } from './limits';
import { symbolOfSpotInstId } from './streams';

/**
 * Conversions of OKX v5 REST bodies into domain objects. Each returns undefined for
 * a row that is not what the endpoint documents, so the client reports the whole
 * response as malformed instead of storing half of it.
 */

type Row = Record<string, unknown>;

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value);
const MS_TEXT = /^\d{1,15}$/;
const ID_TEXT = /^\d{1,15}$/;
const MINUTE_MS = 60_000;

/** Busy / unavailable / timeout codes of OKX's REST: worth a retry. */
const TRANSIENT_CODES = new Set([50001, 50004, 50013, 50026]);

/** OKX's envelope: `{"code":"0","msg":"","data":[...]}`; any other code is an error, whatever the HTTP status. */
export function readOkxEnvelope(body: unknown, status: number): EnvelopeVerdict {
  if (!isRow(body)) return { kind: 'malformed', what: 'body is not an object' };
  const code = Number(body.code);
  const msg = typeof body.msg === 'string' ? body.msg : '';
  if (body.code === undefined || !Number.isInteger(code)) {
    if (status >= 500) return { kind: 'transient', code: 0, msg: `HTTP ${status}` };
    if (status === 429) return { kind: 'rate_limited', code: 0, msg: 'HTTP 429' };
    return status >= 200 && status < 300 ? { kind: 'malformed', what: 'no code' } : { kind: 'rejected', code: 0, msg: `HTTP ${status}` };
  }
  if (code === 0 && status >= 200 && status < 300) return Array.isArray(body.data) ? { kind: 'ok', data: body.data } : { kind: 'malformed', what: 'no data array' };
  if (code === OKX_RATE_LIMIT_CODE || status === 429) return { kind: 'rate_limited', code, msg };
  if (TRANSIENT_CODES.has(code) || status >= 500) return { kind: 'transient', code, msg };
  return { kind: 'rejected', code, msg };
}

/** A row of `/api/v5/public/instruments?instType=SPOT`. Only `live` trades; `suspend`, `preopen` and `test` do not. */
export function toOkxSymbolInfo(row: unknown): SymbolInfo | undefined {
  if (!isRow(row)) return undefined;
  const { instId, baseCcy, quoteCcy, state } = row;
  if (typeof instId !== 'string' || typeof baseCcy !== 'string' || typeof quoteCcy !== 'string' || typeof state !== 'string') return undefined;
  if (baseCcy === '' || quoteCcy === '' || instId !== `${baseCcy}-${quoteCcy}`) return undefined;
  return { symbol: symbolOfSpotInstId(instId), nativeSymbol: instId, baseAsset: baseCcy, quoteAsset: quoteCcy, status: state, tradable: state === 'live' };
}

export function toOkxBackfillTrade(symbol: string, instId: string, row: unknown, receivedAt: number, receivedAtMono: number): Trade | undefined {
  if (!isRow(row)) return undefined;
  const { tradeId, px, sz, ts } = row;
  if (row.instId !== instId || typeof tradeId !== 'string' || !ID_TEXT.test(tradeId) || typeof ts !== 'string' || !MS_TEXT.test(ts)) return undefined;
  if (typeof px !== 'string' || typeof sz !== 'string' || !isDecimalString(px, true) || !isDecimalString(sz, true)) return undefined;
  const tradeTime = Number(ts);
  return {
    exchange: 'okx',
    symbol,
    priceText: px,
    price: Number(px),
    quantityText: sz,
    tradeId: Number(tradeId),
    tradeIdText: tradeId,
    tradeTime,
    eventTime: tradeTime,
    receivedAt,
    receivedAtMono,
    source: 'backfill',
  };
}

/** `[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]`; OKX reports no trade count. */
export function toOkxKline(row: unknown): Kline | undefined {
  if (!Array.isArray(row) || row.length < 5) return undefined;
  const [ts, openText, , , closeText] = row as unknown[];
  if (typeof ts !== 'string' || !MS_TEXT.test(ts)) return undefined;
  if (typeof openText !== 'string' || typeof closeText !== 'string' || !isDecimalString(openText, false) || !isDecimalString(closeText, false)) return undefined;
  const openTime = Number(ts);
  return { openTime, closeTime: openTime + MINUTE_MS - 1, openText, closeText, close: Number(closeText) };
}
