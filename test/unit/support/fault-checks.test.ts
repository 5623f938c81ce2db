import { completeness, completenessWindow, producerOf, tapeOf, verifyRow, type CollectorRun, type StoredRow } from '../../support/fault-checks';

const T0 = 1_000_000_000_000;
const run: CollectorRun = { id: 'a', spawnedAt: T0, readyAt: T0 + 1000, endedAt: undefined };
// One trade a second from T0, prices 100, 101, 102, ...
const tape = tapeOf(Array.from({ length: 200 }, (_, i) => ({ T: T0 + i * 1000 + 500, p: (100 + i).toFixed(8) })));

function row(overrides: Partial<StoredRow>): StoredRow {
  return { symbol: 'BTCUSDT', time: T0 + 70_000, price: '170.00000000', change1m: ((170 - 110) / 110) * 100, change5m: null, change15m: null, flags: [], evaluatedAt: T0 + 70_500, ...overrides };
}

describe('verifyRow', () => {
  it('accepts a row equal to the definition', () => {
    // Prepare
    const stored = row({});

    // Act
    const verdict = verifyRow(stored, tape, [run], 1000);

    // Assert
    expect(verdict).toEqual({ verified: true, wrong: false, wrongUnflagged: false });
  });

  it('finds a price that misses the last trade of its second, unflagged unless gap or stale says so', () => {
    // Prepare: second 70's trade (170) was missed; the row still shows 169.
    const stale = row({ price: '169.00000000', evaluatedAt: T0 + 69_500, change1m: ((169 - 109) / 109) * 100 });

    // Act
    const silent = verifyRow(stale, tape, [run], 1000);
    const announced = verifyRow({ ...stale, flags: ['gap'] }, tape, [run], 1000);
    const backfilledOnly = verifyRow({ ...stale, flags: ['backfilled'] }, tape, [run], 1000);

    // Assert
    expect(silent).toMatchObject({ wrong: true, wrongUnflagged: true, mismatch: { field: 'price', stored: 169, expected: 170 } });
    expect(announced).toMatchObject({ wrong: true, wrongUnflagged: false });
    expect(backfilledOnly).toMatchObject({ wrong: true, wrongUnflagged: true });
  });

  it('checks a change only when its reference trade came after the producing run was subscribed', () => {
    // Prepare: at 30.5 s the 1m reference is before T0 (none) -> unchecked; a kline-based 5m value is never checked here.
    const early = row({ time: T0 + 30_000, price: '130.00000000', evaluatedAt: T0 + 30_500, change1m: 1.5, change5m: 7 });
    const wrongChange = row({ change1m: 12.5 });

    // Act
    const earlyVerdict = verifyRow(early, tape, [run], 1000);
    const wrongVerdict = verifyRow(wrongChange, tape, [run], 1000);

    // Assert
    expect(earlyVerdict).toEqual({ verified: true, wrong: false, wrongUnflagged: false });
    expect(wrongVerdict.mismatch).toEqual({ field: 'change1m', stored: 12.5, expected: ((170 - 110) / 110) * 100 });
  });

  it('leaves rows of a fresh run unchecked until its first live trade', () => {
    // Prepare: a second run spawned at 70.2 s, ready at 71.6 s, dated its warm-start state 69.9 s.
    const first: CollectorRun = { ...run, endedAt: T0 + 66_000 };
    const second: CollectorRun = { id: 'b', spawnedAt: T0 + 70_200, readyAt: T0 + 71_600, endedAt: undefined };
    const warm = row({ time: T0 + 69_000, price: '150.00000000', evaluatedAt: T0 + 69_900, change1m: 3, flags: ['backfilled'] });

    // Act
    const producer = producerOf([first, second], warm.evaluatedAt);
    const verdict = verifyRow(warm, tape, [first, second], 1000);

    // Assert
    expect(producer?.id).toBe('b');
    expect(verdict).toEqual({ verified: false, wrong: false, wrongUnflagged: false });
  });
});

describe('completeness', () => {
  it('counts seconds without a row and extra rows within one second', () => {
    // Prepare
    const counts = [
      { symbol: 'A', second: T0, rows: 1 },
      { symbol: 'A', second: T0 + 1000, rows: 2 },
      { symbol: 'B', second: T0, rows: 1 },
      { symbol: 'B', second: T0 + 5000, rows: 1 },
    ];

    // Act
    const result = completeness(counts, ['A', 'B'], T0, T0 + 1000);

    // Assert
    expect(result.missing).toEqual([{ symbol: 'B', second: T0 + 1000 }]);
    expect(result.duplicated).toEqual([{ symbol: 'A', second: T0 + 1000 }]);
  });

  it('spans from the first second every symbol has a row to the last second closed before the stop', () => {
    // Act
    const window = completenessWindow(new Map([['A', T0], ['B', T0 + 2000]]), ['A', 'B'], T0 + 10_400);

    // Assert
    expect(window).toEqual({ from: T0 + 2000, to: T0 + 9000 });
  });

  it('counts a symbol without any row as missing in every second', () => {
    // Act
    const window = completenessWindow(new Map([['A', T0]]), ['A', 'B'], T0 + 3000);
    const result = completeness([{ symbol: 'A', second: T0, rows: 1 }, { symbol: 'A', second: T0 + 1000, rows: 1 }], ['A', 'B'], window.from, window.to);

    // Assert
    expect(window).toEqual({ from: T0, to: T0 + 2000 });
    expect(result.missing).toEqual([
      { symbol: 'A', second: T0 + 2000 },
      { symbol: 'B', second: T0 },
      { symbol: 'B', second: T0 + 1000 },
      { symbol: 'B', second: T0 + 2000 },
    ]);
  });
});
