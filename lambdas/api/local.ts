import { DependencyCache } from '../../services/shared/lifecycle';
import { createLogger, type Logger } from '../../services/shared/logger';
import { connectDependencies } from './dependencies';
import { createApiHandler, createReconciler, type ApiHandler } from './handler';
import type { ApiDependencies, ApiMetrics } from './operations';
import type { ReconcileResult } from './reconcile';
import { staticSigningKey } from './tokens';

export interface LocalApiOptions {
  databaseUrl: string;
  redisUrl: string;
  readerArns: string[];
  adminArns: string[];
  logger?: Logger;
  metrics?: ApiMetrics;
  /**
   * The gateway's token signing key, for POST /v1/stream-tokens; default the
   * GATEWAY_TOKEN_SECRET variable, the one the local gateway verifies with.
   * Neither: the route answers 503.
   */
  streamTokenSecret?: string;
  /** Default connectDependencies; tests pass a seam to watch connections being replaced. */
  connect?: typeof connectDependencies;
}

export interface LocalApi {
  handler: ApiHandler;
  /** What the AWS schedule does every minute; the local gateway runs it on a timer. */
  reconcile(): Promise<ReconcileResult>;
  close(): Promise<void>;
}

/** The Lambda's handler with local connections, for the local gateway and tests. */
export async function createLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const logger = options.logger ?? createLogger({ serviceName: 'config-api' });
  const metrics: ApiMetrics = options.metrics ?? { addMetric: () => undefined };
  const connect = options.connect ?? connectDependencies;
  const secret = options.streamTokenSecret ?? (process.env.GATEWAY_TOKEN_SECRET || undefined);
  const streamTokenKey = secret === undefined ? undefined : staticSigningKey(secret);
  // The same single owner as the Lambda's, so refused credentials rebuild the connections here too.
  const dependencies = new DependencyCache<ApiDependencies>({
    name: 'config API connections',
    logger,
    create: async () => connect({ databaseUrl: options.databaseUrl, redisUrl: options.redisUrl, logger, metrics, ...(streamTokenKey ? { streamTokenKey } : {}) }),
    close: async (deps) => deps.close?.(),
  });
  return {
    handler: createApiHandler({ dependencies, principals: { readers: options.readerArns, admins: options.adminArns }, maxBodyBytes: 16_384, logger }),
    reconcile: createReconciler({ dependencies, logger }),
    close: () => dependencies.close(),
  };
}
