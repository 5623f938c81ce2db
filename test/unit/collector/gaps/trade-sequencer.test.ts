import type { Trade } from '../../../../services/collector/domain';
import { type BackfillFunction, TradeSequencer, type TradeSequencerOptions } from '../../../../services/collector/gaps';

function trade(id: number, symbol = 'BTCUSDT', source: Trade['source'] = 'live'): Trade {
  return { exchange: 'binance', symbol, priceText: `${100 + id}.00`, price: 100 + id, quantityText: '1', tradeId: id, tradeTime: 1_000 + id, eventTime: 1_000 + id, receivedAt: 0, receivedAtMono: 0, source };
}

function range(from: number, to: number, symbol = 'BTCUSDT'): Trade[] {
  const trades: Trade[] = [];
  for (let id = from; id <= to; id++) trades.push(trade(id, symbol, 'backfill'));
  return trades;
}

/** A fake exchange: answers from a per-symbol list of existing ids, or through a hand-driven queue of deferred calls. */
interface Deferred {
  symbol: string;
  fromId: number;
  limit: number;
  resolve: (trades: Trade[]) => void;
  reject: (error: Error) => void;
}

function harness(options: Partial<TradeSequencerOptions> & { exchange?: (symbol: string, fromId: number, limit: number) => Trade[] } = {}) {
  const emitted: Trade[] = [];
  const calls: Array<{ symbol: string; fromId: number; limit: number }> = [];
  const deferred: Deferred[] = [];
  const backfill: BackfillFunction =
    options.backfill ??
    ((symbol, fromId, limit) => {
      calls.push({ symbol, fromId, limit });
      if (options.exchange) return Promise.resolve(options.exchange(symbol, fromId, limit));
      return new Promise<Trade[]>((resolve, reject) => deferred.push({ symbol, fromId, limit, resolve, reject }));
    });
  const sequencer = new TradeSequencer({ retryDelayMs: 100, ...options, backfill, emit: (t) => emitted.push(t) });
  const ids = (symbol = 'BTCUSDT') => emitted.filter((t) => t.symbol === symbol).map((t) => t.tradeId);
  return { sequencer, emitted, calls, deferred, ids };
}

describe('TradeSequencer', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('passes consecutive trades straight through, the first one starting the sequence', () => {
    // Prepare
    const { sequencer, ids, calls } = harness();
    // Act
    for (const id of [500, 501, 502]) sequencer.push(trade(id));
    // Assert
    expect(ids()).toEqual([500, 501, 502]);
    expect(calls).toEqual([]);
    expect(sequencer.isBackfilling('BTCUSDT')).toBe(false);
  });

  it('drops duplicates and overlaps and counts them', () => {
    // Prepare
    const { sequencer, ids } = harness();
    // Act
    for (const id of [1, 2, 3, 3, 2, 4, 1, 5]) sequencer.push(trade(id));
    // Assert
    expect(ids()).toEqual([1, 2, 3, 4, 5]);
    expect(sequencer.stats()).toMatchObject({ duplicates: 3, gaps: 0 });
  });

  it('fills a gap from the exchange and then releases the held live trades in order', async () => {
    // Prepare
    const { sequencer, ids, emitted, calls } = harness({ exchange: (_s, fromId, limit) => range(fromId, Math.min(fromId + limit - 1, 1000)) });
    sequencer.push(trade(10));
    // Act
    sequencer.push(trade(15));
    const holding = sequencer.isBackfilling('BTCUSDT');
    sequencer.push(trade(16));
    await jest.runAllTimersAsync();
    // Assert
    expect(holding).toBe(true);
    expect(ids()).toEqual([10, 11, 12, 13, 14, 15, 16]);
    expect(emitted.map((t) => t.source)).toEqual(['live', 'backfill', 'backfill', 'backfill', 'backfill', 'live', 'live']);
    expect(calls).toEqual([{ symbol: 'BTCUSDT', fromId: 11, limit: 4 }]);
    expect(sequencer.stats()).toMatchObject({ gaps: 1, backfilled: 4, unrecoverable: 0, heldTrades: 0 });
    expect(sequencer.isBackfilling('BTCUSDT')).toBe(false);
  });

  it('pages through a gap wider than one request', async () => {
    // Prepare
    const { sequencer, ids, calls } = harness({ pageSize: 1000, exchange: (_s, fromId, limit) => range(fromId, fromId + limit - 1) });
    sequencer.push(trade(0));
    // Act
    sequencer.push(trade(2501));
    await jest.runAllTimersAsync();
    // Assert
    expect(calls.map((c) => [c.fromId, c.limit])).toEqual([[1, 1000], [1001, 1000], [2001, 500]]);
    expect(ids()).toEqual(Array.from({ length: 2502 }, (_, i) => i));
  });

  it('keeps order when live trades, duplicates and a second gap arrive while a backfill is in flight', async () => {
    // Prepare
    const { sequencer, ids, deferred } = harness();
    sequencer.push(trade(1));
    sequencer.push(trade(5));
    // Act
    sequencer.push(trade(6));
    sequencer.push(trade(6));
    sequencer.push(trade(9));
    sequencer.push(trade(8));
    const first = deferred.shift() as Deferred;
    first.resolve(range(2, 4));
    await jest.advanceTimersByTimeAsync(0);
    const afterFirst = ids();
    const second = deferred.shift() as Deferred;
    second.resolve(range(7, 7));
    await jest.advanceTimersByTimeAsync(0);
    // Assert
    expect(afterFirst).toEqual([1, 2, 3, 4, 5, 6]);
    expect([second.fromId, second.limit]).toEqual([7, 1]);
    expect(ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sequencer.stats()).toMatchObject({ gaps: 2, duplicates: 1, backfilled: 4 });
  });

  it('fills gaps of several symbols with bounded concurrency, in FIFO order, whatever order they resolve in', async () => {
    // Prepare
    const { sequencer, ids, deferred } = harness({ maxConcurrentBackfills: 2 });
    for (const symbol of ['A', 'B', 'C']) {
      sequencer.push(trade(1, symbol));
      sequencer.push(trade(4, symbol));
    }
    const inFlight = deferred.map((d) => d.symbol);
    // Act
    (deferred[1] as Deferred).resolve(range(2, 3, 'B'));
    await jest.advanceTimersByTimeAsync(0);
    const afterB = deferred.map((d) => d.symbol);
    sequencer.push(trade(5, 'A'));
    (deferred[0] as Deferred).resolve(range(2, 3, 'A'));
    (deferred[2] as Deferred).resolve(range(2, 3, 'C'));
    await jest.advanceTimersByTimeAsync(0);
    // Assert
    expect(inFlight).toEqual(['A', 'B']);
    expect(afterB).toEqual(['A', 'B', 'C']);
    expect([ids('A'), ids('B'), ids('C')]).toEqual([[1, 2, 3, 4, 5], [1, 2, 3, 4], [1, 2, 3, 4]]);
    expect(sequencer.stats()).toMatchObject({ activeBackfills: 0, queuedBackfills: 0 });
  });

  it('gives up when the held buffer overflows: counts the lost ids and emits what it holds', async () => {
    // Prepare
    const { sequencer, ids, deferred } = harness({ maxHeldPerSymbol: 3 });
    sequencer.push(trade(1));
    sequencer.push(trade(10));
    sequencer.push(trade(11));
    sequencer.push(trade(12));
    // Act
    sequencer.push(trade(13));
    (deferred[0] as Deferred).resolve(range(2, 9));
    await jest.advanceTimersByTimeAsync(0);
    sequencer.push(trade(14));
    // Assert
    expect(ids()).toEqual([1, 10, 11, 12, 13, 14]);
    expect(sequencer.stats()).toMatchObject({ unrecoverable: 8, backfilled: 0, heldTrades: 0 });
    expect(sequencer.isBackfilling('BTCUSDT')).toBe(false);
  });

  it('closes a gap when the missing trade arrives late from another socket, ignoring the REST answer', async () => {
    // Prepare: during rotation the new socket delivers 3 before the old one delivers 2.
    const { sequencer, ids, deferred } = harness();
    sequencer.push(trade(1));
    sequencer.push(trade(3));

    // Act
    sequencer.push(trade(2));
    (deferred[0] as Deferred).resolve(range(2, 2));
    await jest.advanceTimersByTimeAsync(0);
    sequencer.push(trade(4));

    // Assert
    expect(ids()).toEqual([1, 2, 3, 4]);
    expect(sequencer.isBackfilling('BTCUSDT')).toBe(false);
    expect(sequencer.stats()).toMatchObject({ backfilled: 0, unrecoverable: 0, heldTrades: 0 });
  });

  it('bounds the trades held across all symbols by giving up the largest gap', () => {
    // Prepare
    const { sequencer, ids } = harness({ maxHeldTotal: 4 });
    sequencer.push(trade(1, 'AAAUSDT'));
    sequencer.push(trade(1, 'BBBUSDT'));

    // Act: AAA holds 3, BBB holds 2: five held trades exceed the bound of four.
    for (const id of [10, 11, 12]) sequencer.push(trade(id, 'AAAUSDT'));
    for (const id of [20, 21]) sequencer.push(trade(id, 'BBBUSDT'));

    // Assert
    expect(ids('AAAUSDT')).toEqual([1, 10, 11, 12]);
    expect(ids('BBBUSDT')).toEqual([1]);
    expect(sequencer.stats()).toMatchObject({ heldTrades: 2, unrecoverable: 8 });
  });

  it('gives up on ids the exchange no longer returns, after bounded attempts', async () => {
    // Prepare
    const { sequencer, ids, calls } = harness({ maxAttempts: 3, exchange: () => [] });
    sequencer.push(trade(1));
    // Act
    sequencer.push(trade(5));
    sequencer.push(trade(6));
    await jest.runAllTimersAsync();
    // Assert
    expect(calls).toHaveLength(3);
    expect(ids()).toEqual([1, 5, 6]);
    expect(sequencer.stats()).toMatchObject({ unrecoverable: 3 });
  });

  it('gives up at once on a range the exchange answers with later ids only', async () => {
    // Prepare
    const { sequencer, ids, calls } = harness({ exchange: () => range(7, 9) });
    sequencer.push(trade(1));
    // Act
    sequencer.push(trade(5));
    await jest.runAllTimersAsync();
    // Assert
    expect(calls).toHaveLength(1);
    expect(ids()).toEqual([1, 5]);
    expect(sequencer.stats()).toMatchObject({ unrecoverable: 3 });
  });

  it('keeps what the exchange still has of a partially pruned range', async () => {
    // Prepare
    const { sequencer, ids } = harness({ exchange: () => range(3, 4) });
    sequencer.push(trade(1));
    // Act
    sequencer.push(trade(5));
    await jest.runAllTimersAsync();
    // Assert
    expect(ids()).toEqual([1, 3, 4, 5]);
    expect(sequencer.stats()).toMatchObject({ unrecoverable: 1, backfilled: 2 });
  });

  it('retries a failed backfill after a delay and then fills the gap', async () => {
    // Prepare
    let failures = 1;
    const { sequencer, ids, calls } = harness({
      exchange: (_s, fromId, limit) => {
        if (failures-- > 0) throw new Error('503 from exchange');
        return range(fromId, fromId + limit - 1);
      },
    });
    sequencer.push(trade(1));
    // Act
    sequencer.push(trade(4));
    await jest.advanceTimersByTimeAsync(0);
    const afterFailure = ids();
    await jest.advanceTimersByTimeAsync(100);
    // Assert
    expect(afterFailure).toEqual([1]);
    expect(calls).toHaveLength(2);
    expect(ids()).toEqual([1, 2, 3, 4]);
    expect(sequencer.stats()).toMatchObject({ backfillFailures: 1, unrecoverable: 0 });
  });

  it('forgets a symbol on reset: the late backfill is ignored and the next trade starts a new sequence', async () => {
    // Prepare
    const { sequencer, ids, deferred } = harness();
    sequencer.push(trade(1));
    sequencer.push(trade(5));
    // Act
    sequencer.reset('BTCUSDT');
    (deferred[0] as Deferred).resolve(range(2, 4));
    await jest.advanceTimersByTimeAsync(0);
    sequencer.push(trade(100));
    sequencer.push(trade(101));
    // Assert
    expect(ids()).toEqual([1, 100, 101]);
    expect(sequencer.isBackfilling('BTCUSDT')).toBe(false);
    expect(sequencer.stats()).toMatchObject({ heldTrades: 0, backfilled: 0 });
  });

  it('keeps continuity across reconnects: overlap after resubscribing is dropped, a jump is filled', async () => {
    // Prepare
    const { sequencer, ids } = harness({ exchange: (_s, fromId, limit) => range(fromId, fromId + limit - 1) });
    for (const id of [1, 2, 3]) sequencer.push(trade(id));
    // Act: the new connection repeats 2..3, then resumes after a gap
    for (const id of [2, 3, 7, 8]) sequencer.push(trade(id));
    await jest.runAllTimersAsync();
    // Assert
    expect(ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
