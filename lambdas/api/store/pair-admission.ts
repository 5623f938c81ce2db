import type { InstrumentLookup } from '../cache/instruments-reader';
import { ApiError } from '../errors';

/** What trading_pairs says about one pair. */
export interface PairListing {
  /** trading_pairs has the pair's row. */
  listed: boolean;
  /** trading_pairs lists at least one pair of the exchange. */
  knownExchange: boolean;
  /** The pair's status there (TRADING, BREAK, HALT, ...); null when it is not listed. */
  status: string | null;
}

/**
 * Where the platform's trading_pairs lists an exchange's pairs, only those may
 * be configured; an exchange it does not list at all is not checked (the table
 * may be filled by another service, later or never). A listed pair the exchange
 * does not trade (BREAK, HALT, delisted) cannot be enabled: its streams carry
 * nothing, so the collector would report it silent while the API said success.
 * Disabling it stays allowed, so an operator can always stop collecting.
 */
export function checkPairAdmission(listing: PairListing, exchange: string, symbol: string, enabled: boolean): void {
  if (listing.knownExchange && !listing.listed) {
    throw new ApiError(422, 'UNKNOWN_PAIR', `${symbol} is not among the ${exchange} pairs in trading_pairs; check the symbol, or add the pair to trading_pairs first`, {
      details: [{ field: 'path.symbol', reason: 'not listed in trading_pairs' }],
    });
  }
  if (enabled && listing.listed && listing.status !== 'TRADING') {
    throw new ApiError(409, 'PAIR_NOT_TRADING', `${exchange}:${symbol} has status ${listing.status ?? 'NULL'} in trading_pairs, not TRADING; it can be enabled once the exchange trades it again (disabling it is allowed)`, {
      details: [{ field: 'body.enabled', reason: `the pair's status is ${listing.status ?? 'NULL'}, not TRADING` }],
    });
  }
}

/**
 * The same rule against the instrument list the exchange's collector published
 * (`instruments:<exchange>`): it covers exchanges trading_pairs does not list,
 * such as OKX and Bybit, with the exchange's own view of what trades now.
 */
export function checkInstrumentAdmission(lookup: InstrumentLookup, exchange: string, symbol: string, enabled: boolean): void {
  // Disabling stays allowed, also for a pair the exchange stopped listing: an operator can always stop collecting.
  if (!lookup.known || !enabled) return;
  if (!lookup.listing) {
    throw new ApiError(422, 'UNKNOWN_PAIR', `${exchange} does not list ${symbol} (its collector's instrument list); check the symbol: base and quote in upper case, e.g. BTCUSDT`, {
      details: [{ field: 'path.symbol', reason: `not listed by ${exchange}` }],
    });
  }
  if (!lookup.listing.tradable) {
    throw new ApiError(409, 'PAIR_NOT_TRADING', `${exchange} lists ${symbol} (${lookup.listing.native}) but does not trade it now; it can be enabled once the exchange trades it again (disabling it is allowed)`, {
      details: [{ field: 'body.enabled', reason: `${exchange} does not trade the pair now` }],
    });
  }
}
