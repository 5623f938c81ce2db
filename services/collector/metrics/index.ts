export { CollectorMetrics } from './collector-metrics';
