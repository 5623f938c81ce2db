import type { RateState } from '../../../../../services/shared/rates';
import { HistoryBatcher } from '../../../../../services/collector/sinks/sqs';

const state = (symbol: string, ts: number, price: string, change1m?: number): RateState => ({ symbol, priceText: price, ts, tradeTs: ts, change1m, flags: [] });

describe('HistoryBatcher', () => {
  it('emits one row per symbol per interval, the last state in the interval winning, time = interval start', () => {
    // Prepare
    const batcher = new HistoryBatcher(1000);
    batcher.record(state('BTCUSDT', 10_100, '1'));
    batcher.record(state('BTCUSDT', 10_900, '2', 0.5));
    batcher.record(state('ETHUSDT', 10_500, '3'));

    // Act
    const rows = batcher.close(11_000);

    // Assert
    expect(rows).toEqual([
      [10_000, 'BTCUSDT', '2', 0.5, null, null, [], 10_900],
      [10_000, 'ETHUSDT', '3', null, null, null, [], 10_500],
    ]);
  });

  it('does not emit an interval before it has ended, and carries a quiet symbol forward', () => {
    // Prepare
    const batcher = new HistoryBatcher(1000);
    batcher.record(state('BTCUSDT', 10_100, '1'));

    // Act
    const early = batcher.close(10_999);
    const rows = batcher.close(13_000);

    // Assert: intervals 10 s, 11 s and 12 s, all with the only state known.
    expect(early).toEqual([]);
    expect(rows.map((r) => [r[0], r[2]])).toEqual([
      [10_000, '1'],
      [11_000, '1'],
      [12_000, '1'],
    ]);
  });

  it('never emits an interval twice and takes late states of open intervals', () => {
    // Prepare
    const batcher = new HistoryBatcher(1000);
    batcher.record(state('BTCUSDT', 10_100, '1'));
    batcher.close(11_000);

    // Act: a state of 11 s arrives, then 11 s and 12 s close.
    batcher.record(state('BTCUSDT', 11_500, '2'));
    const rows = batcher.close(13_000);

    // Assert
    expect(rows.map((r) => [r[0], r[2]])).toEqual([
      [11_000, '2'],
      [12_000, '2'],
    ]);
  });

  it('bounds the catch-up after a clock jump', () => {
    // Prepare
    const batcher = new HistoryBatcher(1000, 5);
    batcher.record(state('BTCUSDT', 0, '1'));

    // Act
    const rows = batcher.close(1_000_000);

    // Assert
    expect(rows.map((r) => r[0])).toEqual([995_000, 996_000, 997_000, 998_000, 999_000]);
  });

  it('resumes after a restart from the last state in Redis: its own interval and the ones after it flagged gap, until live states arrive', () => {
    // Prepare: the predecessor's last state was at 10.4 s; nothing says what it persisted.
    const batcher = new HistoryBatcher(1000);
    batcher.resume(state('BTCUSDT', 10_400, '1', 0.2));

    // Act: live again from 13.2 s.
    batcher.record(state('BTCUSDT', 13_200, '2'));
    const rows = batcher.close(14_000);

    // Assert
    expect(rows.map((r) => [r[0], r[2], r[6]])).toEqual([
      [10_000, '1', ['gap']],
      [11_000, '1', ['gap']],
      [12_000, '1', ['gap']],
      [13_000, '2', []],
    ]);
  });

  it('writes again, unflagged, the intervals a SIGKILLed predecessor watched but may not have persisted', () => {
    // Prepare: killed at 10.6 s; intervals 8 s and 9 s were still settling in its memory.
    // Redis held its last state (10.4 s) and the last one of the interval before (8.7 s, carried through 9 s).
    const batcher = new HistoryBatcher(1000);
    batcher.resume(state('BTCUSDT', 10_400, '3', 0.3), state('BTCUSDT', 8_700, '2', 0.2));

    // Act
    batcher.record(state('BTCUSDT', 12_100, '4'));
    const rows = batcher.close(13_000);

    // Assert: no second is missing; what it watched is unflagged, what nobody fully watched is flagged.
    expect(rows.map((r) => [r[0], r[2], r[6], r[7]])).toEqual([
      [8_000, '2', [], 8_700],
      [9_000, '2', [], 8_700],
      [10_000, '3', ['gap'], 10_400],
      [11_000, '3', ['gap'], 10_400],
      [12_000, '4', [], 12_100],
    ]);
  });

  it('writes again at most three intervals before the last state when the one before is old (a quiet symbol)', () => {
    // Prepare
    const batcher = new HistoryBatcher(1000);
    batcher.resume(state('BTCUSDT', 60_400, '3'), state('BTCUSDT', 1_000, '2'));

    // Act
    const rows = batcher.close(61_000);

    // Assert
    expect(rows.map((r) => [r[0], r[2]])).toEqual([
      [57_000, '2'],
      [58_000, '2'],
      [59_000, '2'],
      [60_000, '3'],
    ]);
  });

  it('continues a quiet symbol on the new grid when the interval changes', () => {
    // Prepare: rows through 11 s at 1 s.
    const batcher = new HistoryBatcher(1000);
    batcher.record(state('BTCUSDT', 10_100, '1'));
    batcher.close(12_000);

    // Act: 5 s intervals from now on; nothing new recorded.
    batcher.setInterval(5000);
    const rows = batcher.close(25_000);

    // Assert: 10-15 s holds the end of what was emitted, so the next rows are 15 s and 20 s.
    expect(rows.map((r) => r[0])).toEqual([15_000, 20_000]);
  });

  it('forgets removed symbols', () => {
    // Prepare
    const batcher = new HistoryBatcher(1000);
    batcher.record(state('BTCUSDT', 100, '1'));

    // Act
    batcher.remove('BTCUSDT');

    // Assert
    expect(batcher.close(10_000)).toEqual([]);
  });
});
