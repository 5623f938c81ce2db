/**
 * Redis key layout of the design's contract ("Redis (contract)"). The collector
 * writes these names, the config API and the stream gateway read them; this is
 * the one place they are spelled.
 */
export const RATE_WINDOWS = ['1m', '5m', '15m'] as const;
export type RateWindow = (typeof RATE_WINDOWS)[number];

/** Window lengths in ms, for code that computes over them. */
export const RATE_WINDOWS_MS: Readonly<Record<RateWindow, number>> = { '1m': 60_000, '5m': 300_000, '15m': 900_000 };

/** The hash field holding the change of each window. */
export const CHANGE_FIELDS = { '1m': 'change_1m', '5m': 'change_5m', '15m': 'change_15m' } as const;
export type ChangeField = (typeof CHANGE_FIELDS)[RateWindow];

export const isRateWindow = (value: unknown): value is RateWindow => typeof value === 'string' && (RATE_WINDOWS as readonly string[]).includes(value);

/** Exchange names as the collector and the API accept them. */
export const EXCHANGE_PATTERN = /^[a-z0-9]{2,20}$/;
/** Symbols as the collector writes them: upper-case letters and digits. */
export const SYMBOL_PATTERN = /^[A-Z0-9]{2,20}$/;

export const rateKey = (exchange: string, symbol: string) => `rates:${exchange}:${symbol}`;
export const rankKey = (exchange: string, window: RateWindow) => `rates:${exchange}:rank:${window}`;
/**
 * Every symbol with a live hash, score 0 (so members list in byte order): what
 * `GET /v1/rates` pages through instead of SCANning the keyspace. Symbols with no
 * change known yet are in no rank set, so the rank sets cannot serve.
 */
export const symbolIndexKey = (exchange: string) => `rates:${exchange}:index`;
export const ratesChannel = (exchange: string) => `rates:${exchange}`;
export const STATUS_KEY_PREFIX = 'status:collector:';
export const statusKey = (collectorId: string) => `${STATUS_KEY_PREFIX}${collectorId}`;

/** The SCAN pattern of one exchange's rates hashes (it also matches the rank sets: filter with parseRateKey). */
export const rateKeyPattern = (exchange: string) => `rates:${exchange}:*`;

const RATE_KEY = /^rates:([a-z0-9]{2,20}):([A-Z0-9]{2,20})$/;

/** Exchange and symbol of a rates hash key; undefined for rank sets and other keys under `rates:`. */
export function parseRateKey(key: string): { exchange: string; symbol: string } | undefined {
  const match = RATE_KEY.exec(key);
  return match ? { exchange: match[1]!, symbol: match[2]! } : undefined;
}
