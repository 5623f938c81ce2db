import { z } from 'zod';
import { databaseVariables } from '../../services/shared/db/env';
import { integerVariable } from '../../services/shared/env-schema';
import { loadEnv } from '../../services/shared/load-env';

const ingestSchema = z.object({
  ...databaseVariables,
  /** One Lambda container runs one batch at a time; a small pool keeps RDS Proxy's client count low. */
  DB_POOL_MAX: integerVariable(1, 100).default(2),
  DB_CONNECT_TIMEOUT_MS: integerVariable(100, 60_000).default(5_000),
  /** Well inside the function's timeout, so a hung statement fails the batch rather than the invocation. */
  DB_STATEMENT_TIMEOUT_MS: integerVariable(100, 600_000).default(15_000),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('MarketDataCollector'),
});

export interface IngestConfig {
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  metricsNamespace: string;
}

/** The ingest Lambda's environment, validated at cold start; the error names every bad variable. */
export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const e = loadEnv(ingestSchema, env, { component: 'ingest' });
  return { poolMax: e.DB_POOL_MAX, connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS, metricsNamespace: e.POWERTOOLS_METRICS_NAMESPACE };
}
