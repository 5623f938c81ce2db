import type { ControlOutcome } from '../types';

/**
 * OKX v5 public WebSocket control frames: the text `ping`, and
 * `{"op":"subscribe"|"unsubscribe","args":[{"channel","instId"}],"id"?}`. OKX
 * answers each arg on its own (`{"event":"subscribe","arg":{...},"connId"}`) and a
 * refusal with `{"event":"error","code","msg","connId"}`; both echo the request `id`.
 */

export const OKX_TRADES_CHANNEL = 'trades';

/** OKX's event codes used here. */
export const OkxWsCode = {
  /** A request OKX cannot read: bad JSON, no args. */
  INVALID_REQUEST: '60012',
  /** More subscribe/unsubscribe requests than the hour allows (the simulator's answer; OKX documents the cap, not the reply). */
  TOO_FREQUENT: '60014',
  /** A channel or instrument that does not exist. */
  NOT_FOUND: '60018',
  INVALID_OP: '60019',
  /** "The connection will soon be closed for a service upgrade." */
  SERVICE_UPGRADE: '64008',
} as const;

export interface OkxControlContext {
  connId: string;
  /** True when `instId` is a spot instrument this simulator trades. */
  knows(instId: string): boolean;
  /** Counts one subscribe/unsubscribe request; false when it is over the hourly cap. */
  admitRequest(): boolean;
}

export function okxTopic(instId: string): string {
  return `${OKX_TRADES_CHANNEL}:${instId}`;
}

function errorEvent(code: string, msg: string, connId: string, id: string | undefined): string {
  return JSON.stringify(id === undefined ? { event: 'error', code, msg, connId } : { id, event: 'error', code, msg, connId });
}

function notFound(channel: string, instId: string): string {
  return `Wrong URL or channel:${channel},instId:${instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`;
}

const NO_CHANGE = { subscribe: [], unsubscribe: [] };

/** Decides one client text frame; pure apart from the request count in `context`. */
export function okxControl(text: string, context: OkxControlContext): ControlOutcome {
  if (text === 'ping') return { replies: ['pong'], ...NO_CHANGE };
  const refuse = (code: string, msg: string, id?: string): ControlOutcome => ({ replies: [errorEvent(code, msg, context.connId, id)], ...NO_CHANGE });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse(OkxWsCode.INVALID_REQUEST, `Invalid request: ${text}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse(OkxWsCode.INVALID_REQUEST, `Invalid request: ${text}`);
  const request = value as { op?: unknown; args?: unknown; id?: unknown };
  // OKX's id: up to 32 alphanumerics, echoed back.
  if (request.id !== undefined && (typeof request.id !== 'string' || !/^[A-Za-z0-9]{1,32}$/.test(request.id))) return refuse(OkxWsCode.INVALID_REQUEST, `Invalid request: ${text}`);
  const id = request.id as string | undefined;
  if (request.op !== 'subscribe' && request.op !== 'unsubscribe') return refuse(OkxWsCode.INVALID_OP, `Invalid op: op:${String(request.op)}`, id);
  const op = request.op;
  if (!Array.isArray(request.args) || request.args.length === 0) return refuse(OkxWsCode.INVALID_REQUEST, `Invalid request: ${text}`, id);
  if (!context.admitRequest()) return refuse(OkxWsCode.TOO_FREQUENT, 'Requests too frequent.', id);
  const outcome: ControlOutcome = { replies: [], subscribe: [], unsubscribe: [] };
  for (const arg of request.args as unknown[]) {
    const { channel, instId } = (typeof arg === 'object' && arg !== null ? arg : {}) as { channel?: unknown; instId?: unknown };
    if (typeof channel !== 'string' || typeof instId !== 'string') {
      outcome.replies.push(errorEvent(OkxWsCode.INVALID_REQUEST, `Invalid request: ${text}`, context.connId, id));
      continue;
    }
    if (channel !== OKX_TRADES_CHANNEL || !context.knows(instId)) {
      outcome.replies.push(errorEvent(OkxWsCode.NOT_FOUND, notFound(channel, instId), context.connId, id));
      continue;
    }
    (op === 'subscribe' ? outcome.subscribe : outcome.unsubscribe).push(okxTopic(instId));
    const ack = { event: op, arg: { channel, instId }, connId: context.connId };
    outcome.replies.push(JSON.stringify(id === undefined ? ack : { id, ...ack }));
  }
  return outcome;
}

export function okxServiceUpgradeNotice(connId: string): string {
  return JSON.stringify({ event: 'notice', code: OkxWsCode.SERVICE_UPGRADE, msg: 'The connection will soon be closed for a service upgrade. Please reconnect.', connId });
}
