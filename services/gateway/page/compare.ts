import type { StreamRate } from '../client/rate-book';

/**
 * The exchanges side by side, without the DOM: what each exchange says about
 * one pair, the spread between the highest and the lowest price, which pair to
 * show first, and the keyboard moves of the exchange tabs. Pure, tested in Node.
 */

/** `waiting`: no snapshot yet; `empty`: the snapshot had nothing (no collector writes it); `live`: rates held. */
export type ExchangeStatus = 'waiting' | 'empty' | 'live';

export function exchangeStatus(snapshotSeen: boolean, size: number): ExchangeStatus {
  if (size > 0) return 'live';
  return snapshotSeen ? 'empty' : 'waiting';
}

/** What the page knows of one exchange: its status and its latest rates. */
export interface ExchangeRates {
  exchange: string;
  status: ExchangeStatus;
  get(symbol: string): StreamRate | undefined;
  symbols(): Iterable<string>;
}

export type ComparisonRow =
  | { exchange: string; kind: 'quoted'; rate: StreamRate; extreme?: 'high' | 'low' }
  /** The exchange has data, but not this pair. */
  | { exchange: string; kind: 'missing' }
  | { exchange: string; kind: 'empty' }
  | { exchange: string; kind: 'waiting' };

export interface Spread {
  high: { exchange: string; price: string };
  low: { exchange: string; price: string };
  /** high - low, exact in the exchanges' decimals. */
  absolute: string;
  /** (high - low) / low, in percent. */
  percent: number;
}

export interface Comparison {
  symbol: string;
  rows: ComparisonRow[];
  /** Only when at least two exchanges quote the pair. */
  spread?: Spread;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A non-negative decimal string as an integer and its scale; undefined for anything else. */
function parseDecimal(text: string): { units: bigint; scale: number } | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  return { units: BigInt(`${match[1]}${fraction}`), scale: fraction.length };
}

/**
 * `a - b` for two non-negative decimal strings, exactly (binary floats would print
 * 64003.2 - 64000.1 as 3.099999999994907), trailing zeros dropped; undefined when
 * either is not a plain decimal.
 */
export function subtractDecimals(a: string, b: string): string | undefined {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (!x || !y) return undefined;
  const scale = Math.max(x.scale, y.scale);
  const difference = x.units * 10n ** BigInt(scale - x.scale) - y.units * 10n ** BigInt(scale - y.scale);
  const negative = difference < 0n;
  const digits = (negative ? -difference : difference).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** The rows of `symbol` on every exchange, in the exchanges' order, and the spread across those that quote it. */
export function comparePair(symbol: string, exchanges: readonly ExchangeRates[]): Comparison {
  const rows: ComparisonRow[] = exchanges.map((entry) => {
    const rate = entry.get(symbol);
    if (rate) return { exchange: entry.exchange, kind: 'quoted', rate };
    if (entry.status === 'live') return { exchange: entry.exchange, kind: 'missing' };
    return { exchange: entry.exchange, kind: entry.status };
  });
  const quoted = rows.filter((row): row is Extract<ComparisonRow, { kind: 'quoted' }> => row.kind === 'quoted' && parseDecimal(row.rate.price) !== undefined);
  if (quoted.length < 2) return { symbol, rows };
  let high = quoted[0]!;
  let low = quoted[0]!;
  for (const row of quoted) {
    if (Number(row.rate.price) > Number(high.rate.price)) high = row;
    if (Number(row.rate.price) < Number(low.rate.price)) low = row;
  }
  // Equal prices everywhere: no exchange is the high or the low one.
  if (high !== low) {
    high.extreme = 'high';
    low.extreme = 'low';
  }
  const lowPrice = Number(low.rate.price);
  return {
    symbol,
    rows,
    spread: {
      high: { exchange: high.exchange, price: high.rate.price },
      low: { exchange: low.exchange, price: low.rate.price },
      absolute: subtractDecimals(high.rate.price, low.rate.price)!,
      percent: lowPrice > 0 ? ((Number(high.rate.price) - lowPrice) / lowPrice) * 100 : 0,
    },
  };
}

/** "0.005 %": spreads between exchanges are small, so three decimals. */
export function formatSpreadPercent(percent: number): string {
  return `${percent.toFixed(3)} %`;
}

/**
 * The pair the comparison opens with: `preferred` when any exchange quotes it,
 * else the pair quoted by the most exchanges (alphabetical among equals);
 * undefined while nothing is known.
 */
export function choosePair(exchanges: readonly ExchangeRates[], preferred = 'BTCUSDT'): string | undefined {
  const counts = new Map<string, number>();
  for (const entry of exchanges) for (const symbol of entry.symbols()) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  if (counts.has(preferred)) return preferred;
  let best: string | undefined;
  for (const [symbol, count] of counts) {
    const bestCount = best === undefined ? 0 : counts.get(best)!;
    if (count > bestCount || (count === bestCount && best !== undefined && symbol < best)) best = symbol;
  }
  return best;
}

/** Every pair of any exchange, sorted, at most `max` (the pair picker's suggestions stay a bounded list). */
export function pairOptions(exchanges: readonly ExchangeRates[], max: number): string[] {
  const all = new Set<string>();
  for (const entry of exchanges) for (const symbol of entry.symbols()) all.add(symbol);
  return [...all].sort().slice(0, max);
}

/** The tab a key moves to in a row of `count` tabs (WAI-ARIA tabs pattern: arrows wrap, Home, End); undefined for other keys. */
export function tabKeyTarget(key: string, index: number, count: number): number | undefined {
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}
