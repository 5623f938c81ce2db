export { PriceHistory } from './price-history';
export { RATE_WINDOWS_MS, RateEngine } from './rate-engine';
export type { RateEngineOptions, RateEngineSettings } from './rate-engine';
export { RecentMedian } from './recent-median';
export { WarmStart } from './warm-start';
export type { WarmStartOptions } from './warm-start';
