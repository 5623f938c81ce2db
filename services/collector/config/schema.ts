import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { urlVariable as url } from '../../shared/env-schema';
import { loadEnv } from '../../shared/load-env';
import { SYMBOL_PATTERN } from '../../shared/rates';
import { EXCHANGE_IDS, type ExchangeId } from '../exchange/create-adapter';

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const symbolList = z
  .string()
  .transform((value) => value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean))
  .refine((list) => list.length > 0, 'must name at least one symbol, or ALL')
  .refine((list) => list.every((s) => s === 'ALL' || SYMBOL_PATTERN.test(s)), 'symbols are 2-20 letters or digits, comma-separated (e.g. BTCUSDT,ETHUSDT)')
  .refine((list) => !list.includes('ALL') || list.length === 1, 'ALL cannot be combined with other symbols');

/**
 * Every environment variable the collector reads, with its default. Parsed once
 * at start-up; a bad value stops the process with a message naming the variable.
 */
const environmentSchema = z
  .object({
    EXCHANGE: z.enum(EXCHANGE_IDS).default('binance'),
    BINANCE_WS_URL: url(['ws:', 'wss:']).default('wss://stream.binance.com:9443'),
    BINANCE_REST_URL: url(['http:', 'https:']).default('https://api.binance.com'),
    OKX_WS_URL: url(['ws:', 'wss:']).default('wss://ws.okx.com:8443/ws/v5/public'),
    OKX_REST_URL: url(['http:', 'https:']).default('https://www.okx.com'),
    BYBIT_WS_URL: url(['ws:', 'wss:']).default('wss://stream.bybit.com/v5/public/spot'),
    BYBIT_REST_URL: url(['http:', 'https:']).default('https://api.bybit.com'),
    SYMBOLS: symbolList.default(['ALL']),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
    REDIS_PASSWORD: z.string().min(1).optional(),
    REDIS_TLS: z.enum(['true', 'false']).optional(),
    SQS_QUEUE_URL: url(['http:', 'https:']).optional(),
    SQS_MAX_MESSAGE_BYTES: integer(16_384, 1_048_576).default(262_144),
    SQS_REQUEST_TIMEOUT_MS: integer(100, 120_000).default(3000),
    SPILL_DIR: z.string().min(1).optional(),
    SPILL_MAX_BYTES: integer(1_048_576, 1_099_511_627_776).default(1_073_741_824),
    SPILL_ORPHAN_AFTER_MS: integer(30_000, 86_400_000).default(120_000),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: url(['http:', 'https:']).optional(),
    MAX_STREAMS_PER_CONNECTION: integer(1, 1024).default(200),
    PERSIST_INTERVAL_MS: integer(100, 3_600_000).default(1000),
    REDIS_TTL_SECONDS: integer(5, 86_400 * 7).default(300),
    REDIS_FLUSH_INTERVAL_MS: integer(1, 50).default(2),
    REDIS_COMMAND_TIMEOUT_MS: integer(100, 60_000).default(1500),
    HTTP_PORT: integer(0, 65_535).default(8080),
    COLLECTOR_ID: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits and . _ : - only, at most 64').optional(),
    LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).default('INFO'),
    SHARD_COUNT: integer(1, 1024).default(1),
    SHARD_INDEX: integer(0, 1023).default(0),
    MAX_CLOCK_DISTANCE_MS: integer(1000, 86_400_000).default(10 * 60_000),
    CONFIG_POLL_INTERVAL_MS: integer(500, 600_000).default(1000),
    REST_WEIGHT_LIMIT: integer(10, 1_000_000).default(6000),
    ANOMALY_THRESHOLD_PCT: z.coerce.number().positive().max(1000).default(10),
    STALE_AFTER_MS: integer(1000, 86_400_000).default(60_000),
    EVALUATION_INTERVAL_MS: integer(50, 1000).default(1000),
    WARM_START: z.enum(['true', 'false']).default('true'),
  })
  .refine((env) => env.SHARD_INDEX < env.SHARD_COUNT, { path: ['SHARD_INDEX'], message: 'must be less than SHARD_COUNT' });

export type CollectorEnvironment = z.output<typeof environmentSchema>;

export interface CollectorConfig {
  exchange: ExchangeId;
  /** The selected exchange's endpoints (BINANCE_*, OKX_* or BYBIT_*_URL); the adapter appends its path to a bare host. */
  wsUrl: string;
  restUrl: string;
  /** `['ALL']` or explicit upper-case symbols; used only when Redis holds no config snapshot. */
  symbols: string[];
  redisUrl: string;
  /** Explicit AUTH token (ElastiCache from Secrets Manager); overrides a password in the URL. */
  redisPassword?: string;
  /** TLS on (rediss:// or REDIS_TLS=true) or off; ElastiCache in-transit encryption needs it on. */
  redisTls: boolean;
  sqs?: { queueUrl: string; region: string; endpoint?: string; maxMessageBytes: number; spillDirectory: string; spillMaxBytes: number; spillOrphanAfterMs: number; requestTimeoutMs: number };
  awsRegion: string;
  awsEndpoint?: string;
  maxStreamsPerConnection: number;
  persistIntervalMs: number;
  redisTtlSeconds: number;
  redisFlushIntervalMs: number;
  /** Longest wait for a Redis reply; past it Redis counts as unavailable and the connection is replaced. */
  redisCommandTimeoutMs: number;
  httpPort: number;
  collectorId: string;
  logLevel: CollectorEnvironment['LOG_LEVEL'];
  shard: { count: number; index: number };
  maxClockDistanceMs: number;
  configPollIntervalMs: number;
  restWeightLimit: number;
  anomalyThresholdPct: number;
  staleAfterMs: number;
  evaluationIntervalMs: number;
  warmStart: boolean;
}

/** Parses the environment; throws ConfigError naming every bad variable and why. */
export function loadCollectorConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  // Empty strings come from templates and compose files; treat them as unset.
  const e = loadEnv(environmentSchema, env, { component: 'collector', emptyAsUnset: true });
  const endpoints = {
    binance: { ws: e.BINANCE_WS_URL, rest: e.BINANCE_REST_URL },
    okx: { ws: e.OKX_WS_URL, rest: e.OKX_REST_URL },
    bybit: { ws: e.BYBIT_WS_URL, rest: e.BYBIT_REST_URL },
  }[e.EXCHANGE];
  return {
    exchange: e.EXCHANGE,
    wsUrl: endpoints.ws.replace(/\/+$/, ''),
    restUrl: endpoints.rest.replace(/\/+$/, ''),
    symbols: e.SYMBOLS,
    redisUrl: e.REDIS_URL,
    redisPassword: e.REDIS_PASSWORD,
    redisTls: e.REDIS_TLS === undefined ? e.REDIS_URL.startsWith('rediss:') : e.REDIS_TLS === 'true',
    sqs: e.SQS_QUEUE_URL
      ? {
          queueUrl: e.SQS_QUEUE_URL,
          region: e.AWS_REGION,
          endpoint: e.AWS_ENDPOINT_URL,
          maxMessageBytes: e.SQS_MAX_MESSAGE_BYTES,
          // The root shared by the collectors of this machine; each spills into a directory of its own below it.
          spillDirectory: e.SPILL_DIR ?? join(tmpdir(), 'mdc-spill'),
          spillMaxBytes: e.SPILL_MAX_BYTES,
          spillOrphanAfterMs: e.SPILL_ORPHAN_AFTER_MS,
          requestTimeoutMs: e.SQS_REQUEST_TIMEOUT_MS,
        }
      : undefined,
    awsRegion: e.AWS_REGION,
    awsEndpoint: e.AWS_ENDPOINT_URL,
    maxStreamsPerConnection: e.MAX_STREAMS_PER_CONNECTION,
    persistIntervalMs: e.PERSIST_INTERVAL_MS,
    redisTtlSeconds: e.REDIS_TTL_SECONDS,
    redisFlushIntervalMs: e.REDIS_FLUSH_INTERVAL_MS,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    httpPort: e.HTTP_PORT,
    collectorId: e.COLLECTOR_ID ?? `${hostname()}-${process.pid}`,
    logLevel: e.LOG_LEVEL,
    shard: { count: e.SHARD_COUNT, index: e.SHARD_INDEX },
    maxClockDistanceMs: e.MAX_CLOCK_DISTANCE_MS,
    configPollIntervalMs: e.CONFIG_POLL_INTERVAL_MS,
    restWeightLimit: e.REST_WEIGHT_LIMIT,
    anomalyThresholdPct: e.ANOMALY_THRESHOLD_PCT,
    staleAfterMs: e.STALE_AFTER_MS,
    evaluationIntervalMs: e.EVALUATION_INTERVAL_MS,
    warmStart: e.WARM_START === 'true',
  };
}
