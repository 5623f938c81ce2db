import { z } from 'zod';
import { integerVariable as integer, urlVariable as url } from '../shared/env-schema';
import { loadEnv } from '../shared/load-env';
import { EXCHANGE_PATTERN } from '../shared/rates';
import { TOKEN_SECRET_MIN_LENGTH } from './tokens';

/** The exchanges a gateway serves unless GATEWAY_EXCHANGES says otherwise: every exchange a collector can run for. */
export const DEFAULT_GATEWAY_EXCHANGES: readonly string[] = ['binance', 'okx', 'bybit'];

const secret = z.string().min(TOKEN_SECRET_MIN_LENGTH, `must have at least ${TOKEN_SECRET_MIN_LENGTH} characters`);

/**
 * Every environment variable the gateway reads, with its default (docs/stream.md
 * lists them). A bad value stops the process with a message naming the variable.
 */
const environmentSchema = z
  .object({
    GATEWAY_PORT: integer(0, 65_535).default(8090),
    GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
    REDIS_PASSWORD: z.string().min(1).optional(),
    REDIS_TLS: z.enum(['true', 'false']).optional(),
    REDIS_COMMAND_TIMEOUT_MS: integer(100, 60_000).default(1500),
    GATEWAY_EXCHANGES: z
      .string()
      .transform((value) => [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))])
      .refine((list) => list.length > 0 && list.every((e) => EXCHANGE_PATTERN.test(e)), 'a comma list of exchange names (lower-case letters or digits), e.g. binance')
      .default([...DEFAULT_GATEWAY_EXCHANGES]),
    GATEWAY_AUTH: z.enum(['none', 'token']).default('none'),
    GATEWAY_TOKEN_SECRET: secret.optional(),
    GATEWAY_TOKEN_SECRET_PREVIOUS: secret.optional(),
    GATEWAY_TOKEN_SECRET_ARN: z.string().startsWith('arn:', 'must be a Secrets Manager secret ARN').optional(),
    GATEWAY_TOKEN_REFRESH_MS: integer(10_000, 86_400_000).default(300_000),
    GATEWAY_CONFLATE_MS: integer(0, 60_000).default(250),
    GATEWAY_MAX_CONNECTIONS: integer(1, 1_000_000).default(20_000),
    GATEWAY_MAX_CONNECTIONS_PER_IP: integer(1, 1_000_000).default(100),
    GATEWAY_MAX_SUBSCRIPTIONS: integer(1, 100_000).default(500),
    GATEWAY_MAX_MESSAGE_BYTES: integer(256, 1_048_576).default(16_384),
    GATEWAY_MESSAGE_RATE: integer(1, 10_000).default(20),
    GATEWAY_MESSAGE_BURST: integer(1, 10_000).default(40),
    GATEWAY_MAX_BUFFERED_BYTES: integer(16_384, 67_108_864).default(1_048_576),
    GATEWAY_SLOW_CLIENT_MS: integer(100, 600_000).default(10_000),
    GATEWAY_MOVERS_INTERVAL_MS: integer(100, 60_000).default(1000),
    GATEWAY_MOVERS_MAX_LIMIT: integer(1, 500).default(50),
    GATEWAY_HEALTH_INTERVAL_MS: integer(200, 60_000).default(2000),
    GATEWAY_CHART_SECONDS: integer(60, 86_400).default(900),
    GATEWAY_CHART_MAX_SYMBOLS: integer(1, 100_000).default(5_000),
    GATEWAY_PAGE_DIR: z.string().min(1).optional(),
    GATEWAY_TRUST_PROXY: z.enum(['true', 'false']).default('false'),
    LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).default('INFO'),
  })
  .refine((env) => env.GATEWAY_AUTH !== 'token' || env.GATEWAY_TOKEN_SECRET !== undefined || env.GATEWAY_TOKEN_SECRET_ARN !== undefined, {
    path: ['GATEWAY_TOKEN_SECRET'],
    message: 'is required when GATEWAY_AUTH=token (or GATEWAY_TOKEN_SECRET_ARN, the key in Secrets Manager)',
  })
  .refine((env) => env.GATEWAY_TOKEN_SECRET === undefined || env.GATEWAY_TOKEN_SECRET_ARN === undefined, {
    path: ['GATEWAY_TOKEN_SECRET_ARN'],
    message: 'and GATEWAY_TOKEN_SECRET are both set; give the key one way',
  });

export interface GatewayConfig {
  port: number;
  host: string;
  redisUrl: string;
  redisPassword?: string;
  redisTls: boolean;
  redisCommandTimeoutMs: number;
  /**
   * The exchanges whose `rates:{exchange}` channels the gateway subscribes; others are refused.
   * One without a collector is served empty (empty snapshots and movers), never an error.
   */
  exchanges: string[];
  auth: 'none' | 'token';
  /** Verification keys given by environment, current first; empty with auth none or with a secret ARN. */
  tokenSecrets: string[];
  /** With auth token in AWS: the keys come from this Secrets Manager secret (AWSCURRENT, AWSPREVIOUS). */
  tokenSecretArn?: string;
  tokenRefreshMs: number;
  conflateMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxSubscriptions: number;
  maxMessageBytes: number;
  messageRate: number;
  messageBurst: number;
  /** A client whose socket holds more than this is not written to (its updates conflate). */
  maxBufferedBytes: number;
  /** A client behind for this long is closed with 1013. */
  slowClientMs: number;
  moversIntervalMs: number;
  moversMaxLimit: number;
  healthIntervalMs: number;
  /** How far back the chart channel reaches, one point per second. */
  chartSeconds: number;
  /** Symbols the chart book records at most (21.6 KB each at 15 minutes). */
  chartMaxSymbols: number;
  /** The built dashboard page (index.html, styles.css, app.js); unset: built in memory at start-up. */
  pageDir?: string;
  /** Behind a load balancer: the client address is the last X-Forwarded-For entry. */
  trustProxy: boolean;
  logLevel: string;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const e = loadEnv(environmentSchema, env, { component: 'gateway', emptyAsUnset: true });
  return {
    port: e.GATEWAY_PORT,
    host: e.GATEWAY_HOST,
    redisUrl: e.REDIS_URL,
    ...(e.REDIS_PASSWORD ? { redisPassword: e.REDIS_PASSWORD } : {}),
    redisTls: e.REDIS_TLS === 'true' || e.REDIS_URL.startsWith('rediss:'),
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    exchanges: e.GATEWAY_EXCHANGES,
    auth: e.GATEWAY_AUTH,
    tokenSecrets: e.GATEWAY_AUTH === 'token' && e.GATEWAY_TOKEN_SECRET ? [e.GATEWAY_TOKEN_SECRET, ...(e.GATEWAY_TOKEN_SECRET_PREVIOUS ? [e.GATEWAY_TOKEN_SECRET_PREVIOUS] : [])] : [],
    ...(e.GATEWAY_AUTH === 'token' && e.GATEWAY_TOKEN_SECRET_ARN ? { tokenSecretArn: e.GATEWAY_TOKEN_SECRET_ARN } : {}),
    tokenRefreshMs: e.GATEWAY_TOKEN_REFRESH_MS,
    conflateMs: e.GATEWAY_CONFLATE_MS,
    maxConnections: e.GATEWAY_MAX_CONNECTIONS,
    maxConnectionsPerIp: e.GATEWAY_MAX_CONNECTIONS_PER_IP,
    maxSubscriptions: e.GATEWAY_MAX_SUBSCRIPTIONS,
    maxMessageBytes: e.GATEWAY_MAX_MESSAGE_BYTES,
    messageRate: e.GATEWAY_MESSAGE_RATE,
    messageBurst: e.GATEWAY_MESSAGE_BURST,
    maxBufferedBytes: e.GATEWAY_MAX_BUFFERED_BYTES,
    slowClientMs: e.GATEWAY_SLOW_CLIENT_MS,
    moversIntervalMs: e.GATEWAY_MOVERS_INTERVAL_MS,
    moversMaxLimit: e.GATEWAY_MOVERS_MAX_LIMIT,
    healthIntervalMs: e.GATEWAY_HEALTH_INTERVAL_MS,
    chartSeconds: e.GATEWAY_CHART_SECONDS,
    chartMaxSymbols: e.GATEWAY_CHART_MAX_SYMBOLS,
    ...(e.GATEWAY_PAGE_DIR ? { pageDir: e.GATEWAY_PAGE_DIR } : {}),
    trustProxy: e.GATEWAY_TRUST_PROXY === 'true',
    logLevel: e.LOG_LEVEL,
  };
}
