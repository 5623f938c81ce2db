import type { Kline, Trade } from '../../../../services/collector/domain';
import { RateEngine } from '../../../../services/collector/rates';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
let nextId = 1;

function trade(time: number, priceText: string): Trade {
  return { exchange: 'binance', symbol: 'BTCUSDT', priceText, price: Number(priceText), quantityText: '1', tradeId: nextId++, tradeTime: time, eventTime: time, receivedAt: time, receivedAtMono: 0, source: 'backfill' };
}

function kline(openTime: number, closeText: string): Kline {
  return { openTime, closeTime: openTime + 59_999, openText: closeText, closeText, close: Number(closeText), tradeCount: 1 };
}

describe('RateEngine.evaluateAt: the definition at a past instant', () => {
  it('answers from trades that arrived after later states were made, without moving the live state', () => {
    // Prepare: a trade at T0, a minute of silence evaluated by the timer, then the trades of that minute arrive late.
    const engine = new RateEngine({ settleMs: 1000 });
    engine.onTrade(trade(T0, '100.00000000'));
    const beforeBackfill = engine.evaluate('BTCUSDT', T0 + MINUTE + 1000)!;
    engine.onTrade(trade(T0 + 20_000, '101.50000000'));
    engine.onTrade(trade(T0 + 40_000, '103.00000000'));

    // Act
    const past = engine.evaluateAt('BTCUSDT', T0 + 30_000)!;
    const edge = engine.evaluateAt('BTCUSDT', T0 + MINUTE + 20_000)!;
    const liveAfter = engine.evaluate('BTCUSDT', T0 + MINUTE + 1000)!;

    // Assert: the past state holds the trade at or before it, with its exact text and time.
    expect(beforeBackfill.priceText).toBe('100.00000000');
    expect(past).toMatchObject({ ts: T0 + 30_000, priceText: '101.50000000', tradeTs: T0 + 20_000, flags: [] });
    expect(past.change1m).toBeUndefined();
    expect(edge.priceText).toBe('103.00000000');
    expect(edge.change1m).toBeCloseTo(((103 - 101.5) / 101.5) * 100, 10);
    // The live state stays where the timer left it: the past evaluation at T0 + 80 s did not move it.
    expect(liveAfter.ts).toBe(T0 + MINUTE);
  });

  it('takes flags as of the instant: anomaly of the trade then, stale from it, gap only when asked', () => {
    // Prepare: a steady price, one spike, then the price back.
    const engine = new RateEngine({ settleMs: 0, anomalyThresholdPct: 10, staleAfterMs: 10_000 });
    for (let i = 0; i < 5; i++) engine.onTrade(trade(T0 + i, '100.00000000'));
    engine.onTrade(trade(T0 + 100, '150.00000000'));
    engine.onTrade(trade(T0 + 30_000, '100.00000000'));

    // Act
    const atSpike = engine.evaluateAt('BTCUSDT', T0 + 5_000)!;
    const staleThen = engine.evaluateAt('BTCUSDT', T0 + 20_000)!;
    const gapAsked = engine.evaluateAt('BTCUSDT', T0 + 30_500, { gap: true })!;
    const live = engine.evaluate('BTCUSDT', T0 + 30_500)!;

    // Assert
    expect(atSpike.flags).toEqual(['anomaly']);
    expect(staleThen.flags).toEqual(['stale', 'anomaly']);
    expect(gapAsked.flags).toEqual(['gap']);
    expect(live.flags).toEqual([]);
  });

  it('flags backfilled from candles as of the instant, and knows nothing before the first price', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 0 });
    engine.seedFromKlines('BTCUSDT', [kline(T0 - 2 * MINUTE, '90.00000000'), kline(T0 - MINUTE, '95.00000000')], T0);
    engine.onTrade(trade(T0 + 10_000, '100.00000000'));

    // Act
    const onCandle = engine.evaluateAt('BTCUSDT', T0 + 5_000)!;
    const onTrade = engine.evaluateAt('BTCUSDT', T0 + 10_000)!;
    const before = engine.evaluateAt('BTCUSDT', T0 - 3 * MINUTE);

    // Assert: the candle close's text is recovered from its number and the symbol's scale.
    expect(onCandle).toMatchObject({ priceText: '95.00000000', tradeTs: T0 - 1, flags: ['backfilled'] });
    expect(onTrade.flags).toEqual(['backfilled']);
    // A minute before T0 + 10 s the last close known is the candle closing at T0 - 1 min - 1 ms.
    expect(onTrade.change1m).toBeCloseTo(((100 - 90) / 90) * 100, 10);
    expect(before).toBeUndefined();
  });

  it('refuses an instant whose 15-minute reference was already pruned', () => {
    // Prepare: trades every 10 s for 40 minutes, timer passes pruning with a 1-minute margin.
    const engine = new RateEngine({ settleMs: 0, pastEvaluationMs: MINUTE, staleAfterMs: 10 * MINUTE });
    for (let t = T0; t <= T0 + 40 * MINUTE; t += 10_000) {
      engine.onTrade(trade(t, (100 + ((t / 10_000) % 5)).toFixed(8)));
      engine.evaluateAll(t, () => undefined);
    }

    // Act
    const withinMargin = engine.evaluateAt('BTCUSDT', T0 + 39 * MINUTE);
    const beyond = engine.evaluateAt('BTCUSDT', T0 + 38 * MINUTE);

    // Assert
    expect(withinMargin?.change15m).toBeDefined();
    expect(beyond).toBeUndefined();
  });
});
