import type { RateState } from './rates-writer';

/**
 * Reads the `prev` field APPLY_RATES_SCRIPT keeps in a rates hash: the last
 * state of the interval before the current one, `|`-separated as ts, price,
 * tradeTs, change_1m, change_5m, change_15m, flags. Undefined for anything
 * malformed (a hash written by an older collector has no such field at all).
 */
export function parsePreviousState(symbol: string, text: string): RateState | undefined {
  const parts = text.split('|');
  if (parts.length !== 7) return undefined;
  const [ts, price, tradeTs, change1m, change5m, change15m, flags] = parts as [string, string, string, string, string, string, string];
  const number = (value: string) => (value === '' ? undefined : Number(value));
  const state: RateState = {
    symbol,
    priceText: price,
    ts: Number(ts),
    tradeTs: tradeTs === '' ? Number(ts) : Number(tradeTs),
    change1m: number(change1m),
    change5m: number(change5m),
    change15m: number(change15m),
    flags: flags === '' ? [] : flags.split(','),
  };
  const finite = [state.ts, state.tradeTs, state.change1m ?? 0, state.change5m ?? 0, state.change15m ?? 0].every(Number.isFinite);
  return finite && price !== '' ? state : undefined;
}
