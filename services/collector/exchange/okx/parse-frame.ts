import type { Trade } from '../../domain';
import { isDecimalString } from '../decimal';
import type { FrameResult, ParseContext, RejectReason } from '../types';
import { isSpotInstId, okxStream, symbolOfSpotInstId, TRADES_CHANNEL } from './streams';

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
/** OKX's notice that this connection will be closed for a service upgrade. */
const SERVICE_UPGRADE_NOTICE = '64008';

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

/** OKX echoes our request `id` (sent as the decimal request number); anything else is not ours. */
function requestId(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

const ARG_IN_PROSE = /channel:([A-Za-z0-9-]+),\s*instId:([A-Za-z0-9-]+)/g;
const ARG_IN_JSON = /"channel"\s*:\s*"([A-Za-z0-9-]+)"\s*,\s*"instId"\s*:\s*"([A-Za-z0-9-]+)"/g;

/**
 * An error event names what it refuses only in its text: `channel:trades,
 * instId:FOO-USDT doesn't exist` (60018) or the request it could not read, quoted
 * as JSON (60012). Both forms are read so the refusal lands on that stream alone.
 */
function streamsNamedIn(message: string): string[] {
  const streams = new Set<string>();
  for (const pattern of [ARG_IN_PROSE, ARG_IN_JSON]) {
    for (const match of message.matchAll(pattern)) streams.add(okxStream(match[1] as string, match[2] as string));
  }
  return [...streams];
}

function argStream(arg: unknown): string | undefined {
  if (!isObject(arg) || typeof arg.channel !== 'string' || typeof arg.instId !== 'string') return undefined;
  return okxStream(arg.channel, arg.instId);
}

function event(message: Json, context: ParseContext): FrameResult {
  const name = message.event;
  if (typeof name !== 'string') return rejected('invalid_type', 'event is not a string');
  const id = requestId(message.id);
  if (name === 'subscribe' || name === 'unsubscribe') {
    const stream = argStream(message.arg);
    if (stream === undefined) return rejected('missing_field', `${name} ack without arg {channel, instId}`);
    return { kind: 'reply', id, streams: [stream], result: null };
  }
  if (name === 'error') {
    const code = Number(message.code);
    const msg = typeof message.msg === 'string' ? message.msg : '';
    if (!Number.isInteger(code)) return rejected('invalid_type', 'error event without a numeric code');
    const fromArg = argStream(message.arg);
    const streams = fromArg !== undefined ? [fromArg] : streamsNamedIn(msg);
    return streams.length > 0 ? { kind: 'reply', id, streams, error: { code, msg } } : { kind: 'reply', id, error: { code, msg } };
  }
  if (name === 'notice' && String(message.code) === SERVICE_UPGRADE_NOTICE) return { kind: 'shutdown', eventTime: context.exchangeNow };
  // Connection-count and other informational events: well-formed, not used.
  return { kind: 'ignored', stream: name };
}

function tradeOf(stream: string, instId: string, symbol: string, entry: unknown, context: ParseContext): Trade | FrameResult {
  if (!isObject(entry)) return rejected('invalid_type', `${stream}: a data entry is not an object`);
  const { tradeId, px, sz, ts } = entry;
  if (entry.instId === undefined) return rejected('missing_field', `${stream}: instId`);
  if (tradeId === undefined) return rejected('missing_field', `${stream}: tradeId`);
  if (px === undefined) return rejected('missing_field', `${stream}: px`);
  if (sz === undefined) return rejected('missing_field', `${stream}: sz`);
  if (ts === undefined) return rejected('missing_field', `${stream}: ts`);
  if (entry.instId !== instId) return rejected('unknown_stream', `${stream}: trade of ${String(entry.instId)} does not belong to this stream`);
  if (typeof tradeId !== 'string' || !/^\d{1,15}$/.test(tradeId)) return rejected('invalid_type', `${stream}: tradeId is not a decimal id string`);
  if (typeof ts !== 'string' || !/^\d{1,15}$/.test(ts)) return rejected('invalid_type', `${stream}: ts is not a millisecond timestamp string`);
  if (typeof px !== 'string' || !isDecimalString(px, true)) return rejected('invalid_price', `${stream}: price ${String(px).slice(0, 40)} is not a positive decimal`);
  if (typeof sz !== 'string' || !isDecimalString(sz, true)) return rejected('invalid_quantity', `${stream}: quantity ${String(sz).slice(0, 40)} is not a positive decimal`);
  const price = +px;
  if (!(price > 0) || price === Infinity) return rejected('invalid_price', `${stream}: price ${px} is not a positive finite number`);
  const tradeTime = Number(ts);
  if (context.clockSynchronized) {
    // The push has no event time of its own, so the trade time is checked both ways.
    const distance = tradeTime - context.exchangeNow;
    if (distance > context.maxClockDistanceMs || -distance > context.maxClockDistanceMs) {
      return rejected('time_out_of_range', `${stream}: trade time ${tradeTime} is ${distance} ms from the exchange clock ${context.exchangeNow}`);
    }
  }
  return {
    exchange: 'okx',
    symbol,
    priceText: px,
    price,
    quantityText: sz,
    tradeId: Number(tradeId),
    tradeIdText: tradeId,
    tradeTime,
    // OKX stamps a trades push with the trade time only.
    eventTime: tradeTime,
    receivedAt: context.receivedAt,
    receivedAtMono: context.receivedAtMono,
    source: 'live',
  };
}

function push(message: Json, context: ParseContext): FrameResult {
  const { arg, data } = message;
  if (!isObject(arg)) return rejected('invalid_type', 'arg is not an object');
  const { channel, instId } = arg;
  if (typeof channel !== 'string' || typeof instId !== 'string') return rejected('missing_field', 'arg.channel / arg.instId');
  const stream = okxStream(channel, instId);
  if (!context.isKnownStream(stream)) return rejected('unknown_stream', `${stream} is not subscribed on this connection`);
  // A subscribed stream of another channel or of a futures/swap instrument: well-formed, not collected by a spot collector.
  if (channel !== TRADES_CHANNEL || !isSpotInstId(instId)) return { kind: 'ignored', stream: channel };
  if (!Array.isArray(data)) return rejected(data === undefined ? 'missing_field' : 'invalid_type', `${stream}: data is not an array`);
  if (data.length === 0) return rejected('missing_field', `${stream}: data is empty`);
  const symbol = symbolOfSpotInstId(instId);
  const trades: Trade[] = [];
  for (const entry of data) {
    const trade = tradeOf(stream, instId, symbol, entry, context);
    if ('kind' in trade) return trade;
    trades.push(trade);
  }
  return trades.length === 1 ? { kind: 'trade', trade: trades[0] as Trade } : { kind: 'trades', trades };
}

/**
 * Reads one OKX v5 public WebSocket text frame. Pure and total: every input maps
 * to a `FrameResult`, nothing throws. `pong` is OKX's plain-text keepalive answer.
 */
export function parseOkxFrame(text: string, context: ParseContext, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): FrameResult {
  if (text === 'pong') return { kind: 'pong' };
  if (isOversized(text, maxFrameBytes)) return rejected('oversized', `frame of ${text.length} characters exceeds ${maxFrameBytes} bytes`);
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return rejected('invalid_json', `not JSON: ${text.slice(0, 40)}`);
  }
  if (!isObject(message)) return rejected('invalid_type', `frame is ${message === null ? 'null' : Array.isArray(message) ? 'an array' : typeof message}, not an object`);
  if (message.event !== undefined) return event(message, context);
  if (message.arg !== undefined) return push(message, context);
  return rejected('missing_field', 'neither event nor arg');
}
