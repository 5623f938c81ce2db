import { z } from 'zod';
import { ConfigError } from '../../services/shared/errors';
import { databaseVariables } from '../../services/shared/db/env';
import { loadEnv } from '../../services/shared/load-env';
import { TOKEN_SECRET_MIN_LENGTH } from '../../services/shared/tokens';

const arnList = z
  .string()
  .transform((value) => value.split(',').map((arn) => arn.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+$/, 'an IAM role, user or assumed-role ARN')));

const envSchema = z.object({
  ...databaseVariables,
  API_READER_PRINCIPALS: arnList.default([]),
  API_ADMIN_PRINCIPALS: arnList.default([]),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379/0'),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** Secrets Manager secret holding the Redis AUTH token (the Lambda cannot take ECS-style secrets). */
  REDIS_AUTH_SECRET_ARN: z.string().startsWith('arn:').optional(),
  API_MAX_BODY_BYTES: z.coerce.number().int().min(256).max(1_048_576).default(16_384),
  API_STAGE: z.string().default('local'),
  /**
   * Per-route statement timeouts (ms), server side, per transaction: a read that
   * runs longer is cancelled and answered 503 QUERY_TIMEOUT, so it cannot hold
   * database CPU the ingest needs. History pages cost ~10-60 ms when the
   * database is idle (docs/api.md "Reads cannot starve ingest").
   */
  API_HISTORY_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(20_000).default(2_000),
  API_STATUS_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(20_000).default(2_000),
  /** Config reads and writes (transactions with row locks): the connection-wide bound. */
  API_CONFIG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(20_000).default(10_000),
  /**
   * The stream gateway's token signing key, for POST /v1/stream-tokens: the key
   * itself (local runs), or its Secrets Manager secret (AWS; AWSCURRENT, cached
   * a few minutes). Neither set: the API runs, and that route answers 503
   * STREAM_TOKENS_NOT_CONFIGURED naming both variables.
   */
  GATEWAY_TOKEN_SECRET: z.string().min(TOKEN_SECRET_MIN_LENGTH, `must have at least ${TOKEN_SECRET_MIN_LENGTH} characters`).optional(),
  GATEWAY_TOKEN_SECRET_ARN: z.string().startsWith('arn:', 'a Secrets Manager secret ARN').optional(),
});

/** Statement timeouts by route group, ms. */
export interface StatementTimeouts {
  history: number;
  status: number;
  config: number;
}

export const DEFAULT_STATEMENT_TIMEOUTS: StatementTimeouts = { history: 2_000, status: 2_000, config: 10_000 };

export interface ApiConfig {
  readerPrincipals: string[];
  adminPrincipals: string[];
  redisUrl: string;
  redisPassword: string | undefined;
  redisAuthSecretArn: string | undefined;
  maxBodyBytes: number;
  stage: string;
  statementTimeouts: StatementTimeouts;
  /** The stream token signing key, when given as a value; wins over the secret. */
  streamTokenSecret: string | undefined;
  streamTokenSecretArn: string | undefined;
}

/** The API's environment, validated once at cold start; the error names every bad variable. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = loadEnv(envSchema, env, { component: 'config API' });
  if (e.API_READER_PRINCIPALS.length === 0 && e.API_ADMIN_PRINCIPALS.length === 0) {
    throw new ConfigError('API_READER_PRINCIPALS and API_ADMIN_PRINCIPALS are both empty: nobody could call the API. Set them to the reader and admin role ARNs');
  }
  return {
    readerPrincipals: e.API_READER_PRINCIPALS,
    adminPrincipals: e.API_ADMIN_PRINCIPALS,
    redisUrl: e.REDIS_URL,
    redisPassword: e.REDIS_PASSWORD,
    redisAuthSecretArn: e.REDIS_AUTH_SECRET_ARN,
    maxBodyBytes: e.API_MAX_BODY_BYTES,
    stage: e.API_STAGE,
    statementTimeouts: { history: e.API_HISTORY_STATEMENT_TIMEOUT_MS, status: e.API_STATUS_STATEMENT_TIMEOUT_MS, config: e.API_CONFIG_STATEMENT_TIMEOUT_MS },
    streamTokenSecret: e.GATEWAY_TOKEN_SECRET,
    streamTokenSecretArn: e.GATEWAY_TOKEN_SECRET_ARN,
  };
}
