import { Pool } from 'pg';
import { errorMessage } from '../../services/shared/errors';
import type { Logger } from '../../services/shared/logger';

export interface IngestPoolOptions {
  connectionString: string;
  /** One Lambda container runs one batch at a time; a small pool keeps RDS Proxy's client count low. */
  max?: number;
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
  logger?: Logger;
}

/**
 * The pool a container keeps across invocations. Every wait is bounded: the
 * connection attempt, each statement on the server (statement_timeout) and the
 * client's wait for a reply (query_timeout, for a server that vanished without
 * closing the socket), so a database outage fails the batch well inside the
 * Lambda timeout instead of hanging it.
 */
export function createIngestPool(options: IngestPoolOptions): Pool {
  const statementTimeout = options.statementTimeoutMillis ?? 15_000;
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.max ?? 2,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    // Below RDS Proxy's idle client timeout (30 min by default) and short enough to drop sockets a frozen container kept.
    idleTimeoutMillis: 60_000,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 5_000,
    application_name: 'mdc-ingest',
  });
  // An idle client whose server went away emits here; without a listener the process would crash.
  pool.on('error', (error) => options.logger?.warn('idle database connection failed', { error: errorMessage(error) }));
  return pool;
}

/** What `GetSecretValue` returns for an RDS secret; fields other than the password may be absent (RDS-managed master secrets). */
export { resolveDatabaseUrl, type SecretFetcher } from '../../services/shared/db';
