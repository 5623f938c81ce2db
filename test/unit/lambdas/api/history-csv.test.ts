import { barsToCsv, isoToUs } from '../../../../lambdas/api/store/history-csv';

describe('history CSV', () => {
  it('reads a COPY time back to the microsecond for the keyset cursor', () => {
    // Act
    const us = isoToUs('2026-01-02T03:04:05.123456Z');

    // Assert
    expect(us).toBe(BigInt(Date.UTC(2026, 0, 2, 3, 4, 5, 123)) * 1000n + 456n);
  });

  it('refuses anything that is not the COPY time format', () => {
    // Act
    const act = () => isoToUs('2026-01-02 03:04:05');

    // Assert
    expect(act).toThrow(RangeError);
  });

  it('writes bucket rows with the same columns as COPY: empty for unknown, flags joined by |', () => {
    // Prepare
    const rows = [
      { time: '2026-01-02T03:04:00.000Z', timeMs: 0, price: '10.5', open: '10', high: '11', low: '9.5', rows: 60, change_1m: 0.25, change_5m: null, change_15m: null, flags: ['backfilled', 'gap'] },
      { time: '2026-01-02T03:05:00.000Z', timeMs: 0, price: '10.6', open: '10.5', high: '10.7', low: '10.4', rows: 59, change_1m: null, change_5m: -1, change_15m: 2, flags: [] },
    ];

    // Act
    const csv = barsToCsv(rows);

    // Assert
    expect(csv).toBe('2026-01-02T03:04:00.000000Z,10,11,9.5,10.5,0.25,,,backfilled|gap,60\n2026-01-02T03:05:00.000000Z,10.5,10.7,10.4,10.6,,-1,2,,59\n');
  });
});
