import { Pool } from 'pg';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';

export interface PoolOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, so an operator can tell which component holds a connection. */
  applicationName: string;
  max?: number;
  connectionTimeoutMillis?: number;
  /** Server side: PostgreSQL cancels a statement running longer. */
  statementTimeoutMillis?: number;
  /** Client side: how long to wait for a reply; default the statement timeout plus 5 s. */
  queryTimeoutMillis?: number;
  idleTimeoutMillis?: number;
  logger?: Logger;
}

/**
 * The project's node-postgres pool. Every wait is bounded: the connection
 * attempt, each statement on the server (statement_timeout) and the client's
 * wait for a reply (query_timeout, for a server that vanished without closing
 * the socket), so an outage fails fast instead of hanging a Lambda until its
 * own timeout.
 */
export function createPool(options: PoolOptions): Pool {
  const statementTimeout = options.statementTimeoutMillis ?? 15_000;
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.max ?? 2,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    // Below RDS Proxy's idle client timeout (30 min by default) and short enough to drop sockets a frozen container kept.
    idleTimeoutMillis: options.idleTimeoutMillis ?? 60_000,
    statement_timeout: statementTimeout,
    query_timeout: options.queryTimeoutMillis ?? statementTimeout + 5_000,
    application_name: options.applicationName,
  });
  // An idle client whose server went away emits here; without a listener the process would crash.
  pool.on('error', (error) => options.logger?.warn('idle database connection failed', { applicationName: options.applicationName, error: errorMessage(error) }));
  // A checked-out client whose connection the server terminates (failover, an
  // administrator, an extension loader raising FATAL) also emits 'error', and the
  // pool listens only to idle ones. Its pending queries reject with the cause,
  // which is where callers handle it; this listener only keeps the event from
  // crashing the process.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.logger?.warn('database connection lost', { applicationName: options.applicationName, error: errorMessage(error) }));
  });
  return pool;
}

/**
 * `host:port/database` of a pool's server, for messages that must say which
 * server to look at; never the user or password.
 */
export function describeServer(pool: Pool): string {
  const options = (pool as unknown as { options: { connectionString?: string; host?: string; port?: number; database?: string } }).options;
  if (options.connectionString) {
    try {
      const url = new URL(options.connectionString);
      return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname || '/'}`;
    } catch {
      return 'the configured server';
    }
  }
  return `${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? ''}`;
}
