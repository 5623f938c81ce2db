import type { Trade } from '../../domain';
import { isDecimalString } from '../decimal';
import type { FrameResult, ParseContext, RejectReason } from '../types';

export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024;
export const PUBLIC_TRADE_PREFIX = 'publicTrade.';

type Json = Record<string, unknown>;

function rejected(reason: RejectReason, detail: string): FrameResult {
  return { kind: 'rejected', reason, detail };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOversized(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  return text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes;
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Our `req_id` is the decimal request number; give it back as that number. */
function requestId(value: unknown): number | string | null {
  if (typeof value !== 'string' || value === '') return null;
  return /^\d{1,15}$/.test(value) ? Number(value) : value;
}

const TOPIC_IN_MESSAGE = /topic:([A-Za-z0-9._-]+)/g;

function reply(message: Json): FrameResult {
  const op = message.op;
  // Spot answers a ping with op "ping" and ret_msg "pong"; the other categories with op "pong".
  if (op === 'pong' || (op === 'ping' && message.ret_msg === 'pong')) return { kind: 'pong' };
  if (op !== 'subscribe' && op !== 'unsubscribe') return { kind: 'ignored', stream: String(op) };
  const id = requestId(message.req_id);
  if (message.success === true) return { kind: 'reply', id, result: null };
  if (message.success !== false) return rejected('invalid_type', `${op} reply without a boolean success`);
  const msg = typeof message.ret_msg === 'string' ? message.ret_msg : '';
  // Bybit's refusals carry no code of their own; 0 says "no exchange code".
  const code = typeof message.ret_code === 'number' ? message.ret_code : 0;
  const streams = [...new Set([...msg.matchAll(TOPIC_IN_MESSAGE)].map((match) => match[1] as string))];
  return streams.length > 0 ? { kind: 'reply', id, streams, error: { code, msg } } : { kind: 'reply', id, error: { code, msg } };
}

function tradeOf(topic: string, symbol: string, entry: unknown, eventTime: number, context: ParseContext): Trade | FrameResult | undefined {
  if (!isObject(entry)) return rejected('invalid_type', `${topic}: a data entry is not an object`);
  const { T, s, v, p, i } = entry;
  if (T === undefined) return rejected('missing_field', `${topic}: T`);
  if (s === undefined) return rejected('missing_field', `${topic}: s`);
  if (v === undefined) return rejected('missing_field', `${topic}: v`);
  if (p === undefined) return rejected('missing_field', `${topic}: p`);
  if (i === undefined) return rejected('missing_field', `${topic}: i`);
  if (!isTime(T)) return rejected('invalid_type', `${topic}: T is not a timestamp`);
  if (s !== symbol) return rejected('unknown_stream', `${topic}: trade of ${String(s)} does not belong to this stream`);
  if (typeof i !== 'string' || i === '' || i.length > 64) return rejected('invalid_type', `${topic}: i is not a trade id string`);
  if (typeof p !== 'string' || !isDecimalString(p, true)) return rejected('invalid_price', `${topic}: price ${String(p).slice(0, 40)} is not a positive decimal`);
  if (typeof v !== 'string' || !isDecimalString(v, true)) return rejected('invalid_quantity', `${topic}: quantity ${String(v).slice(0, 40)} is not a positive decimal`);
  const price = +p;
  if (!(price > 0) || price === Infinity) return rejected('invalid_price', `${topic}: price ${p} is not a positive finite number`);
  if (T > eventTime + 1000) return rejected('time_out_of_range', `${topic}: trade time ${T} is after event time ${eventTime}`);
  if (context.clockSynchronized && -(T - context.exchangeNow) > context.maxClockDistanceMs) {
    return rejected('time_out_of_range', `${topic}: trade time ${T} is ${T - context.exchangeNow} ms from the exchange clock ${context.exchangeNow}`);
  }
  // Block trades are negotiated off the book; a rate must follow the book's prices.
  if (entry.BT === true) return undefined;
  return {
    exchange: 'bybit',
    symbol,
    priceText: p,
    price,
    quantityText: v,
    // Spot ids are 19-digit strings: beyond a safe integer and documented as an id, not a sequence.
    tradeId: 0,
    tradeIdText: i,
    tradeTime: T,
    eventTime,
    receivedAt: context.receivedAt,
    receivedAtMono: context.receivedAtMono,
    source: 'live',
  };
}

function push(message: Json, topic: string, context: ParseContext): FrameResult {
  if (!context.isKnownStream(topic)) return rejected('unknown_stream', `${topic} is not subscribed on this connection`);
  if (!topic.startsWith(PUBLIC_TRADE_PREFIX)) {
    const dot = topic.indexOf('.');
    return { kind: 'ignored', stream: dot > 0 ? topic.slice(0, dot) : topic };
  }
  const symbol = topic.slice(PUBLIC_TRADE_PREFIX.length);
  const { ts, data } = message;
  if (ts === undefined) return rejected('missing_field', `${topic}: ts`);
  if (!isTime(ts)) return rejected('invalid_type', `${topic}: ts is not a timestamp`);
  if (context.clockSynchronized) {
    const distance = ts - context.exchangeNow;
    if (distance > context.maxClockDistanceMs || -distance > context.maxClockDistanceMs) {
      return rejected('time_out_of_range', `${topic}: event time ${ts} is ${distance} ms from the exchange clock ${context.exchangeNow}`);
    }
  }
  if (!Array.isArray(data)) return rejected(data === undefined ? 'missing_field' : 'invalid_type', `${topic}: data is not an array`);
  if (data.length === 0) return rejected('missing_field', `${topic}: data is empty`);
  const trades: Trade[] = [];
  for (const entry of data) {
    const trade = tradeOf(topic, symbol, entry, ts, context);
    if (trade === undefined) continue;
    if ('kind' in trade) return trade;
    trades.push(trade);
  }
  if (trades.length === 0) return { kind: 'ignored', stream: 'block_trade' };
  return trades.length === 1 ? { kind: 'trade', trade: trades[0] as Trade } : { kind: 'trades', trades };
}

/**
 * Reads one Bybit v5 public spot WebSocket text frame. Pure and total: every input
 * maps to a `FrameResult`, nothing throws. Replies (`op`) and pongs share a shape;
 * pushes carry `topic`.
 */
export function parseBybitFrame(text: string, context: ParseContext, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): FrameResult {
  if (isOversized(text, maxFrameBytes)) return rejected('oversized', `frame of ${text.length} characters exceeds ${maxFrameBytes} bytes`);
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return rejected('invalid_json', `not JSON: ${text.slice(0, 40)}`);
  }
  if (!isObject(message)) return rejected('invalid_type', `frame is ${message === null ? 'null' : Array.isArray(message) ? 'an array' : typeof message}, not an object`);
  if (typeof message.topic === 'string') return push(message, message.topic, context);
  if (message.topic !== undefined) return rejected('invalid_type', 'topic is not a string');
  if (typeof message.op === 'string') return reply(message);
  return rejected('missing_field', 'neither topic nor op');
}
