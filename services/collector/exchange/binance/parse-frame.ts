import type { Trade } from '../../domain';
import type { FrameResult, ParseContext, RejectReason } from '../types';
import { isDecimalString } from '../decimal';
import { toMilliseconds } from './time';

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
const AGG_TRADE_SUFFIX = '@aggTrade';
const UPPER_OFFSET = 32;

type Json = Record<string, unknown>;

function rejected(reason: RejectReason, detail: string): FrameResult {
  return { kind: 'rejected', reason, detail };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `btcusdt@depth@100ms` -> `depth`, `btcusdt@kline_1m` -> `kline_1m`: a bounded metric label. */
export function streamTypeOf(stream: string): string {
  const at = stream.indexOf('@');
  if (at < 0) return stream;
  const next = stream.indexOf('@', at + 1);
  return next < 0 ? stream.slice(at + 1) : stream.slice(at + 1, next);
}

function isUtf8Oversized(text: string, maxBytes: number): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so only long frames need the exact count.
  if (text.length > maxBytes) return true;
  return text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes;
}

function shutdown(event: Json, context: ParseContext): FrameResult {
  // A shutdown notice without a usable time is still a shutdown notice: losing it would cost the make-before-break rotation.
  const time = event.E;
  return { kind: 'shutdown', eventTime: typeof time === 'number' && Number.isFinite(time) ? toMilliseconds(time) : context.exchangeNow };
}

function reply(message: Json): FrameResult {
  const id = message.id;
  if (id !== undefined && id !== null && typeof id !== 'number' && typeof id !== 'string') return rejected('invalid_type', 'reply id is neither a number, a string nor null');
  const error = message.error;
  if (error !== undefined) {
    if (!isObject(error) || typeof error.code !== 'number' || typeof error.msg !== 'string') return rejected('invalid_type', 'reply error is not {code: number, msg: string}');
    return { kind: 'reply', id: id ?? null, error: { code: error.code, msg: error.msg } };
  }
  return { kind: 'reply', id: id ?? null, result: message.result };
}

/**
 * Compares the event's symbol with the stream's (`BTCUSDT` vs `btcusdt@aggTrade`)
 * without allocating. Returns 0 when they differ, 1 when equal and upper-case,
 * 2 when equal but `s` has lower-case letters (normalized by the caller).
 */
function symbolMatch(symbol: string, stream: string): 0 | 1 | 2 {
  const length = stream.length - AGG_TRADE_SUFFIX.length;
  if (symbol.length !== length || length === 0) return 0;
  let lower = false;
  for (let i = 0; i < length; i++) {
    const a = symbol.charCodeAt(i);
    const b = stream.charCodeAt(i);
    if (a === b) {
      if (a >= 97 && a <= 122) lower = true;
      continue;
    }
    // Stream names are lower-case; the event's symbol is upper-case.
    if (!(b >= 97 && b <= 122 && a === b - UPPER_OFFSET)) return 0;
  }
  return lower ? 2 : 1;
}

function aggTrade(exchange: string, stream: string, event: Json, context: ParseContext): FrameResult {
  const { e, s, a, p, q } = event;
  let { T, E } = event;
  if (e === undefined) return rejected('missing_field', `${stream}: e`);
  if (s === undefined) return rejected('missing_field', `${stream}: s`);
  if (a === undefined) return rejected('missing_field', `${stream}: a`);
  if (p === undefined) return rejected('missing_field', `${stream}: p`);
  if (q === undefined) return rejected('missing_field', `${stream}: q`);
  if (T === undefined) return rejected('missing_field', `${stream}: T`);
  if (E === undefined) return rejected('missing_field', `${stream}: E`);
  if (e !== 'aggTrade') return rejected('invalid_type', `${stream}: event type ${String(e)} on an aggTrade stream`);
  if (typeof s !== 'string') return rejected('invalid_type', `${stream}: s is not a string`);
  if (typeof a !== 'number' || !Number.isSafeInteger(a) || a < 0) return rejected('invalid_type', `${stream}: a is not a non-negative integer`);
  if (typeof T !== 'number' || !Number.isFinite(T) || T < 0) return rejected('invalid_type', `${stream}: T is not a timestamp`);
  if (typeof E !== 'number' || !Number.isFinite(E) || E < 0) return rejected('invalid_type', `${stream}: E is not a timestamp`);
  if (typeof p !== 'string') return rejected('invalid_type', `${stream}: p is not a string`);
  if (typeof q !== 'string') return rejected('invalid_type', `${stream}: q is not a string`);
  const match = symbolMatch(s, stream);
  if (match === 0) return rejected('unknown_stream', `${stream}: event for symbol ${s} does not belong to this stream`);
  if (!isDecimalString(p, true)) return rejected('invalid_price', `${stream}: price ${p.slice(0, 40)} is not a positive decimal`);
  const price = +p;
  if (!(price > 0) || price === Infinity) return rejected('invalid_price', `${stream}: price ${p} is not a positive finite number`);
  if (!isDecimalString(q, true)) return rejected('invalid_quantity', `${stream}: quantity ${q.slice(0, 40)} is not a positive decimal`);
  T = toMilliseconds(T);
  E = toMilliseconds(E);
  // A trade is never stamped after its event; a second of slack absorbs unit rounding.
  if ((T as number) > (E as number) + 1000) return rejected('time_out_of_range', `${stream}: trade time ${T} is after event time ${E}`);
  if (context.clockSynchronized) {
    // Checking E too keeps a wild event time far from the clock out of the trade
    // stream; wilder times within range are held off by the clock itself, which
    // follows a jump only once most recent events agree (services/collector/clock).
    const eventDistance = (E as number) - context.exchangeNow;
    if (eventDistance > context.maxClockDistanceMs || -eventDistance > context.maxClockDistanceMs) {
      return rejected('time_out_of_range', `${stream}: event time ${E} is ${eventDistance} ms from the exchange clock ${context.exchangeNow}`);
    }
    const distance = (T as number) - context.exchangeNow;
    if (-distance > context.maxClockDistanceMs) {
      return rejected('time_out_of_range', `${stream}: trade time ${T} is ${distance} ms from the exchange clock ${context.exchangeNow}`);
    }
  }
  const trade: Trade = {
    exchange,
    symbol: match === 1 ? s : s.toUpperCase(),
    priceText: p,
    price,
    quantityText: q,
    tradeId: a,
    tradeTime: T as number,
    eventTime: E as number,
    receivedAt: context.receivedAt,
    receivedAtMono: context.receivedAtMono,
    source: 'live',
  };
  return { kind: 'trade', trade };
}

/**
 * Reads one Binance WebSocket text frame. Pure and total: every input maps to a
 * `FrameResult`, nothing throws. The happy path is one JSON.parse, a few typeof
 * checks, two char loops and the Trade object, because it runs for every message
 * at tens of thousands a second.
 */
export function parseBinanceFrame(text: string, context: ParseContext, exchange = 'binance', maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): FrameResult {
  // Checked before parsing so a hostile frame cannot cost a full JSON.parse.
  if (isUtf8Oversized(text, maxFrameBytes)) return rejected('oversized', `frame of ${text.length} characters exceeds ${maxFrameBytes} bytes`);
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return rejected('invalid_json', `not JSON: ${text.slice(0, 40)}`);
  }
  if (!isObject(message)) return rejected('invalid_type', `frame is ${message === null ? 'null' : Array.isArray(message) ? 'an array' : typeof message}, not an object`);
  const stream = message.stream;
  if (stream !== undefined) {
    if (typeof stream !== 'string') return rejected('invalid_type', 'stream is not a string');
    const data = message.data;
    if (data === undefined) return rejected('missing_field', `${stream}: data`);
    if (!isObject(data)) return rejected('invalid_type', `${stream}: data is not an object`);
    // Server-wide notice on a stream nobody subscribed (`!serverShutdown`): never unknown.
    if (data.e === 'serverShutdown') return shutdown(data, context);
    if (!context.isKnownStream(stream)) return rejected('unknown_stream', `${stream} is not subscribed on this connection`);
    if (stream.endsWith(AGG_TRADE_SUFFIX)) return aggTrade(exchange, stream, data, context);
    return { kind: 'ignored', stream: streamTypeOf(stream) };
  }
  if ('result' in message || 'error' in message) return reply(message);
  if (message.e === 'serverShutdown') return shutdown(message, context);
  // The WebSocket API's form of the notice: {"event":{"e":"serverShutdown","E":...}}.
  if (isObject(message.event) && message.event.e === 'serverShutdown') return shutdown(message.event, context);
  if (message.e !== undefined) return rejected('missing_field', `raw ${String(message.e)} event without the combined-stream wrapper (stream)`);
  return rejected('missing_field', 'stream');
}
