import { formatChange } from '../shared/rates';
import type { Mover } from './protocol';

/** Members of a `ZRANGE ... WITHSCORES` reply (member, score, member, score ...) as movers. */
export function parseRanked(reply: readonly string[]): Mover[] {
  const movers: Mover[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const change = Number(reply[i + 1]);
    // The rank score is a double; it goes out formatted as the hash's change field is.
    if (Number.isFinite(change)) movers.push({ symbol: reply[i]!, change: formatChange(change) });
  }
  return movers;
}

/**
 * The movers a client with `limit` sees: gainers are the highest changes above
 * zero, highest first; losers the lowest below zero, lowest first. `highest` and
 * `lowest` are the two ends of the rank set, read once for every client.
 */
export function moversView(highest: readonly Mover[], lowest: readonly Mover[], limit: number): { gainers: Mover[]; losers: Mover[] } {
  return {
    gainers: highest.filter((m) => Number(m.change) > 0).slice(0, limit),
    losers: lowest.filter((m) => Number(m.change) < 0).slice(0, limit),
  };
}
