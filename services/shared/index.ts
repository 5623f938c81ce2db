export { CollectorError, ConfigError, errorMessage } from './errors';
export { createLogger } from './logger';
export type { Logger, LoggerOptions } from './logger';
