import fc from 'fast-check';
import { bucketWindow, MAX_ROLLUP_ROWS_PER_PAGE, maxLimitFor, pageLimit, rawTierStart, ROLLUP_MS } from '../../../../lambdas/api/store/history-plan';
import { INTERVAL_MS } from '../../../../lambdas/api/store/history-store';
import { HISTORY_INTERVALS } from '../../../../lambdas/api/schemas';
import { thrownApiError } from './helpers';

const LIMITS = { defaultLimit: 1000, schemaMax: 5000 };
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

describe('maxLimitFor', () => {
  it.each([
    [undefined, 5000],
    ['1s', 5000],
    ['1m', 5000],
    ['5m', 5000],
    ['15m', 2976],
    ['1h', 744],
    ['4h', 186],
    ['1d', 31],
  ] as const)('allows %s at most limit=%d (31 days of minutes per page)', (interval, expected) => {
    // Act
    const max = maxLimitFor(interval, 5000);

    // Assert
    expect(max).toBe(expected);
  });

  it('keeps every interval within the rollup rows bound', () => {
    for (const interval of HISTORY_INTERVALS.filter((i) => i !== '1s')) {
      // Act
      const rows = (maxLimitFor(interval, 5000) * INTERVAL_MS[interval]) / ROLLUP_MS;

      // Assert
      expect(rows).toBeLessThanOrEqual(MAX_ROLLUP_ROWS_PER_PAGE);
    }
  });
});

describe('pageLimit', () => {
  it('clips the default to what the interval allows, and keeps an explicit limit within it', () => {
    // Act
    const clipped = pageLimit('1d', undefined, LIMITS);
    const plain = pageLimit(undefined, undefined, LIMITS);
    const explicit = pageLimit('1h', 744, LIMITS);

    // Assert
    expect(clipped).toBe(31);
    expect(plain).toBe(1000);
    expect(explicit).toBe(744);
  });

  it('refuses an explicit limit beyond the bound with 400 COST_LIMIT_EXCEEDED naming the largest allowed', () => {
    // Act
    const error = thrownApiError(() => pageLimit('1h', 745, LIMITS));

    // Assert
    expect(error.status).toBe(400);
    expect(error.code).toBe('COST_LIMIT_EXCEEDED');
    expect(error.message).toContain('limit=744');
    expect(error.details).toEqual([{ field: 'query.limit', reason: expect.stringContaining('31 days') }]);
  });
});

describe('rawTierStart', () => {
  it.each([
    ['a cutoff inside a minute', T0 + 12_345, T0 + MINUTE],
    ['a cutoff on a minute', T0, T0],
  ])('starts the raw tier at the first whole minute inside retention for %s', (_label, cutoff, expected) => {
    // Act
    const start = rawTierStart(cutoff);

    // Assert
    expect(start).toBe(expected);
  });
});

describe('bucketWindow', () => {
  it('reads the rollup for 1m and coarser, even inside raw retention', () => {
    // Act
    const window = bucketWindow({ interval: '5m', start: T0, toMs: T0 + 86_400_000, limit: 10, rawStart: T0 - 86_400_000 });

    // Assert
    expect(window).toEqual({ source: 'rollup', start: T0, end: T0 + 10 * 300_000 });
  });

  it('reads the raw table for 1s inside raw retention', () => {
    // Act
    const window = bucketWindow({ interval: '1s', start: T0 + 5000, toMs: T0 + 86_400_000, limit: 100, rawStart: T0 });

    // Assert
    expect(window).toEqual({ source: 'raw', start: T0 + 5000, end: T0 + 105_000 });
  });

  it('reads whole rollup minutes for 1s before raw retention, ending at the tier boundary', () => {
    // Act
    const window = bucketWindow({ interval: '1s', start: T0 + 30_000, toMs: T0 + 86_400_000, limit: 1000, rawStart: T0 + 10 * MINUTE });

    // Assert
    expect(window).toEqual({ source: 'rollup', start: T0, end: T0 + 10 * MINUTE });
  });

  it('pages 1s from any start to `to` in windows of one source that never overlap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7200 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 60, max: 7200 }),
        (fromSeconds, cutoffMinutes, limit, spanSeconds) => {
          // Prepare
          const from = T0 + fromSeconds * 1000;
          const to = from + spanSeconds * 1000;
          const rawStart = rawTierStart(T0 + cutoffMinutes * MINUTE + 1);

          // Act
          const windows = [];
          let start = from - (from % 1000);
          while (start < to && windows.length < 10_000) {
            const window = bucketWindow({ interval: '1s', start, toMs: to, limit, rawStart });
            windows.push(window);
            start = window.end;
          }

          // Assert
          expect(start).toBe(to);
          for (let i = 0; i < windows.length; i += 1) {
            const w = windows[i]!;
            expect(w.end).toBeGreaterThan(w.start);
            if (w.source === 'rollup') {
              expect(w.end <= rawStart || w.end === to).toBe(true);
              expect(w.start % MINUTE).toBe(0);
            } else {
              expect(w.start).toBeGreaterThanOrEqual(rawStart);
            }
            if (i > 0) expect(w.start).toBeGreaterThanOrEqual(windows[i - 1]!.end - (w.source === 'rollup' ? MINUTE : 0));
          }
        },
      ),
    );
  });
});
