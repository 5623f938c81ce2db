export { RedisRatesWriter } from './rates-writer';
export type { RatesWriterOptions } from './rates-writer';
export { collectorRedisOptions, createCollectorRedis, REDIS_KEEPALIVE_MS, redisTimeoutKind } from './client';
export type { CollectorRedisSettings } from './client';
export { writeInstruments } from './instruments-writer';
