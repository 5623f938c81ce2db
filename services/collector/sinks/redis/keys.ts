/** Redis key layout of the design's contract; frontends and the API read the same names. */
export const rateKey = (exchange: string, symbol: string) => `rates:${exchange}:${symbol}`;
export const rankKey = (exchange: string, window: RateWindow) => `rates:${exchange}:rank:${window}`;
/**
 * Every symbol with a live hash, score 0 (so members list in byte order): what
 * `GET /v1/rates` pages through instead of SCANning the keyspace. Symbols with no
 * change known yet are in no rank set, so the rank sets cannot serve.
 */
export const symbolIndexKey = (exchange: string) => `rates:${exchange}:index`;
export const ratesChannel = (exchange: string) => `rates:${exchange}`;
export const statusKey = (collectorId: string) => `status:collector:${collectorId}`;

export const RATE_WINDOWS = ['1m', '5m', '15m'] as const;
export type RateWindow = (typeof RATE_WINDOWS)[number];
