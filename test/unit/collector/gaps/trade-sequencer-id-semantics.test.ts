import type { Trade } from '../../../../services/collector/domain';
import { type BackfillFunction, TradeSequencer, type TradeSequencerOptions } from '../../../../services/collector/gaps';

function trade(id: number, symbol = 'BTC-USDT', tradeIdText?: string): Trade {
  return { exchange: 'okx', symbol, priceText: `${100 + id}.0`, price: 100 + id, quantityText: '1', tradeId: id, tradeTime: 1_000 + id, eventTime: 1_000 + id, receivedAt: 0, receivedAtMono: 0, source: 'live', ...(tradeIdText ? { tradeIdText } : {}) };
}

function bybitTrade(idText: string, price: number, symbol = 'BTCUSDT'): Trade {
  return { ...trade(0, symbol, idText), exchange: 'bybit', price, priceText: String(price) };
}

function harness(options: Partial<TradeSequencerOptions>) {
  const emitted: Trade[] = [];
  const backfillCalls: Array<[string, number, number]> = [];
  const backfill: BackfillFunction = (symbol, fromId, limit) => {
    backfillCalls.push([symbol, fromId, limit]);
    return Promise.resolve([]);
  };
  const sequencer = new TradeSequencer({ ...options, backfill, emit: (t) => emitted.push(t) });
  return { sequencer, emitted, backfillCalls };
}

describe('TradeSequencer trade id semantics', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  describe("'increasing' (OKX: ids skip where a push aggregates trades)", () => {
    it('passes a jump straight through without opening a gap or asking REST', () => {
      // Prepare
      const { sequencer, emitted, backfillCalls } = harness({ tradeIds: 'increasing' });

      // Act
      for (const id of [10, 11, 15, 40]) sequencer.push(trade(id));

      // Assert
      expect(emitted.map((t) => t.tradeId)).toEqual([10, 11, 15, 40]);
      expect(backfillCalls).toEqual([]);
      expect(sequencer.isBackfilling('BTC-USDT')).toBe(false);
      expect(sequencer.stats()).toMatchObject({ gaps: 0, duplicates: 0 });
    });

    it('drops ids at or below the last emitted one (the second socket of a rotation)', () => {
      // Prepare
      const { sequencer, emitted } = harness({ tradeIds: 'increasing' });

      // Act
      for (const id of [10, 12, 12, 11, 14, 13, 15]) sequencer.push(trade(id));

      // Assert
      expect(emitted.map((t) => t.tradeId)).toEqual([10, 12, 14, 15]);
      expect(sequencer.stats().duplicates).toBe(3);
      expect(sequencer.lastTradeId('BTC-USDT')).toBe(15);
    });

    it('fills the span of a lost socket over REST: trades the exchange has in it, in order, nothing counted lost', async () => {
      // Prepare: the exchange's ids skip (aggregated pushes); 12 and 14 were pushed while the socket was down.
      const emitted: Trade[] = [];
      const calls: Array<[number, number]> = [];
      const sequencer = new TradeSequencer({
        tradeIds: 'increasing',
        emit: (t) => emitted.push(t),
        backfill: (_symbol, fromId, limit) => {
          calls.push([fromId, limit]);
          return Promise.resolve([trade(12), trade(14)].filter((t) => t.tradeId >= fromId && t.tradeId < fromId + limit));
        },
      });
      sequencer.push(trade(10));

      // Act
      sequencer.expectGap('BTC-USDT');
      sequencer.push(trade(17));
      sequencer.push(trade(19));
      const heldWhileFilling = sequencer.isBackfilling('BTC-USDT');
      await jest.runAllTimersAsync();

      // Assert
      expect(heldWhileFilling).toBe(true);
      expect(calls).toEqual([[11, 6]]);
      expect(emitted.map((t) => t.tradeId)).toEqual([10, 12, 14, 17, 19]);
      expect(sequencer.stats()).toMatchObject({ gaps: 1, backfilled: 2, unrecoverable: 0, heldTrades: 0 });
      expect(sequencer.isBackfilling('BTC-USDT')).toBe(false);
    });

    it('asks id windows up to the first held trade, empty windows being progress too', async () => {
      // Prepare
      const emitted: Trade[] = [];
      const calls: Array<[number, number]> = [];
      const existing = [11, 13, 15, 16, 18].map((id) => trade(id));
      const sequencer = new TradeSequencer({
        tradeIds: 'increasing',
        pageSize: 4,
        emit: (t) => emitted.push(t),
        backfill: (_symbol, fromId, limit) => {
          calls.push([fromId, limit]);
          return Promise.resolve(existing.filter((t) => t.tradeId >= fromId && t.tradeId < fromId + limit));
        },
      });
      sequencer.push(trade(10));

      // Act
      sequencer.expectGap('BTC-USDT');
      sequencer.push(trade(30));
      await jest.runAllTimersAsync();

      // Assert
      expect(calls).toEqual([[11, 4], [15, 4], [19, 4], [23, 4], [27, 3]]);
      expect(emitted.map((t) => t.tradeId)).toEqual([10, 11, 13, 15, 16, 18, 30]);
      expect(sequencer.stats().unrecoverable).toBe(0);
    });

    /** An exchange whose trades are `existing`, answering id windows. */
    function windowed(existing: number[], options: Partial<TradeSequencerOptions> = {}) {
      const emitted: Trade[] = [];
      const calls: Array<[number, number]> = [];
      const pending: Array<() => void> = [];
      let hold = false;
      const sequencer = new TradeSequencer({
        tradeIds: 'increasing',
        pageSize: 100,
        ...options,
        emit: (t) => emitted.push(t),
        backfill: (_symbol, fromId, limit) => {
          calls.push([fromId, limit]);
          const page = existing.filter((id) => id >= fromId && id < fromId + limit).map((id) => trade(id));
          if (!hold) return Promise.resolve(page);
          return new Promise((resolve) => pending.push(() => resolve(page)));
        },
      });
      return { sequencer, emitted, calls, pending, holdAnswers: (on: boolean) => (hold = on) };
    }

    it('scans the span of a second lost socket too, before releasing the trades after it', async () => {
      // Prepare: 150 and 300 happened while the sockets were down.
      const { sequencer, emitted, calls, holdAnswers, pending } = windowed([150, 300]);
      sequencer.push(trade(100));
      sequencer.expectGap('BTC-USDT');
      holdAnswers(true);
      sequencer.push(trade(200));
      await jest.advanceTimersByTimeAsync(0);

      // Act: lost again while the first span is being fetched
      sequencer.expectGap('BTC-USDT');
      sequencer.push(trade(500));
      holdAnswers(false);
      pending.splice(0).forEach((answer) => answer());
      await jest.runAllTimersAsync();
      sequencer.push(trade(510));
      await jest.runAllTimersAsync();

      // Assert
      expect(emitted.map((t) => t.tradeId)).toEqual([100, 150, 200, 300, 500, 510]);
      expect(calls).toEqual([[101, 99], [201, 100], [301, 100], [401, 99]]);
      expect(sequencer.stats()).toMatchObject({ gaps: 1, unrecoverable: 0, heldTrades: 0 });
    });

    it('keeps a fetched trade that lands above a lower id held meanwhile', async () => {
      // Prepare
      const { sequencer, emitted, holdAnswers, pending } = windowed([120, 150, 180]);
      sequencer.push(trade(100));
      sequencer.expectGap('BTC-USDT');
      holdAnswers(true);
      sequencer.push(trade(200));
      await jest.advanceTimersByTimeAsync(0);

      // Act: a second socket delivers 150 while the window is in flight
      sequencer.push(trade(150));
      holdAnswers(false);
      pending.splice(0).forEach((answer) => answer());
      await jest.runAllTimersAsync();

      // Assert
      expect(emitted.map((t) => t.tradeId)).toEqual([100, 120, 150, 180, 200]);
      expect(sequencer.stats().duplicates).toBe(0);
    });

    it('counts only the unscanned part of the span lost when it gives up', async () => {
      // Prepare: the exchange keeps failing; normal skips among the held trades are not losses.
      const emitted: Trade[] = [];
      const sequencer = new TradeSequencer({ tradeIds: 'increasing', maxAttempts: 2, retryDelayMs: 10, emit: (t) => emitted.push(t), backfill: () => Promise.reject(new Error('503')) });
      sequencer.push(trade(100));
      sequencer.expectGap('BTC-USDT');

      // Act
      for (const id of [200, 250, 400]) sequencer.push(trade(id));
      await jest.runAllTimersAsync();

      // Assert
      expect(emitted.map((t) => t.tradeId)).toEqual([100, 200, 250, 400]);
      expect(sequencer.stats().unrecoverable).toBe(99);
    });

    it('asks nothing when the first trade after the lost socket is the next id', async () => {
      // Prepare
      const { sequencer, emitted, backfillCalls } = harness({ tradeIds: 'increasing' });
      sequencer.push(trade(10));

      // Act
      sequencer.expectGap('BTC-USDT');
      sequencer.push(trade(11));
      sequencer.push(trade(15));
      await jest.runAllTimersAsync();

      // Assert
      expect(backfillCalls).toEqual([]);
      expect(emitted.map((t) => t.tradeId)).toEqual([10, 11, 15]);
    });

    it('keeps symbols apart', () => {
      // Prepare
      const { sequencer, emitted } = harness({ tradeIds: 'increasing' });

      // Act
      sequencer.push(trade(50, 'BTC-USDT'));
      sequencer.push(trade(5, 'ETH-USDT'));
      sequencer.push(trade(6, 'ETH-USDT'));

      // Assert
      expect(emitted.map((t) => `${t.symbol}:${t.tradeId}`)).toEqual(['BTC-USDT:50', 'ETH-USDT:5', 'ETH-USDT:6']);
    });
  });

  describe("'opaque' (Bybit: string ids with no order)", () => {
    it('passes trades in arrival order whatever their ids', () => {
      // Prepare
      const { sequencer, emitted, backfillCalls } = harness({ tradeIds: 'opaque' });

      // Act
      sequencer.push(bybitTrade('2290000000061666327', 100));
      sequencer.push(bybitTrade('2290000000061666320', 101));
      sequencer.push(bybitTrade('a', 102));

      // Assert
      expect(emitted.map((t) => t.price)).toEqual([100, 101, 102]);
      expect(backfillCalls).toEqual([]);
      expect(sequencer.lastTradeId('BTCUSDT')).toBeUndefined();
    });

    it('drops a repeated tradeIdText among the recent trades, per symbol', () => {
      // Prepare
      const { sequencer, emitted } = harness({ tradeIds: 'opaque' });

      // Act
      sequencer.push(bybitTrade('x1', 100));
      sequencer.push(bybitTrade('x2', 101));
      sequencer.push(bybitTrade('x1', 100));
      sequencer.push(bybitTrade('x1', 100, 'ETHUSDT'));

      // Assert
      expect(emitted.map((t) => `${t.symbol}:${t.tradeIdText}`)).toEqual(['BTCUSDT:x1', 'BTCUSDT:x2', 'ETHUSDT:x1']);
      expect(sequencer.stats().duplicates).toBe(1);
    });

    it('remembers a bounded number of ids: the oldest is forgotten first', () => {
      // Prepare
      const { sequencer, emitted } = harness({ tradeIds: 'opaque', recentIdsPerSymbol: 2 });

      // Act
      for (const id of ['a', 'b', 'c', 'a', 'c']) sequencer.push(bybitTrade(id, 100));

      // Assert: 'a' was evicted by 'c', so its repeat passes; 'c' is still known
      expect(emitted.map((t) => t.tradeIdText)).toEqual(['a', 'b', 'c', 'a']);
    });

    it('starts afresh after forget', () => {
      // Prepare
      const { sequencer, emitted } = harness({ tradeIds: 'opaque' });
      sequencer.push(bybitTrade('a', 100));

      // Act
      sequencer.forget('BTCUSDT');
      sequencer.push(bybitTrade('a', 100));

      // Assert
      expect(emitted).toHaveLength(2);
    });
  });

  it("defaults to 'consecutive': a jump opens a gap and asks REST for the missing ids", async () => {
    // Prepare
    const { sequencer, backfillCalls } = harness({});

    // Act
    sequencer.push(trade(10));
    sequencer.push(trade(13));
    await jest.advanceTimersByTimeAsync(0);

    // Assert
    expect(backfillCalls).toEqual([['BTC-USDT', 11, 2]]);
    expect(sequencer.stats().gaps).toBe(1);
    sequencer.close();
  });
});
