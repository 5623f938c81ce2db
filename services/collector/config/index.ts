export { loadCollectorConfig } from './schema';
export type { CollectorConfig, CollectorEnvironment } from './schema';
export { isInShard, shardOf } from './shard';
