/**
 * The instrument list a collector last loaded from its exchange, kept in Redis so
 * the config API can refuse a pair the exchange does not list without calling the
 * exchange itself: hash `instruments:<exchange>`, field = the project's symbol
 * (`BTCUSDT`), value = `T:` (tradable) or `N:` (listed, not trading now) followed
 * by the exchange's own id (`BTC-USDT` on OKX). Replaced whole on each load, with
 * a TTL, so a delisted pair drops out and an exchange no collector runs any more
 * stops being checked.
 */
export const instrumentsKey = (exchange: string) => `instruments:${exchange}`;

/** Refreshed far more often (hourly, and on every start) than this expires. */
export const INSTRUMENTS_TTL_SECONDS = 7 * 86_400;

export interface InstrumentListing {
  native: string;
  tradable: boolean;
}

export const encodeInstrument = (listing: InstrumentListing): string => `${listing.tradable ? 'T' : 'N'}:${listing.native}`;

/** Undefined for a value this contract did not write. */
export function decodeInstrument(value: string | null | undefined): InstrumentListing | undefined {
  if (!value || value.length < 3 || value[1] !== ':' || (value[0] !== 'T' && value[0] !== 'N')) return undefined;
  return { tradable: value[0] === 'T', native: value.slice(2) };
}
