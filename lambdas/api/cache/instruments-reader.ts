import type Redis from 'ioredis';
import { decodeInstrument, instrumentsKey, type InstrumentListing } from '../../../services/shared/rates';

/** What the collector of an exchange last listed about one pair. */
export type InstrumentLookup = { known: false } | { known: true; listing: InstrumentListing | undefined };

/**
 * Reads `instruments:<exchange>`, written by the exchange's collector each time it
 * lists the exchange (start-up and hourly). `known: false` when no collector of
 * that exchange published a list (none ran, or the key expired): nothing to check against.
 */
export class InstrumentsReader {
  constructor(private readonly redis: Redis) {}

  async lookup(exchange: string, symbol: string): Promise<InstrumentLookup> {
    const key = instrumentsKey(exchange);
    const [exists, value] = await Promise.all([this.redis.exists(key), this.redis.hget(key, symbol)]);
    if (exists === 0) return { known: false };
    return { known: true, listing: decodeInstrument(value) };
  }
}
