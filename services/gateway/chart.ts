import type { RateFields } from '../shared/rates';

export interface ChartBookOptions {
  /** How far back a chart reaches, in seconds (one point per second). */
  seconds: number;
  /** Symbols recorded at most, over all exchanges; beyond it new symbols are not recorded (counted). */
  maxSymbols: number;
  /** Called for each rate of a new symbol the full book does not record (the gateway counts it). */
  onRefused?: () => void;
}

/** One symbol's last `seconds` seconds: slot = second % seconds. */
interface Ring {
  /** The second (epoch s) each slot holds, 0 when empty. */
  seconds: Float64Array;
  /** The rate's `ts` (ms) of the slot's price: a later rate of the same second replaces it, an earlier one does not. */
  ts: Float64Array;
  prices: Float64Array;
}

/**
 * The recent price of every symbol the gateway sees, one point per second,
 * so a chart opened now shows the last minutes at once instead of starting
 * empty. Recorded from the rates channel every gateway already follows, so any
 * task behind the load balancer answers the same; no Redis read, no database.
 *
 * Memory is fixed per symbol (three Float64Arrays of `seconds`: 21.6 KB for
 * 15 minutes) and the symbol count is capped, so the whole book is bounded
 * (5,000 symbols × 15 minutes = 108 MB at most; 2,000 symbols = 43 MB).
 * Prices are kept as numbers: a chart needs no exact decimal string (the
 * rates channel carries those).
 */
export class ChartBook {
  private readonly rings = new Map<string, Ring>();
  /** Rates of symbols not recorded because the book was full. */
  refused = 0;

  constructor(private readonly options: ChartBookOptions) {
    if (!Number.isInteger(options.seconds) || options.seconds < 1) throw new RangeError(`chart seconds must be a positive integer, got ${options.seconds}`);
  }

  get symbols(): number {
    return this.rings.size;
  }

  record(exchange: string, rates: readonly RateFields[]): void {
    for (const rate of rates) {
      const ts = Number(rate.ts);
      const price = Number(rate.price);
      if (!Number.isFinite(ts) || !Number.isFinite(price)) continue;
      const key = `${exchange}:${rate.symbol}`;
      let ring = this.rings.get(key);
      if (!ring) {
        if (this.rings.size >= this.options.maxSymbols) {
          this.refused += 1;
          this.options.onRefused?.();
          continue;
        }
        const n = this.options.seconds;
        ring = { seconds: new Float64Array(n), ts: new Float64Array(n), prices: new Float64Array(n) };
        this.rings.set(key, ring);
      }
      const second = Math.floor(ts / 1000);
      const slot = second % this.options.seconds;
      // Two collectors publish the same symbol: within a second the newest ts wins, never an older one.
      if (ring.seconds[slot] === second && ring.ts[slot]! > ts) continue;
      if (ring.seconds[slot]! > second) continue;
      ring.seconds[slot] = second;
      ring.ts[slot] = ts;
      ring.prices[slot] = price;
    }
  }

  /** `[ts, price]` pairs of the last `seconds` seconds before `nowMs`, oldest first; empty for a symbol never seen. */
  points(exchange: string, symbol: string, nowMs: number): Array<[number, string]> {
    const ring = this.rings.get(`${exchange}:${symbol}`);
    if (!ring) return [];
    const oldest = Math.floor(nowMs / 1000) - this.options.seconds;
    const out: Array<[number, string]> = [];
    for (let slot = 0; slot < this.options.seconds; slot += 1) {
      const second = ring.seconds[slot]!;
      if (second > oldest) out.push([ring.ts[slot]!, String(ring.prices[slot]!)]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }
}
