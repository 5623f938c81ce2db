import { closedDayKeys, partitionProbeTimes, RetentionCache, splitByRetention, type RateRecord } from '../../../../lambdas/ingest';

const DAY = 86_400_000;
const D = Date.UTC(2026, 0, 10);
const rate = (time: number): RateRecord => ({ time, exchange: 'binance', symbol: 'BTCUSDT', price: '1', change1m: null, change5m: null, change15m: null, flags: [], evaluatedAt: time });

describe('splitByRetention', () => {
  it('refuses rows before the cutoff and keeps the rest, in order', () => {
    const rows = [rate(D - 1), rate(D), rate(D + 5), rate(D - DAY)];
    const split = splitByRetention(rows, D);
    expect(split.kept.map((r) => r.time)).toEqual([D, D + 5]);
    expect(split.refused.map((r) => r.time)).toEqual([D - 1, D - DAY]);
  });
});

describe('partitionProbeTimes', () => {
  it('gives one time per UTC day, the latest of that day (inside retention even on the cutoff day), sorted', () => {
    const rows = [rate(D + 5 * 3600_000), rate(D - DAY + 100), rate(D + 23 * 3600_000), rate(D - DAY + 50)];
    expect(partitionProbeTimes(rows)).toEqual([D - DAY + 100, D + 23 * 3600_000]);
  });
});

describe('RetentionCache', () => {
  it('fetches once per ttl and key, advances the cutoff with the clock between fetches, and fetches again after invalidate', async () => {
    // Prepare
    let now = 1000;
    const cache = new RetentionCache<object>({ ttlMs: 60_000, now: () => now });
    const pool = {};
    const other = {};
    let fetches = 0;
    const fetch = async () => {
      fetches += 1;
      return 5_000_000 + fetches;
    };

    // Act / Assert
    await expect(cache.cutoff(pool, fetch)).resolves.toBe(5_000_001);
    now += 30_000;
    await expect(cache.cutoff(pool, fetch)).resolves.toBe(5_030_001);
    await expect(cache.cutoff(other, fetch)).resolves.toBe(5_000_002);
    now += 30_000;
    await expect(cache.cutoff(pool, fetch)).resolves.toBe(5_000_003);
    cache.invalidate(pool);
    await expect(cache.cutoff(pool, fetch)).resolves.toBe(5_000_004);
    expect(fetches).toBe(4);
  });
});

describe('closedDayKeys', () => {
  const at = (time: number, symbol = 'BTCUSDT', exchange = 'binance'): RateRecord => ({ ...rate(time), symbol, exchange });

  it('lists each (exchange, symbol, day) before today once, and nothing of today', () => {
    // Prepare
    const now = D + 3_600_000;
    const rows = [at(D + 5), at(D - 1), at(D - 2), at(D - DAY - 1, 'ETHUSDT'), at(D - 1, 'BTCUSDT', 'okx'), at(D - 10 * DAY)];

    // Act
    const keys = closedDayKeys(rows, now);

    // Assert
    expect(keys).toEqual({
      exchanges: ['binance', 'binance', 'okx', 'binance'],
      symbols: ['BTCUSDT', 'ETHUSDT', 'BTCUSDT', 'BTCUSDT'],
      days: ['2026-01-09', '2026-01-08', '2026-01-09', '2025-12-31'],
    });
  });

  it('is empty for a batch of today only, the usual case', () => {
    // Act
    const keys = closedDayKeys([at(D), at(D + DAY - 1)], D + 10);

    // Assert
    expect(keys.days).toEqual([]);
  });
});
