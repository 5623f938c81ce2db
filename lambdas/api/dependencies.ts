import Redis, { type RedisOptions } from 'ioredis';
import { createPool } from '../../services/shared/db';
import { errorMessage } from '../../services/shared/errors';
import type { Logger } from '../../services/shared/logger';
import { RatesReader } from './cache/rates-reader';
import { InstrumentsReader } from './cache/instruments-reader';
import { DEFAULT_STATEMENT_TIMEOUTS, type StatementTimeouts } from './config';
import { SnapshotPublisher } from './cache/snapshot-publisher';
import { createOpenApiDocument } from './openapi';
import type { ApiDependencies, ApiMetrics } from './operations';
import { ConfigStore } from './store/config-store';
import { HistoryStore } from './store/history-store';
import type { SigningKeySource } from './tokens';

export interface ConnectOptions {
  databaseUrl: string;
  redisUrl: string;
  redisPassword?: string;
  logger: Logger;
  metrics: ApiMetrics;
  /** Pool size; a Lambda container serves one request at a time. */
  poolMax?: number;
  /** Per-route statement timeouts; default DEFAULT_STATEMENT_TIMEOUTS. */
  statementTimeouts?: Partial<StatementTimeouts>;
  /** The stream token signing key; without one POST /v1/stream-tokens answers 503. */
  streamTokenKey?: SigningKeySource;
}

/**
 * Every wait is bounded well inside API Gateway's 29 s integration timeout:
 * connecting, each statement, each Redis command. A backing service that hangs
 * makes the request fail with 503 in seconds instead of timing out at the gateway.
 */
export function connectDependencies(options: ConnectOptions): ApiDependencies & { close(): Promise<void> } {
  const timeouts: StatementTimeouts = { ...DEFAULT_STATEMENT_TIMEOUTS, ...options.statementTimeouts };
  const pool = createPool({
    connectionString: options.databaseUrl,
    applicationName: 'mdc-config-api',
    max: options.poolMax ?? 2,
    connectionTimeoutMillis: 3_000,
    // The connection-wide bound (config routes); read routes set their own, lower, per transaction.
    statementTimeoutMillis: timeouts.config,
    queryTimeoutMillis: Math.max(timeouts.config, timeouts.history, timeouts.status) + 2_000,
    logger: options.logger,
  });
  const redisOptions: RedisOptions = {
    connectTimeout: 3_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 1,
    ...(options.redisPassword ? { password: options.redisPassword } : {}),
  };
  const redis = new Redis(options.redisUrl, redisOptions);
  redis.on('error', (error) => options.logger.debug('redis connection error; ioredis reconnects', { error: errorMessage(error) }));
  let document: Record<string, unknown> | undefined;
  return {
    pool,
    redis,
    configStore: new ConfigStore(pool),
    historyStore: new HistoryStore(pool, { statementTimeoutMs: timeouts.history }),
    statementTimeouts: timeouts,
    ...(options.streamTokenKey ? { streamTokenKey: options.streamTokenKey } : {}),
    rates: new RatesReader(redis),
    instruments: new InstrumentsReader(redis),
    publisher: new SnapshotPublisher(redis),
    logger: options.logger,
    metrics: options.metrics,
    openApiDocument: () => (document ??= createOpenApiDocument()),
    close: async () => {
      redis.disconnect();
      await pool.end();
    },
  };
}
