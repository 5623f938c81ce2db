/**
 * The flags a rate carries (comma list in the hash's `flags` field, empty when none):
 * - `backfilled`: a window's reference price comes from REST klines, not live trades yet;
 * - `stale`: no trade for longer than STALE_AFTER_MS;
 * - `anomaly`: the price jumped beyond ANOMALY_THRESHOLD_PCT;
 * - `gap`: the stream had a gap inside a window.
 */
export const RATE_FLAGS = ['backfilled', 'stale', 'anomaly', 'gap'] as const;
export type RateFlag = (typeof RATE_FLAGS)[number];

const KNOWN = new Set<string>(RATE_FLAGS);

export const isRateFlag = (value: string): value is RateFlag => KNOWN.has(value);

/** The hash form: comma-separated, empty when none. */
export const encodeFlags = (flags: readonly string[]): string => flags.join(',');

/** Known flags of a `flags` field, in their order; unknown or empty entries are dropped. */
export const decodeFlags = (text: string | undefined): RateFlag[] => (text ? text.split(',').filter(isRateFlag) : []);
