import type { Node } from 'constructs';
import { DEFAULT_EXCHANGE_ENDPOINTS, EXCHANGE_IDS, isExchangeId, type ExchangeEndpoints, type ExchangeId } from './exchanges';
import { DEFAULT_ALLOCATED_STORAGE_GIB, DEFAULT_MAX_ALLOCATED_STORAGE_GIB } from './sizing';

/**
 * A context value the app cannot build from. `key` is the context key to change
 * (`cdk.json` "context" or `-c key=value`); the message says what is accepted.
 */
export class ContextError extends Error {
  readonly code = 'INVALID_CONTEXT';
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ContextError';
  }
}

/**
 * Everything a deployment can change, read from CDK context (`cdk.json` or
 * `cdk deploy -c key=value`). Values from the command line arrive as strings,
 * so numbers are parsed and checked here: a bad value stops the synth with a
 * message naming the key instead of producing a template that fails to deploy.
 */
export interface AppConfig {
  /** Stage name: prefixes the stack name and resource names (`MarketData-<stage>`). */
  stageName: string;
  /**
   * Exchanges to collect (`-c exchanges=binance,okx,bybit`): one set of collector
   * services per exchange, each process running one (`EXCHANGE`). Kept in the
   * order of EXCHANGE_IDS whatever order the context lists them in, so the
   * dashboard and alarm list do not change with the spelling of the list.
   */
  exchanges: ExchangeId[];
  /** Default collector shards of an exchange: one ECS service per shard, each with SHARD_INDEX / SHARD_COUNT. */
  shardCount: number;
  /**
   * Shards per deployed exchange: `shardCount`, unless the `shards` context
   * (`-c shards=okx=2,bybit=1`, or an object in cdk.json) gives the exchange its own.
   */
  shards: Partial<Record<ExchangeId, number>>;
  /** Tasks per shard; 2 runs two collectors on the same symbols (active-active). */
  tasksPerShard: number;
  /** Fargate task CPU units (256 = 0.25 vCPU) and memory of one collector task. */
  collectorCpu: number;
  collectorMemoryMiB: number;
  /** SYMBOLS of the collector when Redis holds no configuration: `ALL` or a comma list. */
  symbols: string;
  /** Alarm notifications are e-mailed here when set. */
  alarmEmail?: string;
  /** Ingest event source: records per invocation, seconds to gather them, concurrent invocations. */
  ingestBatchSize: number;
  ingestMaxBatchingWindowSeconds: number;
  ingestMaxConcurrency: number;
  /**
   * Reserved concurrency of the config API function: the most requests (and
   * database statements) it runs at once; docs/api.md "Reads cannot starve ingest".
   */
  apiReservedConcurrency: number;
  /** RDS instance class without the `db.` prefix, e.g. `t4g.medium`, `m7g.large`. */
  dbInstanceClass: string;
  /**
   * Initial and maximum (storage autoscaling) RDS storage in GiB. The defaults
   * come from lib/sizing.ts: what 1,500 symbols need at the default retentions
   * (docs/database.md "Sizing"); raise them with the symbol count or a retention.
   */
  dbAllocatedStorageGiB: number;
  dbMaxAllocatedStorageGiB: number;
  /** ElastiCache node type, e.g. `cache.t4g.small`. */
  redisNodeType: string;
  /** CloudWatch Logs retention of every log group the app creates, in days. */
  logRetentionDays: number;
  /** ADOT collector image of the metrics sidecar (pinned tag). */
  adotImage: string;
  binanceWsUrl: string;
  binanceRestUrl: string;
  okxWsUrl: string;
  okxRestUrl: string;
  bybitWsUrl: string;
  bybitRestUrl: string;
  /** ACM certificate ARN of the stream gateway's HTTPS listener. */
  gatewayCertificateArn?: string;
  /**
   * Serve the gateway over plain HTTP, on a test stage without a domain: the
   * reason it is acceptable there (shown as a synth warning). Exactly one of
   * this and gatewayCertificateArn.
   */
  gatewayHttpOnlyReason?: string;
  /** WAF rate-based rule on the gateway's load balancer: requests per 5 minutes per IP; no web ACL when unset. */
  gatewayWafRateLimit?: number;
  /** Gateway tasks: autoscaling bounds (CPU and connections per task). */
  gatewayMinTasks: number;
  gatewayMaxTasks: number;
}

export const DEFAULT_CONFIG: AppConfig = {
  stageName: 'dev',
  exchanges: ['binance'],
  shardCount: 1,
  shards: {},
  tasksPerShard: 2,
  collectorCpu: 512,
  collectorMemoryMiB: 1024,
  symbols: 'ALL',
  ingestBatchSize: 100,
  ingestMaxBatchingWindowSeconds: 2,
  ingestMaxConcurrency: 4,
  apiReservedConcurrency: 10,
  dbInstanceClass: 't4g.medium',
  dbAllocatedStorageGiB: DEFAULT_ALLOCATED_STORAGE_GIB,
  dbMaxAllocatedStorageGiB: DEFAULT_MAX_ALLOCATED_STORAGE_GIB,
  redisNodeType: 'cache.t4g.small',
  logRetentionDays: 30,
  adotImage: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.42.0',
  binanceWsUrl: DEFAULT_EXCHANGE_ENDPOINTS.binance.wsUrl,
  binanceRestUrl: DEFAULT_EXCHANGE_ENDPOINTS.binance.restUrl,
  okxWsUrl: DEFAULT_EXCHANGE_ENDPOINTS.okx.wsUrl,
  okxRestUrl: DEFAULT_EXCHANGE_ENDPOINTS.okx.restUrl,
  bybitWsUrl: DEFAULT_EXCHANGE_ENDPOINTS.bybit.wsUrl,
  bybitRestUrl: DEFAULT_EXCHANGE_ENDPOINTS.bybit.restUrl,
  gatewayMinTasks: 2,
  gatewayMaxTasks: 10,
};

/** Fargate CPU units and the memory sizes (MiB) each allows. */
const FARGATE_MEMORY: Record<number, (m: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};

/** CloudWatch Logs accepts only these retention periods. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

function integer(key: string, raw: unknown, min: number, max: number): number {
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ContextError(key, `Context ${key}=${String(raw)} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function text(key: string, raw: unknown, pattern: RegExp, hint: string): string {
  const value = String(raw).trim();
  if (!pattern.test(value)) throw new ContextError(key, `Context ${key}=${value} is invalid: ${hint}`);
  return value;
}

/** Most shards one exchange may have: one ECS service each. */
export const MAX_SHARDS_PER_EXCHANGE = 64;

/**
 * The `exchanges` context: a comma list (`binance,okx`) or, in cdk.json, an
 * array. Known ids only, each once, at least one; returned in EXCHANGE_IDS order.
 */
export function parseExchanges(raw: unknown): ExchangeId[] {
  const shown = Array.isArray(raw) ? raw.join(',') : String(raw);
  const items = (Array.isArray(raw) ? raw.map(String) : String(raw).split(',')).map((item) => item.trim().toLowerCase());
  const known = EXCHANGE_IDS.join(', ');
  if (items.every((item) => item === '')) {
    throw new ContextError('exchanges', `Context exchanges=${shown} is invalid: name at least one exchange (${known}), e.g. -c exchanges=binance,okx`);
  }
  const seen = new Set<ExchangeId>();
  for (const item of items) {
    if (!isExchangeId(item)) throw new ContextError('exchanges', `Context exchanges=${shown} is invalid: "${item}" is not an exchange; use a comma list of ${known}`);
    if (seen.has(item)) throw new ContextError('exchanges', `Context exchanges=${shown} is invalid: ${item} is listed twice`);
    seen.add(item);
  }
  return EXCHANGE_IDS.filter((id) => seen.has(id));
}

/**
 * The `shards` context: per-exchange shard counts overriding `shardCount`, as
 * `okx=2,bybit=1` (command line) or `{"okx": 2}` (cdk.json). Every exchange it
 * names must be deployed: a count for one that is not is a typo or a
 * forgotten `exchanges` entry, and silently ignoring it would deploy fewer
 * shards than intended.
 */
export function parseShards(raw: unknown, exchanges: readonly ExchangeId[], defaultCount: number): Partial<Record<ExchangeId, number>> {
  const entries: [string, unknown][] = [];
  if (raw !== undefined && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    entries.push(...Object.entries(raw));
  } else if (raw !== undefined && raw !== null && String(raw).trim() !== '') {
    for (const part of String(raw).split(',')) {
      const match = /^\s*([A-Za-z]+)\s*=\s*(\S*)\s*$/.exec(part);
      if (!match) throw new ContextError('shards', `Context shards=${String(raw)} is invalid: "${part.trim()}" is not exchange=count; use e.g. -c shards=okx=2,bybit=1`);
      entries.push([match[1]!, match[2]!]);
    }
  }
  const overrides = new Map<ExchangeId, number>();
  for (const [name, value] of entries) {
    const exchange = name.trim().toLowerCase();
    if (!isExchangeId(exchange)) throw new ContextError('shards', `Context shards names "${name}", which is not an exchange (${EXCHANGE_IDS.join(', ')})`);
    if (!exchanges.includes(exchange)) {
      throw new ContextError('shards', `Context shards gives ${exchange} a shard count, but exchanges=${exchanges.join(',')} does not deploy it: add it to exchanges or remove it from shards`);
    }
    if (overrides.has(exchange)) throw new ContextError('shards', `Context shards gives ${exchange} a shard count twice`);
    overrides.set(exchange, integer(`shards (${exchange})`, value, 1, MAX_SHARDS_PER_EXCHANGE));
  }
  return Object.fromEntries(exchanges.map((exchange) => [exchange, overrides.get(exchange) ?? defaultCount]));
}

/** What one exchange's collector services are built from. */
export interface CollectorDeployment {
  exchange: ExchangeId;
  shardCount: number;
  endpoints: ExchangeEndpoints;
}

/** One entry per deployed exchange, in EXCHANGE_IDS order. */
export function collectorDeployments(config: AppConfig): CollectorDeployment[] {
  const endpoints: Record<ExchangeId, ExchangeEndpoints> = {
    binance: { wsUrl: config.binanceWsUrl, restUrl: config.binanceRestUrl },
    okx: { wsUrl: config.okxWsUrl, restUrl: config.okxRestUrl },
    bybit: { wsUrl: config.bybitWsUrl, restUrl: config.bybitRestUrl },
  };
  return config.exchanges.map((exchange) => ({ exchange, shardCount: config.shards[exchange] ?? config.shardCount, endpoints: endpoints[exchange] }));
}

/**
 * What `bin/app.ts` builds, from the `target` context key (`-c target=localstack`):
 * `aws` (default) the production stack `MarketData-<stage>`, `localstack` the stack
 * `MarketData-local` for LocalStack's free tier (`lib/local-stack.ts`, docs/localstack.md).
 */
export type DeployTarget = 'aws' | 'localstack';
export const DEPLOY_TARGETS: readonly DeployTarget[] = ['aws', 'localstack'];

/** Reads the `target` context key; throws on an unknown value. */
export function loadTarget(node: Node): DeployTarget {
  const raw: unknown = node.tryGetContext('target') ?? 'aws';
  const value = String(raw).trim();
  const target = DEPLOY_TARGETS.find((t) => t === value);
  if (!target) throw new ContextError('target', `Context target=${value} is invalid: one of ${DEPLOY_TARGETS.join(', ')}`);
  return target;
}

/** An optional context value: absent, or an empty string (cdk.json's placeholder), is unset. */
function optional<T>(raw: unknown, parse: (raw: unknown) => T): T | undefined {
  return raw === undefined || raw === null || String(raw).trim() === '' ? undefined : parse(raw);
}

/** Reads the configuration from context, falling back to DEFAULT_CONFIG; throws on invalid values. */
export function loadConfig(node: Node, overrides: Partial<AppConfig> = {}): AppConfig {
  const get = <K extends keyof AppConfig>(key: K): unknown => overrides[key] ?? node.tryGetContext(key) ?? DEFAULT_CONFIG[key];
  const exchanges = parseExchanges(get('exchanges'));
  const shardCount = integer('shardCount', get('shardCount'), 1, MAX_SHARDS_PER_EXCHANGE);
  const wsUrl = (key: 'binanceWsUrl' | 'okxWsUrl' | 'bybitWsUrl') => text(key, get(key), /^wss?:\/\/\S+$/, 'a ws:// or wss:// URL');
  const restUrl = (key: 'binanceRestUrl' | 'okxRestUrl' | 'bybitRestUrl') => text(key, get(key), /^https?:\/\/\S+$/, 'an http:// or https:// URL');
  const config: AppConfig = {
    stageName: text('stageName', get('stageName'), /^[a-z][a-z0-9-]{0,15}$/, 'lower-case letters, digits and -, at most 16, starting with a letter'),
    exchanges,
    shardCount,
    shards: parseShards(get('shards'), exchanges, shardCount),
    tasksPerShard: integer('tasksPerShard', get('tasksPerShard'), 1, 10),
    collectorCpu: integer('collectorCpu', get('collectorCpu'), 256, 4096),
    collectorMemoryMiB: integer('collectorMemoryMiB', get('collectorMemoryMiB'), 512, 30720),
    symbols: text('symbols', get('symbols'), /^(ALL|[A-Z0-9]{2,20}(,[A-Z0-9]{2,20})*)$/, 'ALL or a comma list of upper-case symbols (BTCUSDT,ETHUSDT)'),
    alarmEmail: get('alarmEmail') === undefined || get('alarmEmail') === '' ? undefined : text('alarmEmail', get('alarmEmail'), /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address'),
    ingestBatchSize: integer('ingestBatchSize', get('ingestBatchSize'), 1, 10_000),
    ingestMaxBatchingWindowSeconds: integer('ingestMaxBatchingWindowSeconds', get('ingestMaxBatchingWindowSeconds'), 0, 300),
    ingestMaxConcurrency: integer('ingestMaxConcurrency', get('ingestMaxConcurrency'), 2, 1000),
    apiReservedConcurrency: integer('apiReservedConcurrency', get('apiReservedConcurrency'), 1, 100),
    dbInstanceClass: text('dbInstanceClass', get('dbInstanceClass'), /^[a-z0-9]+\.[a-z0-9]+$/, 'an instance class without the db. prefix, e.g. t4g.medium'),
    dbAllocatedStorageGiB: integer('dbAllocatedStorageGiB', get('dbAllocatedStorageGiB'), 20, 65_536),
    dbMaxAllocatedStorageGiB: integer('dbMaxAllocatedStorageGiB', get('dbMaxAllocatedStorageGiB'), 20, 65_536),
    redisNodeType: text('redisNodeType', get('redisNodeType'), /^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'an ElastiCache node type, e.g. cache.t4g.small'),
    logRetentionDays: integer('logRetentionDays', get('logRetentionDays'), 1, 3653),
    adotImage: text('adotImage', get('adotImage'), /^[\w./-]+:[\w.-]+$/, 'an image reference with a pinned tag'),
    binanceWsUrl: wsUrl('binanceWsUrl'),
    binanceRestUrl: restUrl('binanceRestUrl'),
    okxWsUrl: wsUrl('okxWsUrl'),
    okxRestUrl: restUrl('okxRestUrl'),
    bybitWsUrl: wsUrl('bybitWsUrl'),
    bybitRestUrl: restUrl('bybitRestUrl'),
    gatewayCertificateArn: optional(get('gatewayCertificateArn'), (raw) =>
      text('gatewayCertificateArn', raw, /^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate\/[A-Za-z0-9-]+$/, 'an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)'),
    ),
    gatewayHttpOnlyReason: optional(get('gatewayHttpOnlyReason'), (raw) => text('gatewayHttpOnlyReason', raw, /^.{10,300}$/, 'say in 10 to 300 characters why plain HTTP is acceptable on this stage')),
    // WAF accepts 10 to 2,000,000,000 requests per 5 minutes; below 100 a page reload storm of one office would trip it.
    gatewayWafRateLimit: optional(get('gatewayWafRateLimit'), (raw) => integer('gatewayWafRateLimit', raw, 100, 2_000_000_000)),
    gatewayMinTasks: integer('gatewayMinTasks', get('gatewayMinTasks'), 2, 100),
    gatewayMaxTasks: integer('gatewayMaxTasks', get('gatewayMaxTasks'), 2, 100),
  };
  if (!FARGATE_MEMORY[config.collectorCpu]?.(config.collectorMemoryMiB)) {
    throw new Error(`collectorCpu=${config.collectorCpu} / collectorMemoryMiB=${config.collectorMemoryMiB} is not a Fargate size (see the Fargate task size table)`);
  }
  if (config.ingestBatchSize > 10 && config.ingestMaxBatchingWindowSeconds < 1) {
    throw new Error('ingestBatchSize above 10 needs ingestMaxBatchingWindowSeconds of at least 1 (an SQS event source rule)');
  }
  if (config.dbMaxAllocatedStorageGiB < config.dbAllocatedStorageGiB) {
    throw new Error('dbMaxAllocatedStorageGiB must be at least dbAllocatedStorageGiB');
  }
  // Neither is refused where the gateway is built (the AWS stack; the LocalStack one has none).
  if (config.gatewayCertificateArn !== undefined && config.gatewayHttpOnlyReason !== undefined) {
    throw new Error('Give one of gatewayCertificateArn (the HTTPS listener of the stream gateway) and gatewayHttpOnlyReason (a test stage served over plain HTTP, with the reason), not both');
  }
  if (config.gatewayMaxTasks < config.gatewayMinTasks) {
    throw new Error('gatewayMaxTasks must be at least gatewayMinTasks');
  }
  if (!RETENTION_DAYS.includes(config.logRetentionDays)) {
    throw new Error(`logRetentionDays=${config.logRetentionDays} is not a CloudWatch Logs retention period (${RETENTION_DAYS.join(', ')})`);
  }
  return config;
}
