import { DependencyCache } from '../../services/shared/lifecycle';
import { createLogger, type Logger } from '../../services/shared/logger';
import { connectDependencies } from './dependencies';
import { createApiHandler, createReconciler, type ApiHandler } from './handler';
import type { ApiDependencies, ApiMetrics } from './operations';
import type { ReconcileResult } from './reconcile';

export interface LocalApiOptions {
  databaseUrl: string;
  redisUrl: string;
  readerArns: string[];
  adminArns: string[];
  logger?: Logger;
  metrics?: ApiMetrics;
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
  // The same single owner as the Lambda's, so refused credentials rebuild the connections here too.
  const dependencies = new DependencyCache<ApiDependencies>({
    name: 'config API connections',
    logger,
    create: async () => connect({ databaseUrl: options.databaseUrl, redisUrl: options.redisUrl, logger, metrics }),
    close: async (deps) => deps.close?.(),
  });
  return {
    handler: createApiHandler({ dependencies, principals: { readers: options.readerArns, admins: options.adminArns }, maxBodyBytes: 16_384, logger }),
    reconcile: createReconciler({ dependencies, logger }),
    close: () => dependencies.close(),
  };
}
