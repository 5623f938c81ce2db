import { CollectorError } from '../errors';
import { rateFieldsFromHash, type RateFields } from './hash';
import { SYMBOL_PATTERN } from './keys';

/** A `rates:{exchange}` message that is not a JSON array of rates hashes. */
export class RatesMessageError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RATES_MESSAGE_INVALID', message, options);
  }
}

export interface DecodedRatesMessage {
  /** The valid elements, in message order. */
  rates: RateFields[];
  /** Elements that were not rates hashes (skipped, so one bad element does not lose the others). */
  invalid: number;
}

/** The most elements one message may carry; the collector publishes at most 200 per script call. */
export const MAX_RATES_PER_MESSAGE = 10_000;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined);

/**
 * Decodes a `rates:{exchange}` pub/sub message: the JSON array of updated hashes,
 * each with its `symbol`, that APPLY_RATES_SCRIPT publishes once per flush (cjson
 * turns every value into a string; numbers are accepted too). Throws
 * RatesMessageError for anything but an array; elements are validated like a hash.
 */
export function decodeRatesMessage(message: string): DecodedRatesMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch (error) {
    throw new RatesMessageError('rates message is not JSON', { cause: error });
  }
  if (!Array.isArray(parsed)) throw new RatesMessageError('rates message is not a JSON array');
  if (parsed.length > MAX_RATES_PER_MESSAGE) throw new RatesMessageError(`rates message has ${parsed.length} elements, more than ${MAX_RATES_PER_MESSAGE}`);
  const rates: RateFields[] = [];
  let invalid = 0;
  for (const element of parsed) {
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      invalid++;
      continue;
    }
    const record = element as Record<string, unknown>;
    const symbol = record.symbol;
    if (typeof symbol !== 'string' || !SYMBOL_PATTERN.test(symbol)) {
      invalid++;
      continue;
    }
    const hash: Record<string, string | undefined> = {
      price: text(record.price),
      ts: text(record.ts),
      tradeTs: text(record.tradeTs),
      change_1m: text(record.change_1m),
      change_5m: text(record.change_5m),
      change_15m: text(record.change_15m),
      flags: typeof record.flags === 'string' ? record.flags : undefined,
    };
    const fields = rateFieldsFromHash(symbol, hash);
    if (fields) rates.push(fields);
    else invalid++;
  }
  return { rates, invalid };
}
