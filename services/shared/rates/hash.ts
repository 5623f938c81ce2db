import { decodeFlags, encodeFlags, type RateFlag } from './flags';

/** The newest state of one symbol as the collector computes it: what `rates:{exchange}:{SYMBOL}` holds. */
export interface RateState {
  symbol: string;
  /** Exchange price string of the latest trade. */
  priceText: string;
  /** Evaluation time on the exchange clock, epoch ms; never moves back in Redis. */
  ts: number;
  /** Trade time of the latest trade, epoch ms. */
  tradeTs: number;
  /** Percent changes; undefined when unknown (the hash field is then absent). */
  change1m?: number;
  change5m?: number;
  change15m?: number;
  flags: readonly string[];
  /** performance.now() at receipt of the trade behind this state, for the latency histogram. */
  receivedAtMono?: number;
}

/**
 * A rates hash in its Redis form, and the RATE of the stream gateway: every value
 * the exchange string or decimal text the collector wrote; a change absent when unknown.
 */
export interface RateFields {
  symbol: string;
  price: string;
  ts: string;
  tradeTs: string;
  change_1m?: string;
  change_5m?: string;
  change_15m?: string;
  flags: string;
}

/** A rates hash as typed values (the config API's Rate without `exchange` and `time`). */
export interface Rate {
  symbol: string;
  /** Exchange price string, exact. */
  price: string;
  ts: number;
  tradeTs: number;
  change_1m: number | null;
  change_5m: number | null;
  change_15m: number | null;
  flags: RateFlag[];
}

/** How a change travels in Redis: up to 8 decimals, no trailing zeros, empty when unknown. */
export const formatChange = (value: number | undefined): string => {
  if (value === undefined || !Number.isFinite(value)) return '';
  // toFixed never uses exponent notation (String(5e-7) would); trailing zeros go.
  const fixed = value.toFixed(8).replace(/\.?0+$/, '');
  return fixed === '-0' ? '0' : fixed;
};

/** The hash fields of a state exactly as APPLY_RATES_SCRIPT writes them (and publishes, with `symbol`). */
export function encodeRateHash(state: RateState): RateFields {
  const fields: RateFields = { symbol: state.symbol, price: state.priceText, ts: String(state.ts), tradeTs: String(state.tradeTs), flags: encodeFlags(state.flags) };
  const c1 = formatChange(state.change1m);
  const c5 = formatChange(state.change5m);
  const c15 = formatChange(state.change15m);
  if (c1 !== '') fields.change_1m = c1;
  if (c5 !== '') fields.change_5m = c5;
  if (c15 !== '') fields.change_15m = c15;
  return fields;
}

/**
 * The 8 script arguments of one state for APPLY_RATES_SCRIPT: symbol, ts, price,
 * tradeTs, change_1m, change_5m, change_15m, flags (an empty change: unknown, the field is removed).
 */
export function rateScriptArgs(state: RateState): (string | number)[] {
  return [state.symbol, state.ts, state.priceText, state.tradeTs, formatChange(state.change1m), formatChange(state.change5m), formatChange(state.change15m), encodeFlags(state.flags)];
}

/** Beyond what a Date holds is not a time the collector wrote. */
const isEpochMs = (value: number) => Number.isSafeInteger(value) && Math.abs(value) <= 8.64e15;

const changeOf = (text: string | undefined): number | null => {
  if (text === undefined || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
};

/**
 * A rates hash (HGETALL reply, or one element of a channel message) as typed
 * values; undefined when it is not a rates hash: no price, no or a malformed `ts`
 * (an expired key answers `{}`). Absent, empty or non-numeric changes are null
 * (unknown); unknown flags are dropped; a missing or malformed `tradeTs` is `ts`.
 */
export function decodeRateHash(symbol: string, hash: Readonly<Record<string, string | undefined>>): Rate | undefined {
  const price = hash.price;
  if (price === undefined || price === '' || hash.ts === undefined || hash.ts === '') return undefined;
  const ts = Number(hash.ts);
  if (!isEpochMs(ts)) return undefined;
  const tradeTs = hash.tradeTs === undefined || hash.tradeTs === '' ? ts : Number(hash.tradeTs);
  return {
    symbol,
    price,
    ts,
    tradeTs: Number.isFinite(tradeTs) ? tradeTs : ts,
    change_1m: changeOf(hash.change_1m),
    change_5m: changeOf(hash.change_5m),
    change_15m: changeOf(hash.change_15m),
    flags: decodeFlags(hash.flags),
  };
}

/**
 * The string form (RateFields) of a rates hash, validated by decodeRateHash, so
 * the gateway forwards the collector's exact texts; undefined when it is not a rates hash.
 * Unknown changes are left out, unknown flags dropped.
 */
export function rateFieldsFromHash(symbol: string, hash: Readonly<Record<string, string | undefined>>): RateFields | undefined {
  const rate = decodeRateHash(symbol, hash);
  if (!rate) return undefined;
  const fields: RateFields = { symbol, price: rate.price, ts: String(rate.ts), tradeTs: String(rate.tradeTs), flags: rate.flags.join(',') };
  if (rate.change_1m !== null) fields.change_1m = hash.change_1m!;
  if (rate.change_5m !== null) fields.change_5m = hash.change_5m!;
  if (rate.change_15m !== null) fields.change_15m = hash.change_15m!;
  return fields;
}

/**
 * A rates hash as the collector's RateState (the collector's resume path reads its
 * own hashes back after a restart); undefined when it is not a rates hash.
 */
export function rateStateFromHash(symbol: string, hash: Readonly<Record<string, string | undefined>>): RateState | undefined {
  const rate = decodeRateHash(symbol, hash);
  if (!rate) return undefined;
  return {
    symbol,
    priceText: rate.price,
    ts: rate.ts,
    tradeTs: rate.tradeTs,
    change1m: rate.change_1m ?? undefined,
    change5m: rate.change_5m ?? undefined,
    change15m: rate.change_15m ?? undefined,
    flags: rate.flags,
  };
}

/**
 * The `prev` field APPLY_RATES_SCRIPT keeps in a rates hash: the last state of the
 * interval before the current one, `|`-separated as ts, price, tradeTs, change_1m,
 * change_5m, change_15m, flags. Undefined for anything malformed (a hash written
 * by an older collector has no such field at all).
 */
export function decodePreviousState(symbol: string, text: string): RateState | undefined {
  const parts = text.split('|');
  if (parts.length !== 7) return undefined;
  const [ts, price, tradeTs, change1m, change5m, change15m, flags] = parts as [string, string, string, string, string, string, string];
  const number = (value: string) => (value === '' ? undefined : Number(value));
  const state: RateState = {
    symbol,
    priceText: price,
    ts: Number(ts),
    tradeTs: tradeTs === '' ? Number(ts) : Number(tradeTs),
    change1m: number(change1m),
    change5m: number(change5m),
    change15m: number(change15m),
    flags: flags === '' ? [] : flags.split(','),
  };
  const finite = [state.ts, state.tradeTs, state.change1m ?? 0, state.change5m ?? 0, state.change15m ?? 0].every(Number.isFinite);
  return finite && price !== '' ? state : undefined;
}
