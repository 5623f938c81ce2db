/** The stream kinds the simulator produces data for. */
export type StreamKind = 'aggTrade' | 'trade' | 'kline_1m' | 'miniTicker';

export const STREAM_KINDS: readonly StreamKind[] = ['aggTrade', 'trade', 'kline_1m', 'miniTicker'];

/**
 * Binance validates only the syntax of a stream name: a well-formed name for a
 * symbol or stream type that does not exist is acknowledged and never delivers,
 * while a malformed one is rejected with "Invalid request: invalid stream".
 */
const STREAM_SYNTAX = /^(?:[A-Za-z0-9]{1,32}@[A-Za-z0-9_@+:.]{1,40}|![A-Za-z0-9_@]{1,40})$/;

export function isWellFormedStream(name: unknown): name is string {
  return typeof name === 'string' && STREAM_SYNTAX.test(name);
}

/** `btcusdt@aggTrade` -> `{ symbol: 'BTCUSDT', kind: 'aggTrade' }`; undefined for streams without data here. */
export function servedStream(name: string): { symbol: string; kind: StreamKind } | undefined {
  const at = name.indexOf('@');
  if (at <= 0) return undefined;
  const lower = name.slice(0, at);
  const kind = name.slice(at + 1) as StreamKind;
  if (lower !== lower.toLowerCase() || !STREAM_KINDS.includes(kind)) return undefined;
  return { symbol: lower.toUpperCase(), kind };
}

export function streamName(symbol: string, kind: StreamKind): string {
  return `${symbol.toLowerCase()}@${kind}`;
}
