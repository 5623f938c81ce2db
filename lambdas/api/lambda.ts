import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, ScheduledEvent } from 'aws-lambda';
import { resolveDatabaseUrl } from '../../services/shared/db';
import { ConfigError } from '../../services/shared/errors';
import { DependencyCache } from '../../services/shared/lifecycle';
import { createLogger } from '../../services/shared/logger';
import { loadApiConfig, type ApiConfig } from './config';
import { connectDependencies } from './dependencies';
import { createApiHandler, createReconciler, isScheduledEvent, type ApiHandler } from './handler';
import type { ApiDependencies, ApiMetrics } from './operations';
import type { ReconcileResult } from './reconcile';
import { cachedSigningKey, staticSigningKey, type SecretStage, type SecretVersion, type SigningKeySource } from './tokens';

async function readSecretVersion(secretArn: string, stage: SecretStage = 'AWSCURRENT'): Promise<SecretVersion> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const { SecretString, CreatedDate } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: stage }));
  return { value: SecretString, ...(CreatedDate ? { createdAt: CreatedDate } : {}) };
}

async function fetchSecretString(secretArn: string): Promise<string> {
  const { value } = await readSecretVersion(secretArn);
  if (!value) throw new ConfigError(`Secret ${secretArn} (REDIS_AUTH_SECRET_ARN) has no SecretString; store the Redis AUTH token as text`);
  return value;
}

/** The signing key lives outside the connection set, so a rebuilt connection set keeps the cached key. */
function streamTokenKeyOf(config: ApiConfig): SigningKeySource | undefined {
  if (config.streamTokenSecret) return staticSigningKey(config.streamTokenSecret);
  if (config.streamTokenSecretArn) return cachedSigningKey({ secretArn: config.streamTokenSecretArn, fetch: readSecretVersion });
  return undefined;
}

interface LambdaRuntime {
  handler: ApiHandler;
  reconcile: () => Promise<ReconcileResult>;
  metrics: Metrics;
}

let runtime: LambdaRuntime | undefined;

/** Built on the first invocation and kept for the container's life, with its connections. */
function buildRuntime(): LambdaRuntime {
  const config: ApiConfig = loadApiConfig();
  const logger = createLogger({ serviceName: 'config-api', persistentKeys: { stage: config.stage } });
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'MarketDataCollector', serviceName: 'config-api' });
  const streamTokenKey = streamTokenKeyOf(config);
  const recorder: ApiMetrics = { addMetric: (name, unit, value) => metrics.addMetric(name, unit as (typeof MetricUnit)[keyof typeof MetricUnit], value) };
  // One owner of one connection set for both halves, requests and the scheduled
  // reconciliation: whichever of them sees the credentials refused drops it for both.
  const dependencies = new DependencyCache<ApiDependencies>({
    name: 'config API connections',
    logger,
    create: async () => {
      const [databaseUrl, redisPassword] = await Promise.all([
        resolveDatabaseUrl(),
        config.redisPassword ?? (config.redisAuthSecretArn ? fetchSecretString(config.redisAuthSecretArn) : Promise.resolve(undefined)),
      ]);
      return connectDependencies({ databaseUrl, redisUrl: config.redisUrl, redisPassword, logger, metrics: recorder, statementTimeouts: config.statementTimeouts, streamTokenKey });
    },
    close: async (deps) => deps.close?.(),
  });
  return {
    handler: createApiHandler({ dependencies, principals: { readers: config.readerPrincipals, admins: config.adminPrincipals }, maxBodyBytes: config.maxBodyBytes, logger }),
    reconcile: createReconciler({ dependencies, logger }),
    metrics,
  };
}

/**
 * The Lambda entry point: API Gateway proxy events, and the EventBridge
 * schedule's events, which reconcile the Redis snapshot with PostgreSQL.
 */
export async function handler(event: APIGatewayProxyEvent | ScheduledEvent, context?: Context): Promise<APIGatewayProxyResult | ReconcileResult> {
  runtime ??= buildRuntime();
  try {
    if (isScheduledEvent(event)) return await runtime.reconcile();
    return await runtime.handler(event, context);
  } finally {
    runtime.metrics.publishStoredMetrics();
  }
}
