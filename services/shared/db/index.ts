export { lineOfPosition, openDatabase, withTransaction } from './connection';
export type { DatabaseTarget, OpenedDatabase } from './connection';
export * from './migrations';
export { PartitionMaintenanceUnavailableError, runPartitionMaintenance, runPartitionMaintenanceOn } from './partitions';
export type { PartitioningStrategy, PartitionMaintenanceResult } from './partitions';
export { databaseUrlFromSecret, resolveDatabaseUrl } from './secret';
export type { SecretFetcher, SecretOverrides } from './secret';
