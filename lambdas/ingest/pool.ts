import type { Pool } from 'pg';
import { createPool } from '../../services/shared/db';
import type { Logger } from '../../services/shared/logger';

export interface IngestPoolOptions {
  connectionString: string;
  /** One Lambda container runs one batch at a time; a small pool keeps RDS Proxy's client count low. */
  max?: number;
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
  logger?: Logger;
}

/** The pool a container keeps across invocations: the shared bounded pool, named for pg_stat_activity. */
export function createIngestPool(options: IngestPoolOptions): Pool {
  return createPool({
    connectionString: options.connectionString,
    applicationName: 'mdc-ingest',
    max: options.max ?? 2,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    statementTimeoutMillis: options.statementTimeoutMillis ?? 15_000,
    logger: options.logger,
  });
}

export { resolveDatabaseUrl, type SecretFetcher } from '../../services/shared/db';
