import type { Pool, PoolClient } from 'pg';
import { createLogger, type Logger } from '../logger';
import { createPool } from './pool';

/** Either a URL (we open and close a small pool) or a pool the caller owns. */
export interface DatabaseTarget {
  databaseUrl?: string;
  pool?: Pool;
  logger?: Logger;
}

export interface OpenedDatabase {
  pool: Pool;
  logger: Logger;
  /** Ends the pool only when it was opened here. */
  close(): Promise<void>;
}

export function openDatabase(target: DatabaseTarget, serviceName: string): OpenedDatabase {
  const logger = target.logger ?? createLogger({ serviceName });
  if (target.pool) return { pool: target.pool, logger, close: async () => undefined };
  const databaseUrl = target.databaseUrl ?? process.env.DATABASE_URL;
  if (!databaseUrl) throw new TypeError('Pass databaseUrl or pool (or set DATABASE_URL)');
  // Two connections: the migration runner holds one for its session-level lock
  // and a caller's maintenance may need another; more would only waste slots on
  // RDS Proxy or a small instance. A migration may rewrite a large table, so a
  // statement may run for minutes, but never past the migrate Lambda's 14 minutes.
  const pool = createPool({ connectionString: databaseUrl, applicationName: serviceName, max: 2, statementTimeoutMillis: 13 * 60_000, logger });
  return { pool, logger, close: () => pool.end() };
}

/** Runs `work` in a transaction on one client, rolling back on any error. */
export async function withTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * 1-based line of a PostgreSQL error position (a character offset into the
 * query text), so a failed migration points at the line to fix.
 */
export function lineOfPosition(sql: string, position: string | number | undefined): number | undefined {
  const offset = Number(position);
  if (!Number.isInteger(offset) || offset < 1) return undefined;
  return sql.slice(0, offset - 1).split('\n').length;
}
