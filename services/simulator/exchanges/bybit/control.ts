import type { ControlOutcome } from '../types';

/**
 * Bybit v5 public spot control frames: `{"op":"subscribe"|"unsubscribe","args":[topic...],
 * "req_id"?}` and `{"op":"ping"}`, answered with `{success, ret_msg, conn_id, req_id?, op}`.
 */

export const PUBLIC_TRADE_PREFIX = 'publicTrade.';
/** "Spot can input up to 10 args for each subscription request sent to one connection." */
export const BYBIT_MAX_ARGS_PER_REQUEST = 10;

export interface BybitControlContext {
  connId: string;
  /** True when `symbol` is a spot pair this simulator trades. */
  knows(symbol: string): boolean;
  subscribed: ReadonlySet<string>;
}

function reply(context: BybitControlContext, success: boolean, retMsg: string, op: string, reqId: string | undefined): string {
  const body: Record<string, unknown> = { success, ret_msg: retMsg, conn_id: context.connId };
  if (reqId !== undefined) body.req_id = reqId;
  body.op = op;
  return JSON.stringify(body);
}

const NO_CHANGE = { subscribe: [], unsubscribe: [] };

/** Decides one client text frame without touching the connection. */
export function bybitControl(text: string, context: BybitControlContext): ControlOutcome {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { replies: [reply(context, false, `error:request parse failed: ${text.slice(0, 64)}`, '', undefined)], ...NO_CHANGE };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { replies: [reply(context, false, 'error:request parse failed', '', undefined)], ...NO_CHANGE };
  const request = value as { op?: unknown; args?: unknown; req_id?: unknown };
  const reqId = typeof request.req_id === 'string' ? request.req_id : undefined;
  const op = typeof request.op === 'string' ? request.op : '';
  const answer = (success: boolean, retMsg: string): ControlOutcome => ({ replies: [reply(context, success, retMsg, op, reqId)], ...NO_CHANGE });
  // Spot answers a ping with op "ping" and ret_msg "pong".
  if (op === 'ping') return answer(true, 'pong');
  if (op !== 'subscribe' && op !== 'unsubscribe') return answer(false, `error:unsupported op:${op}`);
  if (!Array.isArray(request.args) || request.args.length === 0 || !request.args.every((a) => typeof a === 'string')) return answer(false, 'error:args must be a non-empty list of topics');
  const topics = [...new Set(request.args as string[])];
  if (request.args.length > BYBIT_MAX_ARGS_PER_REQUEST) return answer(false, `args size >${BYBIT_MAX_ARGS_PER_REQUEST}`);
  // One bad topic refuses the whole request, naming each bad topic as `topic:<name>`.
  const problems: string[] = [];
  for (const topic of topics) {
    const symbol = topic.startsWith(PUBLIC_TRADE_PREFIX) ? topic.slice(PUBLIC_TRADE_PREFIX.length) : '';
    if (!context.knows(symbol)) problems.push(`error:handler not found,topic:${topic}`);
    else if (op === 'subscribe' && context.subscribed.has(topic)) problems.push(`error:already subscribed,topic:${topic}`);
  }
  if (problems.length > 0) return answer(false, problems.join(';'));
  const outcome = answer(true, '');
  return op === 'subscribe' ? { ...outcome, subscribe: topics } : { ...outcome, unsubscribe: topics.filter((t) => context.subscribed.has(t)) };
}
