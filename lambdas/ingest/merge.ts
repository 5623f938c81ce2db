import type { HistoryMessage } from '../../services/shared/history';
import { supersedes } from './precedence';

/** One row of `price_change_rates`, as the upsert takes it. */
export interface RateRecord {
  time: number;
  exchange: string;
  symbol: string;
  price: string;
  change1m: number | null;
  change5m: number | null;
  change15m: number | null;
  flags: string[];
  evaluatedAt: number;
}

/** One row of `collection_status`; `updatedAt` is the snapshot's `at`. */
export interface StatusRecord {
  collectorId: string;
  connectionId: string;
  exchange: string;
  state: string;
  streams: number;
  lastMessageAt: number | null;
  reconnects: number;
  errors: number;
  updatedAt: number;
}

export interface MergedBatch {
  rates: RateRecord[];
  statuses: StatusRecord[];
  /** Rate rows received in the batch, before de-duplication. */
  rateRowsIn: number;
  /** Rate rows dropped because another row of the batch had the same key and a greater (or equal) precedence. */
  rateDuplicates: number;
  /** Status snapshots (messages) in the batch. */
  statusSnapshots: number;
}

/**
 * Merges the valid messages of one SQS batch into the rows of one bulk write.
 * Rows with the same (exchange, symbol, time) collapse to the one of greatest
 * precedence (the newest evaluatedAt, then a fixed order over the contents, see
 * precedence.ts): the rule the upsert applies against stored rows, applied
 * first inside the batch because PostgreSQL refuses an ON CONFLICT statement
 * that touches the same row twice. The result, and what the database keeps, do
 * not depend on delivery order. Status entries collapse per
 * (collectorId, connectionId) by snapshot time.
 */
export function mergeMessages(messages: Iterable<HistoryMessage>): MergedBatch {
  const rates = new Map<string, RateRecord>();
  const statuses = new Map<string, StatusRecord>();
  let rateRowsIn = 0;
  let statusSnapshots = 0;
  for (const message of messages) {
    if (message.kind === 'rates') {
      for (const [time, symbol, price, change1m, change5m, change15m, flags, evaluatedAt] of message.rows) {
        rateRowsIn += 1;
        // Exchange and symbol are validated to [a-z0-9] / [A-Z0-9], so '|' cannot collide.
        const key = `${message.exchange}|${symbol}|${time}`;
        const candidate: RateRecord = { time, exchange: message.exchange, symbol, price, change1m, change5m, change15m, flags, evaluatedAt };
        const current = rates.get(key);
        if (current && !supersedes(candidate, current)) continue;
        rates.set(key, candidate);
      }
    } else {
      statusSnapshots += 1;
      for (const connection of message.connections) {
        const key = `${message.collectorId}\u0000${connection.connectionId}`;
        const current = statuses.get(key);
        if (current && current.updatedAt >= message.at) continue;
        statuses.set(key, {
          collectorId: message.collectorId,
          connectionId: connection.connectionId,
          exchange: message.exchange,
          state: connection.state,
          streams: connection.streams,
          lastMessageAt: connection.lastMessageAt,
          reconnects: connection.reconnects,
          errors: connection.errors,
          updatedAt: message.at,
        });
      }
    }
  }
  // One lock order for every invocation: two batches touching the same rows (two
  // collectors on a shard) then wait for each other instead of deadlocking.
  // Compared field by field (exchange, symbol, then time as a number): building
  // key strings in the comparator cost more than the rest of the merge.
  const text = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    rates: [...rates.values()].sort((a, b) => text(a.exchange, b.exchange) || text(a.symbol, b.symbol) || a.time - b.time),
    statuses: [...statuses.values()].sort((a, b) => text(a.collectorId, b.collectorId) || text(a.connectionId, b.connectionId)),
    rateRowsIn,
    rateDuplicates: rateRowsIn - rates.size,
    statusSnapshots,
  };
}
