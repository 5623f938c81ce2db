import type { Kline, SymbolInfo, Trade } from '../../domain';
import { isDecimalString } from '../decimal';

/**
 * Conversions of Binance REST bodies into domain objects. Each returns undefined
 * for a row that is not what the endpoint documents, so the client can report the
 * whole response as malformed instead of storing half of it.
 */

type Row = Record<string, unknown>;

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

export function toBackfillTrade(exchange: string, symbol: string, row: unknown, receivedAt: number, receivedAtMono: number): Trade | undefined {
  if (!isRow(row)) return undefined;
  const { a, p, q, T } = row;
  if (!isTime(a) || !isTime(T) || typeof p !== 'string' || typeof q !== 'string') return undefined;
  if (!isDecimalString(p, true) || !isDecimalString(q, true)) return undefined;
  return {
    exchange,
    symbol,
    priceText: p,
    price: Number(p),
    quantityText: q,
    tradeId: a,
    tradeTime: T,
    // REST rows carry no event time; the design defines it as the trade time for backfill.
    eventTime: T,
    receivedAt,
    receivedAtMono,
    source: 'backfill',
  };
}

export function toKline(row: unknown): Kline | undefined {
  if (!Array.isArray(row) || row.length < 9) return undefined;
  const [openTime, openText, , , closeText, , closeTime, , tradeCount] = row as unknown[];
  if (!isTime(openTime) || !isTime(closeTime) || !isTime(tradeCount)) return undefined;
  if (typeof openText !== 'string' || typeof closeText !== 'string' || !isDecimalString(openText, false) || !isDecimalString(closeText, false)) return undefined;
  return { openTime, closeTime, openText, closeText, close: Number(closeText), tradeCount };
}

export function toSymbolInfo(row: unknown): SymbolInfo | undefined {
  if (!isRow(row)) return undefined;
  const { symbol, baseAsset, quoteAsset, status } = row;
  if (typeof symbol !== 'string' || typeof baseAsset !== 'string' || typeof quoteAsset !== 'string' || typeof status !== 'string') return undefined;
  return { symbol, nativeSymbol: symbol, baseAsset, quoteAsset, status, tradable: status === 'TRADING' };
}
