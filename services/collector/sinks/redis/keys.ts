/** Redis key layout of the design's contract; frontends and the API read the same names. */
export const rateKey = (exchange: string, symbol: string) => `rates:${exchange}:${symbol}`;
export const rankKey = (exchange: string, window: RateWindow) => `rates:${exchange}:rank:${window}`;
export const ratesChannel = (exchange: string) => `rates:${exchange}`;
export const statusKey = (collectorId: string) => `status:collector:${collectorId}`;

export const RATE_WINDOWS = ['1m', '5m', '15m'] as const;
export type RateWindow = (typeof RATE_WINDOWS)[number];
