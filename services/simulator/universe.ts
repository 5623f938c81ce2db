import type { ExchangeInfoFilter, ExchangeInfoSymbol } from '../shared/binance';
import { BASE_ASSETS, QUOTE_ASSETS } from './assets';
import { E8, formatE8, parseE8 } from './decimal';
import { ExchangeInfoFormatError, SimulatorConfigError } from './errors';
import { Prng } from './prng';

/** One tradable pair as the simulator knows it. */
export interface SymbolSpec {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  /** exchangeInfo status; only TRADING symbols generate trades. */
  status: string;
  tickE8: number;
  stepE8: number;
  /** Filters exactly as exchangeInfo lists them (a real file's are kept verbatim). */
  filters: ExchangeInfoFilter[];
  /** Extra exchangeInfo fields of a real file, served back unchanged. */
  extra: Record<string, unknown>;
}

/** Rough USD value of a quote asset: sizes trades so their notional is realistic. */
const QUOTE_USD: Record<string, number> = { USDT: 1, FDUSD: 1, USDC: 1, TUSD: 1, DAI: 1, BTC: 40_000, ETH: 2_500, BNB: 350, EUR: 1.1, TRY: 0.04, BRL: 0.2, JPY: 0.007 };

export function quoteUsdValue(quoteAsset: string): number {
  return QUOTE_USD[quoteAsset] ?? 1;
}

/** Highest number of distinct synthetic names. */
export const MAX_SYNTHETIC_SYMBOLS = BASE_ASSETS.length * QUOTE_ASSETS.length - QUOTE_ASSETS.filter((q) => BASE_ASSETS.includes(q)).length;

/**
 * The first `count` synthetic pair names, most liquid first: every base against
 * USDT, then against FDUSD, BTC, ... so small universes look like the top of a real
 * exchange and 5,000 names are still all plausible.
 */
export function syntheticSymbolNames(count: number): Array<{ symbol: string; baseAsset: string; quoteAsset: string }> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SYNTHETIC_SYMBOLS) {
    throw new SimulatorConfigError(`symbols must be an integer between 1 and ${MAX_SYNTHETIC_SYMBOLS}, got ${count}`);
  }
  const names: Array<{ symbol: string; baseAsset: string; quoteAsset: string }> = [];
  for (const quoteAsset of QUOTE_ASSETS) {
    for (const baseAsset of BASE_ASSETS) {
      if (baseAsset === quoteAsset) continue;
      names.push({ symbol: baseAsset + quoteAsset, baseAsset, quoteAsset });
      if (names.length === count) return names;
    }
  }
  return names;
}

/** Tick with about six significant digits at `price`, as Binance sets PRICE_FILTER (never below 1e-8). */
export function tickForPrice(price: number): number {
  return Math.max(1, Math.round(10 ** (Math.floor(Math.log10(price)) - 5) * E8));
}

/** LOT_SIZE step: expensive assets trade in fractions, cheap ones in whole units. */
export function stepForPrice(price: number): number {
  const exponent = Math.min(0, Math.max(-8, -(Math.floor(Math.log10(price)) + 1)));
  return Math.round(10 ** exponent * E8);
}

function filtersFor(tickE8: number, stepE8: number): ExchangeInfoFilter[] {
  return [
    { filterType: 'PRICE_FILTER', minPrice: formatE8(tickE8), maxPrice: '1000000.00000000', tickSize: formatE8(tickE8) },
    { filterType: 'LOT_SIZE', minQty: formatE8(stepE8), maxQty: '9000000.00000000', stepSize: formatE8(stepE8) },
  ];
}

/** Typical price range of an asset quoted in `quoteAsset`, in that quote. */
export function priceRange(quoteAsset: string): [number, number] {
  const usd = quoteUsdValue(quoteAsset);
  return [Math.max(1e-6, 0.001 / usd), 60_000 / usd];
}

/** A start price for every spec, log-uniform over a realistic range and at least 1,000 ticks. */
export function startPrices(specs: readonly SymbolSpec[], rng: Prng): number[] {
  return specs.map((spec) => {
    const [min, max] = priceRange(spec.quoteAsset);
    const floor = (spec.tickE8 / E8) * 1000;
    return Math.max(floor, rng.logUniform(min, max));
  });
}

/** Synthetic universe: names from real assets, tick and step from a drawn start price. */
export function syntheticUniverse(count: number, rng: Prng): { specs: SymbolSpec[]; prices: number[] } {
  const specs: SymbolSpec[] = [];
  const prices: number[] = [];
  for (const name of syntheticSymbolNames(count)) {
    const [min, max] = priceRange(name.quoteAsset);
    const price = rng.logUniform(min, max);
    const tickE8 = tickForPrice(price);
    const stepE8 = stepForPrice(price);
    specs.push({ ...name, status: 'TRADING', tickE8, stepE8, filters: filtersFor(tickE8, stepE8), extra: {} });
    prices.push(Math.max(price, (tickE8 / E8) * 1000));
  }
  return { specs, prices };
}

/** A universe restricted to an explicit list of names (e.g. `['BTCUSDT','ETHBTC']`). */
export function listedUniverse(symbols: readonly string[], rng: Prng): { specs: SymbolSpec[]; prices: number[] } {
  const known = new Map(syntheticSymbolNames(MAX_SYNTHETIC_SYMBOLS).map((n) => [n.symbol, n]));
  const specs: SymbolSpec[] = [];
  const prices: number[] = [];
  for (const raw of symbols) {
    const symbol = raw.toUpperCase();
    const quoteAsset = QUOTE_ASSETS.find((q) => symbol.endsWith(q) && symbol.length > q.length);
    const name = known.get(symbol) ?? (quoteAsset ? { symbol, baseAsset: symbol.slice(0, -quoteAsset.length), quoteAsset } : undefined);
    if (!name || !/^[A-Z0-9]{2,20}$/.test(symbol)) throw new SimulatorConfigError(`symbol ${raw} is not a <BASE><QUOTE> pair with a known quote asset`);
    const [min, max] = priceRange(name.quoteAsset);
    const price = rng.logUniform(min, max);
    const tickE8 = tickForPrice(price);
    const stepE8 = stepForPrice(price);
    specs.push({ ...name, status: 'TRADING', tickE8, stepE8, filters: filtersFor(tickE8, stepE8), extra: {} });
    prices.push(Math.max(price, (tickE8 / E8) * 1000));
  }
  if (new Set(specs.map((s) => s.symbol)).size !== specs.length) throw new SimulatorConfigError('symbols contains duplicates');
  return { specs, prices };
}

function filterValue(filters: ExchangeInfoFilter[], type: string, key: string): string | undefined {
  const value = filters.find((f) => f.filterType === type)?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Universe from a real `GET /api/v3/exchangeInfo` response. Every symbol keeps its
 * status, filters and other fields; a zero tick or step (some real entries have one)
 * falls back to the smallest unit so prices stay positive.
 */
export function exchangeInfoUniverse(json: unknown): SymbolSpec[] {
  const symbols = (json as { symbols?: unknown })?.symbols;
  if (!Array.isArray(symbols) || symbols.length === 0) throw new ExchangeInfoFormatError('exchangeInfo has no symbols array');
  return symbols.map((entry: unknown, index: number) => {
    const item = entry as Partial<ExchangeInfoSymbol>;
    if (typeof item.symbol !== 'string' || typeof item.baseAsset !== 'string' || typeof item.quoteAsset !== 'string' || typeof item.status !== 'string' || !Array.isArray(item.filters)) {
      throw new ExchangeInfoFormatError(`exchangeInfo symbols[${index}] lacks symbol, status, baseAsset, quoteAsset or filters`);
    }
    const { symbol, status, baseAsset, quoteAsset, filters, ...extra } = item as ExchangeInfoSymbol;
    const tick = filterValue(filters, 'PRICE_FILTER', 'tickSize');
    const step = filterValue(filters, 'LOT_SIZE', 'stepSize');
    let tickE8: number;
    let stepE8: number;
    try {
      tickE8 = tick === undefined ? 1 : parseE8(tick) || 1;
      stepE8 = step === undefined ? 1 : parseE8(step) || 1;
    } catch (error) {
      throw new ExchangeInfoFormatError(`exchangeInfo ${symbol} has an invalid tickSize/stepSize`, { cause: error });
    }
    return { symbol, status, baseAsset, quoteAsset, filters, extra, tickE8, stepE8 };
  });
}

/** The exchangeInfo entry of a spec, in Binance's key order. */
export function exchangeInfoEntry(spec: SymbolSpec): ExchangeInfoSymbol {
  return { symbol: spec.symbol, status: spec.status, baseAsset: spec.baseAsset, quoteAsset: spec.quoteAsset, ...spec.extra, filters: spec.filters };
}
