import { aggregateMinutes, compareDecimal, type RateRecord } from '../../../../lambdas/ingest';

const M = Date.UTC(2026, 0, 2, 3, 4);
const rate = (time: number, price: string, flags: string[] = [], overrides: Partial<RateRecord> = {}): RateRecord => ({
  time,
  exchange: 'binance',
  symbol: 'BTCUSDT',
  price,
  change1m: time / 1000,
  change5m: null,
  change15m: 1,
  flags,
  evaluatedAt: time + 1,
  ...overrides,
});

describe('compareDecimal', () => {
  it.each([
    ['9', '10', -1],
    ['10', '9', 1],
    ['1.5', '1.50', 0],
    ['1.05', '1.5', -1],
    ['0.1', '0.09', 1],
    ['123456789012345678.1', '123456789012345678.01', 1],
    ['2', '2.0001', -1],
  ])('%s vs %s -> %d', (a, b, sign) => {
    expect(Math.sign(compareDecimal(a, b))).toBe(sign);
  });
});

describe('aggregateMinutes', () => {
  it('aggregates each minute whatever the row order: open/close by time, high/low by value, changes of the latest row, sorted distinct flags', () => {
    // Prepare
    const rows = [rate(M + 30_000, '10', ['gap']), rate(M + 1000, '9.5', ['stale', 'backfilled']), rate(M + 59_000, '9.75', ['gap']), rate(M + 20_000, '100.25')];

    // Act
    const forward = aggregateMinutes(rows);
    const backward = aggregateMinutes([...rows].reverse());

    // Assert
    expect(forward).toEqual([
      {
        bucket: M,
        exchange: 'binance',
        symbol: 'BTCUSDT',
        open: '9.5',
        high: '100.25',
        low: '9.5',
        close: '9.75',
        change1m: (M + 59_000) / 1000,
        change5m: null,
        change15m: 1,
        flags: ['backfilled', 'gap', 'stale'],
        rows: 4,
        openTime: M + 1000,
        closeTime: M + 59_000,
      },
    ]);
    expect(backward).toEqual(forward);
  });

  it('gives one row per exchange, symbol and minute, in key order', () => {
    const minutes = aggregateMinutes([rate(M + 60_000, '1'), rate(M, '1', [], { symbol: 'ETHUSDT' }), rate(M + 59_999, '2'), rate(M, '3', [], { exchange: 'aaa' })]);
    expect(minutes.map((m) => [m.exchange, m.symbol, m.bucket, m.rows])).toEqual([
      ['aaa', 'BTCUSDT', M, 1],
      ['binance', 'BTCUSDT', M, 1],
      ['binance', 'BTCUSDT', M + 60_000, 1],
      ['binance', 'ETHUSDT', M, 1],
    ]);
  });
});
