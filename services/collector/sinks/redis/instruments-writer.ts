import type Redis from 'ioredis';
import type { SymbolInfo } from '../../domain';
import { encodeInstrument, INSTRUMENTS_TTL_SECONDS, instrumentsKey } from '../../../shared/rates';

/** Fields per HSET: one command stays small whatever the size of the exchange's list. */
const FIELDS_PER_COMMAND = 500;

/**
 * Replaces `instruments:<exchange>` with `listed` in one MULTI, so a reader sees
 * the old list or the new one, never a mix or an empty key. An empty list is not
 * written: an exchange that lists nothing answered wrongly, and keeping the last
 * good list is better than refusing every pair.
 */
export async function writeInstruments(redis: Redis, exchange: string, listed: readonly SymbolInfo[]): Promise<number> {
  if (listed.length === 0) return 0;
  const key = instrumentsKey(exchange);
  const multi = redis.multi().del(key);
  for (let start = 0; start < listed.length; start += FIELDS_PER_COMMAND) {
    const fields: string[] = [];
    for (const info of listed.slice(start, start + FIELDS_PER_COMMAND)) fields.push(info.symbol, encodeInstrument({ native: info.nativeSymbol, tradable: info.tradable }));
    multi.hset(key, ...fields);
  }
  multi.expire(key, INSTRUMENTS_TTL_SECONDS);
  const results = await multi.exec();
  const failed = results?.find(([error]) => error !== null);
  if (failed) throw failed[0];
  return listed.length;
}
