export { rankKey, rateKey, ratesChannel, RATE_WINDOWS, statusKey, symbolIndexKey } from './keys';
export type { RateWindow } from './keys';
export { parsePreviousState } from './previous-state';
export { formatChange, RedisRatesWriter } from './rates-writer';
export type { RatesWriterOptions, RateState } from './rates-writer';
export { collectorRedisOptions, createCollectorRedis, REDIS_KEEPALIVE_MS, redisTimeoutKind } from './client';
export type { CollectorRedisSettings } from './client';
