import type { Kline, Trade } from '../../../../services/collector/domain';
import { RateEngine } from '../../../../services/collector/rates';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
let nextId = 1;

function trade(time: number, price: number, symbol = 'BTCUSDT'): Trade {
  return { exchange: 'binance', symbol, priceText: price.toFixed(2), price, quantityText: '1', tradeId: nextId++, tradeTime: time, eventTime: time, receivedAt: time, receivedAtMono: 0, source: 'live' };
}

function kline(openTime: number, close: number): Kline {
  return { openTime, closeTime: openTime + 59_999, openText: String(close), closeText: close.toFixed(2), close, tradeCount: 1 };
}

describe('RateEngine: the change-rate definition', () => {
  it('uses the trade exactly at t - W as the reference (the window edge is inclusive)', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0 });
    engine.onTrade(trade(T0, 100));

    // Act
    const state = engine.onTrade(trade(T0 + MINUTE, 110));

    // Assert
    expect(state.change1m).toBeCloseTo(10, 12);
    expect(state.change5m).toBeUndefined();
    expect(state.change15m).toBeUndefined();
  });

  it('knows no reference one millisecond before the first trade leaves the window', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0 });
    engine.onTrade(trade(T0, 100));

    // Act
    const state = engine.onTrade(trade(T0 + MINUTE - 1, 110));

    // Assert
    expect(state.change1m).toBeUndefined();
  });

  it('takes the last of several trades in one millisecond, for the price and for the reference', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0 });
    engine.onTrade(trade(T0, 100));
    engine.onTrade(trade(T0, 200));
    engine.onTrade(trade(T0 + MINUTE, 300));

    // Act
    const state = engine.onTrade(trade(T0 + MINUTE, 250));

    // Assert: reference 200 (last at T0), price 250 (last at T0 + 1 min).
    expect(state.change1m).toBeCloseTo(25, 12);
    expect(state.priceText).toBe('250.00');
  });

  it('decays to 0 % once the last trade leaves each window, evaluated by the timer', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0 });
    engine.onTrade(trade(T0, 100));
    engine.onTrade(trade(T0 + 30_000, 120));
    const emitted: Array<number | undefined> = [];

    // Act
    engine.evaluateAll(T0 + MINUTE, (s) => emitted.push(s.change1m));
    engine.evaluateAll(T0 + 30_000 + MINUTE, (s) => emitted.push(s.change1m));

    // Assert
    expect(emitted[0]).toBeCloseTo(20, 12);
    expect(emitted[1]).toBe(0);
  });

  it('marks values resting on warm-start candles as backfilled until live trades cover the window', () => {
    // Prepare: candles for the 16 minutes before T0 + 16 min.
    const engine = new RateEngine({ settleMs: 0, staleAfterMs: 10 * MINUTE });
    const now = T0 + 16 * MINUTE;
    engine.seedFromKlines('BTCUSDT', Array.from({ length: 16 }, (_, i) => kline(T0 + i * MINUTE, 100 + i)), now);

    // Act
    const atStart = engine.onTrade(trade(now + 1, 150));
    const afterOneMinute = engine.onTrade(trade(now + 1 + MINUTE, 150));

    // Assert: at start every window rests on a candle; after a minute the 1m one is live
    // but 5m and 15m still rest on candles, so the flag stays.
    // 1 min before now is T0 + 15 min + 1 ms: the last closed candle then is the 15th (close 114).
    expect(atStart.change1m).toBeCloseTo(((150 - 114) / 114) * 100, 12);
    expect(atStart.change15m).toBeCloseTo(((150 - 100) / 100) * 100, 12);
    expect(atStart.flags).toContain('backfilled');
    expect(afterOneMinute.change1m).toBe(0);
    expect(afterOneMinute.flags).toContain('backfilled');
    const afterFifteen = engine.onTrade(trade(now + 1 + 15 * MINUTE, 150));
    expect(afterFifteen.flags).not.toContain('backfilled');
  });

  it('ignores the candle still in progress and candles newer than live trades', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0 });
    engine.onTrade(trade(T0 + 30_000, 100));

    // Act: the candle of T0 closes at T0 + 59,999, after the live trade: not older than what is known.
    engine.seedFromKlines('BTCUSDT', [kline(T0 - MINUTE, 90), kline(T0, 95)], T0 + 30_000);
    const atTrade = engine.evaluate('BTCUSDT', T0 + 30_000)!;
    const minuteLater = engine.evaluate('BTCUSDT', T0 + 60_000 + 30_000)!;

    // Assert: only T0 - 1 min's candle was prepended (closing at T0 - 1 ms), so a minute
    // before the trade nothing is known yet, and a minute after it the trade is its own reference.
    expect(atTrade.change1m).toBeUndefined();
    expect(minuteLater.change1m).toBe(0);
  });

  it('flags an anomaly against the recent median, keeps the trade, and clears once the median follows', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0, anomalyThresholdPct: 10 });
    for (let i = 0; i < 21; i++) engine.onTrade(trade(T0 + i, 100));

    // Act
    const spike = engine.onTrade(trade(T0 + 100, 115));
    let later = spike;
    for (let i = 0; i < 15; i++) later = engine.onTrade(trade(T0 + 200 + i, 115));

    // Assert
    expect(spike.flags).toContain('anomaly');
    expect(spike.priceText).toBe('115.00');
    expect(later.flags).not.toContain('anomaly');
  });

  it('flags stale after the configured time without a trade, and gap while trades are being fetched', () => {
    // Prepare
    let gapOpen = false;
    const engine = new RateEngine({ settleMs: 0, staleAfterMs: 30_000, isGapOpen: () => gapOpen });
    engine.onTrade(trade(T0, 100));

    // Act
    const fresh = engine.evaluate('BTCUSDT', T0 + 30_000)!;
    const stale = engine.evaluate('BTCUSDT', T0 + 30_001)!;
    gapOpen = true;
    const gap = engine.evaluate('BTCUSDT', T0 + 30_002)!;

    // Assert
    expect(fresh.flags).toEqual([]);
    expect(stale.flags).toEqual(['stale']);
    expect(gap.flags).toEqual(['stale', 'gap']);
  });

  it('evaluates trades at their trade time and timer passes a settle time behind the clock', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 1000, staleAfterMs: 10 * MINUTE });
    const late = { ...trade(T0, 100), eventTime: T0 + 3 };

    // Act
    const onTrade = engine.onTrade(late);
    const emitted: number[] = [];
    engine.evaluateAll(T0 + 500, (s) => emitted.push(s.ts));
    engine.evaluateAll(T0 + 2000, (s) => emitted.push(s.ts));

    // Assert: the first pass would go back before the trade's state, so it emits nothing.
    expect(onTrade.ts).toBe(T0);
    expect(emitted).toEqual([T0 + 1000]);
  });

  it('prunes the history of busy symbols too, keeping it to the longest window plus the past-evaluation margin', () => {
    // Prepare: a symbol trading every 100 ms for 40 minutes, timer passes every second.
    const engine = new RateEngine({ settleMs: 1000, staleAfterMs: 10 * MINUTE });
    const history = () => (engine as unknown as { symbols: Map<string, { history: { length: number } }> }).symbols.get('BTCUSDT')!.history;

    // Act
    for (let t = T0; t < T0 + 40 * MINUTE; t += 100) {
      engine.onTrade(trade(t, 100 + ((t / 100) % 7)));
      if ((t - T0) % 1000 === 0) engine.evaluateAll(t, () => undefined);
    }

    // Assert: 15 minutes plus the 5-minute margin of 10 entries a second, plus what arrived since the last pass.
    expect(history().length).toBeLessThanOrEqual(20 * 60 * 10 + 30);
  });

  it('applies settings changed at run time', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0, staleAfterMs: 60_000 });
    engine.onTrade(trade(T0, 100));

    // Act
    engine.updateSettings({ staleAfterMs: 5_000 });

    // Assert
    expect(engine.evaluate('BTCUSDT', T0 + 5_001)!.flags).toEqual(['stale']);
  });

  it('emits from the timer only what changed, and refreshes unchanged symbols before their TTL', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0, refreshAfterMs: 10_000, staleAfterMs: 10 * MINUTE });
    engine.onTrade(trade(T0, 100));
    const emitted: number[] = [];
    const pass = (now: number) => engine.evaluateAll(now, (s) => emitted.push(s.ts));

    // Act
    pass(T0 + 1000);
    pass(T0 + 2000);
    pass(T0 + 11_001);

    // Assert: first pass records it, second changes nothing, third is a refresh.
    expect(emitted).toEqual([T0 + 1000, T0 + 11_001]);
  });
});

describe('RateEngine against a brute-force reference', () => {
  /** The definition, literally: scan every trade. */
  function reference(trades: Array<{ time: number; price: number }>, t: number, windowMs: number): number | undefined {
    const latestAtOrBefore = (limit: number) => {
      let found: number | undefined;
      for (const tr of trades) if (tr.time <= limit) found = tr.price;
      return found;
    };
    const price = latestAtOrBefore(t);
    const ref = latestAtOrBefore(t - windowMs);
    return price === undefined || ref === undefined ? undefined : ((price - ref) / ref) * 100;
  }

  /** Deterministic PRNG so a failure can be replayed from its seed. */
  function mulberry32(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('matches on a random trade stream (seed %i)', (seed) => {
    // Prepare: bursts, same-millisecond trades, long silences, timer passes in between.
    const random = mulberry32(seed);
    const engine = new RateEngine({ settleMs: 0, staleAfterMs: 24 * 60 * MINUTE });
    const known: Array<{ time: number; price: number }> = [];
    let now = T0;
    let price = 100;
    const mismatches: string[] = [];

    // Act
    for (let step = 0; step < 3000; step++) {
      const r = random();
      now += r < 0.3 ? 0 : r < 0.9 ? Math.floor(random() * 2000) : Math.floor(random() * 10 * MINUTE);
      if (random() < 0.85) {
        price = Math.max(0.01, price * (1 + (random() - 0.5) / 50));
        const rounded = Math.round(price * 100) / 100;
        known.push({ time: now, price: rounded });
        const state = engine.onTrade(trade(now, rounded));
        for (const [w, value] of [[MINUTE, state.change1m], [5 * MINUTE, state.change5m], [15 * MINUTE, state.change15m]] as const) {
          const expected = reference(known, now, w);
          if (expected !== value) mismatches.push(`trade step ${step} window ${w}: ${value} != ${expected}`);
        }
      } else {
        engine.evaluateAll(now, (state) => {
          const expected = reference(known, now, MINUTE);
          if (expected !== state.change1m) mismatches.push(`timer step ${step}: ${state.change1m} != ${expected}`);
        });
      }
    }

    // Assert
    expect(mismatches).toEqual([]);
  });
});
