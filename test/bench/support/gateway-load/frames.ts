/**
 * What a benchmark client needs from a gateway frame, without JSON.parse: the
 * frame type and, for rates frames, each rate's symbol, `ts` and `tradeTs`.
 * Thousands of connections in one process receive hundreds of thousands of
 * frames a second; a full parse would make the clients, not the gateway, the
 * bound. Relies on the RATE contract (docs/stream.md): every value is a plain
 * string without escapes, and a rate object starts with its `symbol`.
 */
export interface ScannedRate {
  symbol: string;
  ts: number;
  tradeTs: number;
}

export interface ScannedFrame {
  /** The `type` field: update, snapshot, movers, subscribed, error, ... ('' when absent). */
  type: string;
  rates: ScannedRate[];
}

const TYPE = '{"type":"';
const RATE_START = '{"symbol":"';

function stringAfter(text: string, key: string, from: number, to: number): string | undefined {
  const at = text.indexOf(key, from);
  if (at < 0 || at >= to) return undefined;
  const start = at + key.length;
  const end = text.indexOf('"', start);
  return end < 0 ? undefined : text.slice(start, end);
}

export function scanFrame(text: string): ScannedFrame {
  const type = text.startsWith(TYPE) ? text.slice(TYPE.length, text.indexOf('"', TYPE.length)) : '';
  const rates: ScannedRate[] = [];
  if (type !== 'update' && type !== 'snapshot') return { type, rates };
  let at = text.indexOf(RATE_START);
  while (at >= 0) {
    const next = text.indexOf(RATE_START, at + RATE_START.length);
    const end = next < 0 ? text.length : next;
    const symbol = stringAfter(text, RATE_START, at, end);
    const ts = stringAfter(text, '"ts":"', at, end);
    const tradeTs = stringAfter(text, '"tradeTs":"', at, end);
    if (symbol !== undefined && ts !== undefined && tradeTs !== undefined) rates.push({ symbol, ts: Number(ts), tradeTs: Number(tradeTs) });
    at = next;
  }
  return { type, rates };
}
