import type { Trade } from '../../../../services/collector/domain';
import { type ClosedGap, TradeSequencer } from '../../../../services/collector/gaps';

/** Trade `id` at time 1000 + 10 * id. */
function trade(id: number, source: Trade['source'] = 'live'): Trade {
  return { exchange: 'binance', symbol: 'BTCUSDT', priceText: `${100 + id}.00`, price: 100 + id, quantityText: '1', tradeId: id, tradeTime: 1_000 + 10 * id, eventTime: 1_000 + 10 * id, receivedAt: 0, receivedAtMono: 0, source };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => trade(from + i, 'backfill'));

function harness(backfill: (fromId: number, limit: number) => Promise<Trade[]>, maxHeldPerSymbol?: number) {
  const emitted: number[] = [];
  const closed: Array<{ symbol: string; gap: ClosedGap; emittedBefore: number }> = [];
  const sequencer = new TradeSequencer({
    backfill: (_symbol, fromId, limit) => backfill(fromId, limit),
    emit: (t) => emitted.push(t.tradeId),
    onGapClosed: (symbol, gap) => closed.push({ symbol, gap, emittedBefore: emitted.length }),
    retryDelayMs: 100,
    ...(maxHeldPerSymbol !== undefined ? { maxHeldPerSymbol } : {}),
  });
  return { sequencer, emitted, closed };
}

describe('TradeSequencer: the gap-closed event', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('reports the span of the late trades once the backfill and the held trades are all out', async () => {
    // Prepare: ids 11-14 are missing, 15 and 16 are held.
    const { sequencer, emitted, closed } = harness((fromId, limit) => Promise.resolve(range(fromId, fromId + limit - 1)));
    sequencer.push(trade(10));

    // Act
    sequencer.push(trade(15));
    sequencer.push(trade(16));
    const whileOpen = closed.length;
    await jest.runAllTimersAsync();

    // Assert: from the first backfilled trade (11) to the last held one (16), after all of them.
    expect(whileOpen).toBe(0);
    expect(emitted).toEqual([10, 11, 12, 13, 14, 15, 16]);
    expect(closed).toEqual([{ symbol: 'BTCUSDT', gap: { firstLateTradeTime: 1_110, lastLateTradeTime: 1_160 }, emittedBefore: 7 }]);
  });

  it('waits for every page of a wide gap and reports once', async () => {
    // Prepare
    const { sequencer, closed } = harness((fromId, limit) => Promise.resolve(range(fromId, fromId + Math.min(limit, 2) - 1)));
    sequencer.push(trade(1));

    // Act
    sequencer.push(trade(8));
    await jest.runAllTimersAsync();
    sequencer.push(trade(9));

    // Assert
    expect(closed.map((c) => c.gap)).toEqual([{ firstLateTradeTime: 1_020, lastLateTradeTime: 1_080 }]);
  });

  it('reports a gap closed by a held trade from another socket, without REST', () => {
    // Prepare: the REST answer never comes.
    const { sequencer, closed } = harness(() => new Promise<Trade[]>(() => undefined));
    sequencer.push(trade(1));
    sequencer.push(trade(3));

    // Act
    sequencer.push(trade(2));

    // Assert
    expect(closed.map((c) => c.gap)).toEqual([{ firstLateTradeTime: 1_020, lastLateTradeTime: 1_030 }]);
  });

  it('says until when the record stays incomplete when ids are given up', () => {
    // Prepare: a held buffer of 2, the REST answer never comes.
    const { sequencer, emitted, closed } = harness(() => new Promise<Trade[]>(() => undefined), 2);
    sequencer.push(trade(1));
    sequencer.push(trade(10));
    sequencer.push(trade(11));

    // Act: the third held trade overflows the buffer, ids 2-9 are given up.
    sequencer.push(trade(12));

    // Assert
    expect(emitted).toEqual([1, 10, 11, 12]);
    expect(closed.map((c) => c.gap)).toEqual([{ firstLateTradeTime: 1_100, lastLateTradeTime: 1_120, incompleteBefore: 1_100 }]);
  });

  it('reports nothing for consecutive trades or duplicates', () => {
    // Prepare
    const { sequencer, closed } = harness(() => Promise.resolve([]));

    // Act
    for (const id of [1, 2, 2, 3]) sequencer.push(trade(id));

    // Assert
    expect(closed).toEqual([]);
  });

  it('counts the gap open while held trades are released, up to but not including the last one', async () => {
    // Prepare: the consumer asks isBackfilling for every trade it receives.
    const seen: Array<[number, boolean]> = [];
    const sequencer: TradeSequencer = new TradeSequencer({
      backfill: (_symbol, fromId, limit) => Promise.resolve(range(fromId, fromId + limit - 1)),
      emit: (t) => seen.push([t.tradeId, sequencer.isBackfilling('BTCUSDT')]),
    });
    sequencer.push(trade(1));

    // Act
    sequencer.push(trade(4));
    sequencer.push(trade(5));
    await jest.runAllTimersAsync();

    // Assert: 2 and 3 backfilled, 4 released with 5 still held, 5 the last.
    expect(seen).toEqual([[1, false], [2, true], [3, true], [4, true], [5, false]]);
  });
});
