import type { Pool } from 'pg';
import { withReadTransaction } from './read-transaction';

export interface ConnectionStatusRow {
  collector_id: string;
  connection_id: string;
  exchange: string;
  state: string;
  streams: number;
  last_message_at: Date | null;
  reconnects: number;
  errors: number;
  updated_at: Date;
}

/**
 * Rows of collection_status reported within `withinMs`. Collectors report every
 * 15 s through the queue; tasks replaced by a deployment leave their rows
 * behind, and after an hour those are history, not status.
 */
export async function readConnectionStatus(pool: Pool, withinMs: number, statementTimeoutMs = 2_000): Promise<ConnectionStatusRow[]> {
  const { rows } = await withReadTransaction(pool, { timeoutMs: statementTimeoutMs, route: 'GET /v1/status' }, (client) =>
    client.query<ConnectionStatusRow>(
    `SELECT collector_id, connection_id, exchange, state, streams, last_message_at, reconnects, errors, updated_at
       FROM collection_status
      WHERE updated_at > now() - $1 * interval '1 millisecond'
      ORDER BY collector_id, connection_id
      LIMIT 10000`,
      [withinMs],
    ),
  );
  return rows;
}
