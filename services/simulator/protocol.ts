import { WsErrorCode, type WsErrorResponse, type WsRequestId, type WsResultResponse } from '../shared/binance';
import { isWellFormedStream } from './streams';

const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'] as const;
type Method = (typeof METHODS)[number];

export interface ControlRequest {
  method: Method;
  params: unknown[];
  id: WsRequestId;
}

/** What a control message asks of the connection, decided without touching it. */
export interface ControlOutcome {
  reply: WsResultResponse | WsErrorResponse;
  subscribe: string[];
  unsubscribe: string[];
  /** The request would take the connection past its stream limit: Binance disconnects. */
  exceedsStreamLimit: boolean;
  setCombined?: boolean;
}

function error(code: number, msg: string, id?: WsRequestId): WsErrorResponse {
  return id === undefined ? { error: { code, msg } } : { error: { code, msg }, id };
}

function jsonErrorPosition(text: string, cause: unknown): { line: number; column: number } {
  const match = /position (\d+)/.exec(cause instanceof Error ? cause.message : '');
  const offset = match ? Number(match[1]) : text.length;
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** Binance accepts a 64-bit signed integer, an alphanumeric string of up to 36 characters, or null. */
function isValidId(id: unknown): id is WsRequestId {
  return id === null || (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && /^[A-Za-z0-9]{1,36}$/.test(id));
}

/** Parses one text frame into a control request, or the error Binance answers it with. */
export function parseControlMessage(text: string): ControlRequest | WsErrorResponse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const { line, column } = jsonErrorPosition(text, cause);
    return error(WsErrorCode.INVALID_JSON, `Invalid JSON: expected value at line ${line} column ${column}`);
  }
  const end = `at line 1 column ${text.length}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return error(WsErrorCode.INVALID_REQUEST, `Invalid request: invalid type: expected struct Request ${end}`);
  }
  const request = value as Record<string, unknown>;
  if (!('method' in request)) return error(WsErrorCode.INVALID_REQUEST, `Invalid request: missing field \`method\` ${end}`);
  if (!isValidId(request.id)) return error(WsErrorCode.INVALID_REQUEST, 'Invalid request: request ID must be an unsigned integer');
  const id = request.id;
  if (typeof request.method !== 'string' || !(METHODS as readonly string[]).includes(request.method)) {
    const variant = typeof request.method === 'string' ? `\`${request.method}\`` : String(request.method);
    return error(WsErrorCode.INVALID_REQUEST, `Invalid request: unknown variant ${variant}, expected one of ${METHODS.map((m) => `\`${m}\``).join(', ')} ${end}`, id);
  }
  if (Object.keys(request).some((key) => key !== 'method' && key !== 'params' && key !== 'id')) {
    return error(WsErrorCode.INVALID_REQUEST, 'Invalid request: too many parameters', id);
  }
  if (request.params !== undefined && !Array.isArray(request.params)) {
    return error(WsErrorCode.INVALID_REQUEST, `Invalid request: invalid type: expected a sequence ${end}`, id);
  }
  return { method: request.method as Method, params: (request.params as unknown[] | undefined) ?? [], id };
}

/**
 * Applies a parsed request to a connection's current subscriptions (read-only);
 * the caller performs the returned changes. Streams are validated as a whole so a
 * request with one malformed name changes nothing.
 */
export function decideControl(request: ControlRequest, current: ReadonlySet<string>, combined: boolean, maxStreams: number): ControlOutcome {
  const outcome: ControlOutcome = { reply: { result: null, id: request.id }, subscribe: [], unsubscribe: [], exceedsStreamLimit: false };
  switch (request.method) {
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE': {
      if (!request.params.every(isWellFormedStream)) {
        outcome.reply = error(WsErrorCode.INVALID_REQUEST, 'Invalid request: invalid stream', request.id);
        return outcome;
      }
      const names = [...new Set(request.params as string[])];
      if (request.method === 'UNSUBSCRIBE') {
        outcome.unsubscribe = names.filter((n) => current.has(n));
        return outcome;
      }
      outcome.subscribe = names.filter((n) => !current.has(n));
      outcome.exceedsStreamLimit = current.size + outcome.subscribe.length > maxStreams;
      return outcome;
    }
    case 'LIST_SUBSCRIPTIONS':
      outcome.reply = { result: [...current], id: request.id };
      return outcome;
    case 'SET_PROPERTY':
    case 'GET_PROPERTY': {
      const [name, value] = request.params;
      if (typeof name !== 'string') {
        outcome.reply = error(WsErrorCode.INVALID_REQUEST, 'Invalid request: property name must be a string', request.id);
      } else if (name !== 'combined') {
        outcome.reply = error(WsErrorCode.UNKNOWN_PROPERTY, 'Unknown property', request.id);
      } else if (request.method === 'GET_PROPERTY') {
        outcome.reply = { result: combined, id: request.id };
      } else if (typeof value !== 'boolean') {
        outcome.reply = error(WsErrorCode.INVALID_VALUE_TYPE, 'Invalid value type: expected Boolean', request.id);
      } else {
        outcome.setCombined = value;
      }
      return outcome;
    }
  }
}
