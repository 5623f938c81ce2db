import type { Kline, Trade } from '../../../../services/collector/domain';
import { RateEngine } from '../../../../services/collector/rates';

const T0 = 1_700_000_040_000 - (1_700_000_040_000 % 60_000);
const MINUTE = 60_000;
let nextId = 1;

function trade(time: number, priceText: string): Trade {
  return { exchange: 'binance', symbol: 'BTCUSDT', priceText, price: Number(priceText), quantityText: '1', tradeId: nextId++, tradeTime: time, eventTime: time, receivedAt: time, receivedAtMono: 0, source: 'live' };
}

function kline(openTime: number, closeText: string): Kline {
  return { openTime, closeTime: openTime + 59_999, openText: closeText, closeText, close: Number(closeText), tradeCount: 1 };
}

/**
 * Issue 11: after a restart the first rows showed the previous minute's candle
 * close as the price, with no flag. A live trade older than the newest candle
 * (a trade of the closing minute delivered after the candles, or a candle still
 * in progress taken as closed) took the candle's slot: its price under the
 * candle's time, the `seeded` mark cleared, while the state kept the candle's
 * text and close time.
 */
describe('RateEngine warm start: a live trade older than the newest candle', () => {
  it('publishes the trade, not the candle close, once the trade is here', () => {
    // Prepare: one closed candle (a symbol whose candles reach back less than a minute).
    const engine = new RateEngine({ settleMs: 1000 });
    engine.seedFromKlines('BTCUSDT', [kline(T0, '95.00000000')], T0 + MINUTE + 200);

    // Act: a trade of that minute arrives after the candles.
    const onTrade = engine.onTrade(trade(T0 + 59_000, '100.00000000'));
    const timer = engine.evaluate('BTCUSDT', T0 + MINUTE + 1500)!;

    // Assert
    expect(onTrade).toMatchObject({ priceText: '100.00000000', tradeTs: T0 + 59_000, flags: [] });
    expect(timer).toMatchObject({ priceText: '100.00000000', tradeTs: T0 + 59_000, flags: [] });
  });

  it('keeps price text and number together, and `backfilled` while the windows rest on candles', () => {
    // Prepare: 16 closed candles.
    const engine = new RateEngine({ settleMs: 1000 });
    const now = T0 + 16 * MINUTE + 100;
    engine.seedFromKlines('BTCUSDT', Array.from({ length: 16 }, (_, i) => kline(T0 + i * MINUTE, `${90 + i}.00000000`)), now);

    // Act: a trade of the last closed minute, then a timer pass.
    const onTrade = engine.onTrade(trade(T0 + 16 * MINUTE - 500, '120.00000000'));
    const timer = engine.evaluate('BTCUSDT', now + 1500)!;

    // Assert: the 1m change compares the trade's own price with the candle a minute before
    // (closing at or before T0 + 15 min - 500 ms for the trade: the 14th, 103; the 15th, 104, for the timer).
    for (const state of [onTrade, timer]) {
      expect(state.priceText).toBe('120.00000000');
      expect(state.flags).toContain('backfilled');
    }
    expect(onTrade.change1m).toBeCloseTo(((120 - 103) / 103) * 100, 10);
    expect(timer.change1m).toBeCloseTo(((120 - 104) / 104) * 100, 10);
  });

  it('still flags a candle close evaluated before the first live trade', () => {
    // Prepare
    const engine = new RateEngine({ settleMs: 1000 });
    const now = T0 + 16 * MINUTE + 13_600;
    engine.seedFromKlines('BTCUSDT', Array.from({ length: 16 }, (_, i) => kline(T0 + i * MINUTE, `${90 + i}.00000000`)), now);

    // Act
    const state = engine.evaluate('BTCUSDT', now)!;

    // Assert
    expect(state).toMatchObject({ priceText: '105.00000000', tradeTs: T0 + 16 * MINUTE - 1 });
    expect(state.flags).toContain('backfilled');
  });
});
