import type { Pool } from 'pg';
import { createPool, resolveDatabaseUrl } from '../../services/shared/db';
import { DependencyCache } from '../../services/shared/lifecycle';
import type { Logger } from '../../services/shared/logger';
import type { IngestConfig } from './config';

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

/**
 * The pool's owner for a container (or the local runner): built on first use
 * with the URL resolved then (maybe from Secrets Manager), rebuilt after the
 * database refused its password, so a rotation is picked up without a restart.
 */
export function createIngestPools(config: IngestConfig, logger: Logger, max = config.poolMax): DependencyCache<Pool> {
  return new DependencyCache<Pool>({
    name: 'ingest pool',
    logger,
    create: async () =>
      createIngestPool({
        connectionString: await resolveDatabaseUrl(),
        logger,
        max,
        connectionTimeoutMillis: config.connectTimeoutMs,
        statementTimeoutMillis: config.statementTimeoutMs,
      }),
    close: (pool) => pool.end(),
  });
}

export { resolveDatabaseUrl, type SecretFetcher } from '../../services/shared/db';
