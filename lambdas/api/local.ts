import { createLogger, type Logger } from '../../services/shared/logger';
import { connectDependencies } from './dependencies';
import { createApiHandler, createReconciler, type ApiHandler } from './handler';
import type { ApiMetrics } from './operations';
import type { ReconcileResult } from './reconcile';

export interface LocalApiOptions {
  databaseUrl: string;
  redisUrl: string;
  readerArns: string[];
  adminArns: string[];
  logger?: Logger;
  metrics?: ApiMetrics;
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
  const deps = connectDependencies({ databaseUrl: options.databaseUrl, redisUrl: options.redisUrl, logger, metrics });
  const dependencies = async () => deps;
  return {
    handler: createApiHandler({ dependencies, principals: { readers: options.readerArns, admins: options.adminArns }, maxBodyBytes: 16_384, logger }),
    reconcile: createReconciler({ dependencies, logger }),
    close: () => deps.close(),
  };
}
