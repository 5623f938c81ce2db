import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger } from '@aws-lambda-powertools/logger';

export interface LoggerOptions {
  serviceName: string;
  /** Overrides LOG_LEVEL; Powertools reads POWERTOOLS_LOG_LEVEL / LOG_LEVEL otherwise. */
  logLevel?: string;
  persistentKeys?: Record<string, string | number>;
}

/**
 * Structured JSON logs through Powertools, the same library the lambdas use, so
 * the collector's and the lambdas' lines share one shape in CloudWatch Logs Insights.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = (options.logLevel ?? process.env.LOG_LEVEL ?? 'INFO').toUpperCase();
  return new Logger({
    serviceName: options.serviceName,
    logLevel: level as 'INFO',
    persistentKeys: options.persistentKeys ?? {},
  });
}
