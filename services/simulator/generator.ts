import { E8, roundToStep } from './decimal';
import type { AggTradeRecord } from './history';
import type { Market, SymbolState } from './market';
import { AliasTable, Prng } from './prng';
import { quoteUsdValue } from './universe';

const SECONDS_PER_YEAR = 365 * 24 * 3600;
/** Zipf exponent of trade rates by rank: the top pair gets ~25 % of all trades. */
const ZIPF_EXPONENT = 1.3;
/** Share of symbols (outside the top 10) that are nearly dormant, as on a real exchange. */
const DORMANT_SHARE = 0.15;
const DORMANT_FACTOR = 0.01;
/** After an event-loop stall longer than this, the missed trades are skipped rather than burst out. */
const MAX_CATCH_UP_MS = 1000;
const MEDIAN_NOTIONAL_USD = 150;

interface Walk {
  logPrice: number;
  sigmaPerTrade: number;
  quoteUsd: number;
  nextAggId: number;
  nextTradeId: number;
}

export interface GeneratorOptions {
  /** Total aggregate trades a second across all symbols. */
  rate: number;
  seed: number;
  /** Annualised volatility of every symbol's geometric Brownian motion. */
  volatility: number;
}

/**
 * Synthetic trade flow. Each symbol's price is a driftless geometric Brownian
 * motion advanced once per trade by its expected inter-trade time, so the sequence
 * of (symbol, price, quantity, side) depends only on the seed and not on timer
 * jitter; only timestamps follow the wall clock.
 */
export class TradeGenerator {
  private readonly rng: Prng;
  private readonly alias: AliasTable;
  private readonly walks: Walk[];
  readonly ratePerSymbol: number[];
  private carry = 0;
  private lastTime: number | undefined;

  constructor(
    private readonly market: Market,
    private readonly options: GeneratorOptions,
  ) {
    this.rng = new Prng(options.seed ^ 0x5bd1e995);
    const weights = market.states.map((state, rank) => {
      const jitter = Math.exp(0.5 * this.rng.normal());
      const dormant = rank >= 10 && this.rng.next() < DORMANT_SHARE ? DORMANT_FACTOR : 1;
      return state.spec.status === 'TRADING' ? (rank + 1) ** -ZIPF_EXPONENT * jitter * dormant : 0;
    });
    const total = weights.reduce((sum, w) => sum + w, 0);
    if (total === 0) throw new RangeError('no TRADING symbol to generate trades for');
    this.ratePerSymbol = weights.map((w) => (options.rate * w) / total);
    this.alias = new AliasTable(weights);
    const sigmaPerSqrtSecond = options.volatility / Math.sqrt(SECONDS_PER_YEAR);
    this.walks = market.states.map((state, i) => {
      const rate = Math.max(this.ratePerSymbol[i] as number, 1e-6);
      const nextAggId = this.rng.int(1_000_000, 900_000_000);
      return {
        logPrice: Math.log(state.klines.lastPrice() / E8),
        sigmaPerTrade: sigmaPerSqrtSecond * Math.sqrt(1 / rate),
        quoteUsd: quoteUsdValue(state.spec.quoteAsset),
        nextAggId,
        nextTradeId: Math.floor(nextAggId * 1.3),
      };
    });
  }

  /**
   * Records `count` trades with times spread evenly over (from, to]; `eventTime`
   * is their `E`. Returns how many were recorded (paused symbols skip theirs).
   */
  generate(count: number, from: number, to: number, eventTime: number): number {
    let made = 0;
    const span = to - from;
    for (let j = 0; j < count; j++) {
      const index = this.alias.pick(this.rng);
      const state = this.market.states[index] as SymbolState;
      if (state.paused) continue;
      // Strictly after `from` (the previous batch's event time): a trade published
      // later never carries a time at or before an event already sent, so a client
      // that has an event knows every trade up to its time.
      const time = from + 1 + Math.floor((j * span) / count);
      this.market.record(state, this.nextTrade(state, this.walks[index] as Walk, time), eventTime);
      made += 1;
    }
    return made;
  }

  /** Trades due since the previous call at the configured rate (fractions carry over). */
  advance(now: number): number {
    if (this.lastTime === undefined || now <= this.lastTime) {
      this.lastTime ??= now;
      return 0;
    }
    const elapsed = Math.min(now - this.lastTime, MAX_CATCH_UP_MS);
    const due = (this.options.rate * elapsed) / 1000 + this.carry;
    const count = Math.floor(due);
    this.carry = due - count;
    this.lastTime = now;
    return this.generate(count, now - elapsed, now, now);
  }

  /**
   * Back-fills history before the simulator starts so klines and aggTrades answer
   * immediately; `rate` is capped by the caller to keep start-up fast.
   */
  prehistory(from: number, to: number, rate: number): number {
    let made = 0;
    for (let second = from; second < to; second += 1000) {
      const end = Math.min(second + 1000, to);
      made += this.generate(Math.round((rate * (end - second)) / 1000), second, end - 1, end - 1);
    }
    this.lastTime = to;
    return made;
  }

  private nextTrade(state: SymbolState, walk: Walk, time: number): AggTradeRecord {
    const { tickE8, stepE8 } = state.spec;
    walk.logPrice += walk.sigmaPerTrade * this.rng.normal() - 0.5 * walk.sigmaPerTrade * walk.sigmaPerTrade;
    const price = Math.exp(walk.logPrice);
    const priceE8 = roundToStep(price * E8, tickE8);
    const notional = MEDIAN_NOTIONAL_USD * Math.exp(1.2 * this.rng.normal());
    const quantity = Math.min(9_000_000, notional / walk.quoteUsd / price);
    const qtyE8 = roundToStep(quantity * E8, stepE8);
    const wantedFills = this.rng.next() < 0.8 ? 1 : this.rng.int(2, 4);
    const fills = Math.max(1, Math.min(wantedFills, Math.floor(qtyE8 / stepE8)));
    const a = walk.nextAggId++;
    const f = walk.nextTradeId;
    walk.nextTradeId += fills;
    return { a, f, l: f + fills - 1, T: time, priceE8, qtyE8, m: this.rng.next() < 0.5 };
  }
}
