import { encodeRateCopyLine, encodeRatesCopy, type RateRecord } from '../../../../lambdas/ingest';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const rate = (overrides: Partial<RateRecord> = {}): RateRecord => ({
  time: T,
  exchange: 'binance',
  symbol: 'BTCUSDT',
  price: '43000.10000000',
  change1m: 0.1,
  change5m: null,
  change15m: -2,
  flags: ['backfilled', 'gap'],
  evaluatedAt: T + 1,
  ...overrides,
});

describe('encodeRateCopyLine', () => {
  it('writes the columns tab-separated in RATE_COPY_COLUMNS order, NULL as \\N, flags as an array literal', () => {
    expect(encodeRateCopyLine(rate())).toBe('2026-01-02T03:04:05.678Z\tbinance\tBTCUSDT\t43000.10000000\t0.1\t\\N\t-2\t{backfilled,gap}\t2026-01-02T03:04:05.679Z\n');
    expect(encodeRateCopyLine(rate({ flags: [], change1m: null }))).toContain('\t\\N\t\\N\t-2\t{}\t');
  });

  it('keeps floats exact (shortest round-trip form) and escapes what would break the framing', () => {
    expect(encodeRateCopyLine(rate({ change1m: 1e-7, change5m: 0.1 + 0.2 }))).toContain('\t1e-7\t0.30000000000000004\t');
    expect(encodeRateCopyLine(rate({ symbol: 'A\tB\\C' }))).toContain('\tA\\tB\\\\C\t');
    expect(encodeRateCopyLine(rate({ flags: ['a,b', 'c'] }))).toContain('\t{"a,b",c}\t');
  });
});

describe('encodeRatesCopy', () => {
  it('splits the stream into chunks of whole lines and loses no row', () => {
    // Prepare
    const rows = Array.from({ length: 100 }, (_, i) => rate({ time: T + i * 1000, evaluatedAt: T + i * 1000 + 1 }));

    // Act
    const chunks = encodeRatesCopy(rows, 1000);

    // Assert
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.endsWith('\n'))).toBe(true);
    expect(chunks.join('')).toBe(rows.map((r) => encodeRateCopyLine(r)).join(''));
  });

  it('gives no chunk for no rows', () => {
    expect(encodeRatesCopy([])).toEqual([]);
  });
});
