import { packRateRows } from '../../../../../services/collector/sinks/sqs';
import { ratesBatchSchema, type RateRow } from '../../../../../services/shared/history';

describe('packRateRows', () => {
  const header = { exchange: 'binance', collectorId: 'c1', intervalMs: 1000 };
  const rows: RateRow[] = Array.from({ length: 5000 }, (_, i) => [1_700_000_000_000, `SYM${i}USDT`, '123.45600000', 0.123456, -1.5, null, ['backfilled'], 1_700_000_000_500]);

  it('keeps every message under the byte limit and loses no row', () => {
    // Act
    const bodies = packRateRows(rows, header, 64 * 1024);

    // Assert
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(64 * 1024);
    const decoded = bodies.flatMap((body) => ratesBatchSchema.parse(JSON.parse(body)).rows);
    expect(decoded).toEqual(rows);
  });

  it('fits about 2,500 rows of a real symbol set into a 256 KiB message', () => {
    // Act
    const bodies = packRateRows(rows.slice(0, 2000), header, 256 * 1024);

    // Assert
    expect(bodies).toHaveLength(1);
  });
});
