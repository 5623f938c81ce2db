import { EXCHANGE_PATTERN, isRateWindow, RATE_WINDOWS, SYMBOL_PATTERN, type RateFields, type RateWindow } from '../shared/rates';
import { ProtocolError, type ErrorCode, type MessageId } from './errors';

/** What a subscription is about; the keys of a subscribe message, and of the unsubscribe that ends it. */
export type Topic =
  | { channel: 'rates'; exchange: string; symbols: '*' | string[] }
  | { channel: 'movers'; exchange: string; window: RateWindow; limit: number }
  | { channel: 'health' }
  /** The last minutes of one symbol's price, answered once (live points come from its rates subscription). */
  | { channel: 'chart'; exchange: string; symbol: string };

/** Topics a connection holds (the chart channel is answered once and not held). */
export type HeldTopic = Exclude<Topic, { channel: 'chart' }>;

export type ClientMessage = { op: 'subscribe'; id: MessageId | null; topic: Topic } | { op: 'unsubscribe'; id: MessageId | null; topic: Topic } | { op: 'ping'; id: MessageId | null };

export interface ProtocolLimits {
  /** Most symbols one message may name (the connection's subscription cap bounds the total). */
  maxSymbolsPerMessage: number;
  /** Largest movers `limit`. */
  maxMoversLimit: number;
}

export const DEFAULT_MOVERS_LIMIT = 10;
const MAX_ID_LENGTH = 64;
const CHANNELS = ['rates', 'movers', 'health', 'chart'] as const;

/** A top mover: the rank set's member and its change, formatted as in the hash. */
export interface Mover {
  symbol: string;
  change: string;
}

/** Every message the server sends. */
export type ServerMessage =
  | { type: 'subscribed'; id: MessageId | null }
  | { type: 'unsubscribed'; id: MessageId | null }
  | { type: 'pong'; id: MessageId | null }
  | { type: 'snapshot'; channel: 'rates'; exchange: string; rates: RateFields[] }
  | { type: 'update'; channel: 'rates'; exchange: string; rates: RateFields[] }
  | { type: 'movers'; exchange: string; window: RateWindow; gainers: Mover[]; losers: Mover[] }
  | { type: 'health'; collectors: Record<string, string>[] }
  | { type: 'chart'; exchange: string; symbol: string; points: Array<[number, string]> }
  | { type: 'error'; id: MessageId | null; code: ErrorCode; message: string };

const fail = (code: ErrorCode, message: string, id: MessageId | null): never => {
  throw new ProtocolError(code, message, id);
};

function parseId(value: unknown): MessageId | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) return value;
  return fail('bad_field', `"id" must be a number or a string of at most ${MAX_ID_LENGTH} characters`, null);
}

function parseExchange(value: unknown, id: MessageId | null): string {
  if (typeof value !== 'string' || !EXCHANGE_PATTERN.test(value)) return fail('bad_field', '"exchange" must be an exchange name (2-20 lower-case letters or digits, e.g. "binance")', id);
  return value;
}

/** Symbols upper-cased and deduplicated; `"*"` means every symbol of the exchange. */
function parseSymbols(value: unknown, id: MessageId | null, limits: ProtocolLimits): '*' | string[] {
  if (value === '*') return '*';
  if (!Array.isArray(value) || value.length === 0) return fail('bad_field', '"symbols" must be "*" or a non-empty array of symbols', id);
  if (value.length > limits.maxSymbolsPerMessage) return fail('too_many_subscriptions', `"symbols" names ${value.length} symbols; at most ${limits.maxSymbolsPerMessage} per message`, id);
  const symbols = new Set<string>();
  for (const entry of value) {
    const symbol = typeof entry === 'string' ? entry.toUpperCase() : '';
    if (!SYMBOL_PATTERN.test(symbol)) return fail('bad_field', `"symbols" entry ${JSON.stringify(entry)?.slice(0, 40)} is not a symbol (2-20 letters or digits)`, id);
    symbols.add(symbol);
  }
  return [...symbols];
}

function parseWindow(value: unknown, id: MessageId | null): RateWindow {
  if (!isRateWindow(value)) return fail('bad_field', `"window" must be one of ${RATE_WINDOWS.map((w) => `"${w}"`).join(', ')}`, id);
  return value;
}

function parseLimit(value: unknown, id: MessageId | null, limits: ProtocolLimits): number {
  if (value === undefined) return Math.min(DEFAULT_MOVERS_LIMIT, limits.maxMoversLimit);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > limits.maxMoversLimit) return fail('bad_field', `"limit" must be a whole number from 1 to ${limits.maxMoversLimit}`, id);
  return value;
}

/** The topic of a subscribe or unsubscribe, from its fields (WebSocket JSON or SSE query values). */
export function parseTopic(fields: Record<string, unknown>, id: MessageId | null, limits: ProtocolLimits): Topic {
  const channel = fields.channel;
  if (channel === undefined) return fail('bad_field', `"channel" is missing; one of ${CHANNELS.map((c) => `"${c}"`).join(', ')}`, id);
  switch (channel) {
    case 'rates':
      return { channel: 'rates', exchange: parseExchange(fields.exchange, id), symbols: parseSymbols(fields.symbols, id, limits) };
    case 'movers':
      return { channel: 'movers', exchange: parseExchange(fields.exchange, id), window: parseWindow(fields.window, id), limit: parseLimit(fields.limit, id, limits) };
    case 'health':
      return { channel: 'health' };
    case 'chart': {
      const symbol = typeof fields.symbol === 'string' ? fields.symbol.toUpperCase() : '';
      if (!SYMBOL_PATTERN.test(symbol)) return fail('bad_field', '"symbol" must be one symbol (2-20 letters or digits) for the chart channel', id);
      return { channel: 'chart', exchange: parseExchange(fields.exchange, id), symbol };
    }
    default:
      return fail('unknown_channel', `unknown channel ${JSON.stringify(channel)?.slice(0, 40)}; one of ${CHANNELS.map((c) => `"${c}"`).join(', ')}`, id);
  }
}

/**
 * Parses and validates one client text frame. Throws ProtocolError naming the
 * problem; the caller answers it with an error message and keeps the connection.
 */
export function parseClientMessage(text: string, limits: ProtocolLimits): ClientMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('bad_json', 'the message is not valid JSON', null);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('bad_message', 'a message must be a JSON object with an "op"', null);
  const fields = parsed as Record<string, unknown>;
  const id = parseId(fields.id);
  switch (fields.op) {
    case 'subscribe':
    case 'unsubscribe':
      return { op: fields.op, id, topic: parseTopic(fields, id, limits) };
    case 'ping':
      return { op: 'ping', id };
    case undefined:
      return fail('bad_message', 'the message has no "op"; one of "subscribe", "unsubscribe", "ping"', id);
    default:
      return fail('unknown_op', `unknown op ${JSON.stringify(fields.op)?.slice(0, 40)}; one of "subscribe", "unsubscribe", "ping"`, id);
  }
}

/**
 * The subscriptions of an SSE request: `channel` is one channel or a comma list
 * (`rates,movers,health`) sharing `exchange`, `symbols` (comma list or `*`),
 * `window` and `limit`.
 */
export function parseSseQuery(query: URLSearchParams, limits: ProtocolLimits): Topic[] {
  const channels = (query.get('channel') ?? '').split(',').filter(Boolean);
  if (channels.length === 0) return fail('bad_field', 'query parameter "channel" is missing; rates, movers, health or chart (comma-separated for several)', null);
  if (new Set(channels).size !== channels.length) return fail('bad_field', '"channel" names a channel twice', null);
  const symbols = query.get('symbols');
  const limit = query.get('limit');
  const fields: Record<string, unknown> = {
    exchange: query.get('exchange') ?? undefined,
    symbol: query.get('symbol') ?? undefined,
    symbols: symbols === null ? undefined : symbols === '*' ? '*' : symbols.split(',').filter(Boolean),
    window: query.get('window') ?? undefined,
    limit: limit === null ? undefined : /^[0-9]{1,6}$/.test(limit) ? Number(limit) : limit,
  };
  return channels.map((channel) => parseTopic({ ...fields, channel }, null, limits));
}

/** The JSON of a server message. Rates frames are assembled from pre-serialized rates instead (see ratesFrame). */
export const encodeMessage = (message: ServerMessage): string => JSON.stringify(message);

/**
 * A snapshot or update frame from rates serialized once per Redis message: the
 * same rate goes to many clients, so it is stringified once, not once per client.
 */
export const ratesFrame = (type: 'snapshot' | 'update', exchange: string, rateJson: readonly string[]): string => `{"type":"${type}","channel":"rates","exchange":${JSON.stringify(exchange)},"rates":[${rateJson.join(',')}]}`;
