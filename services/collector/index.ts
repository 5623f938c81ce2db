export { Collector, newestMessageAt } from './collector';
export type { CollectorEvents, CollectorOptions, CollectorState } from './collector';
export { loadCollectorConfig } from './config';
export type { CollectorConfig } from './config';
export { CollectorMetrics } from './metrics';
