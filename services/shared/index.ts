export { CollectorError, ConfigError, errorMessage } from './errors';
export { createLogger } from './logger';
export type { Logger, LoggerOptions } from './logger';
export { CONFIG_SNAPSHOT_KEY, CONFIG_UPDATES_CHANNEL, configSnapshotSchema, runtimeSettingsSchema, symbolConfigSchema } from './config-snapshot';
export type { ConfigSnapshot, RuntimeSettings, SymbolConfig } from './config-snapshot';
export { LogThrottle } from './log-throttle';
export { exitGracefullyOnSignals, runMain } from './process';
export type { GracefulStopOptions } from './process';
export { urlVariable } from './env-schema';
