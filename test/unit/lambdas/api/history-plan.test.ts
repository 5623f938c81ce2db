import fc from 'fast-check';
import { bucketWindow, DAY_FILE_GRACE_MS, DAY_MS, MAX_ROLLUP_ROWS_PER_PAGE, maxLimitFor, minuteSegments, pageLimit, rawTierStart, ROLLUP_MS } from '../../../../lambdas/api/store/history-plan';
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

describe('minuteSegments', () => {
  const D = Date.UTC(2026, 0, 10);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  it('splits a month into whole closed days and merged partial ranges at both ends', () => {
    // Prepare: from mid-day 30 days back to now, mid-day.
    const now = D + 12 * 3_600_000;
    const start = now - 30 * DAY_MS;

    // Act
    const segments = minuteSegments(start, now, now);

    // Assert
    expect(segments[0]).toEqual({ startMs: start, endMs: start + 12 * 3_600_000 });
    expect(segments.slice(1, -1).map((s) => s.day)).toEqual(Array.from({ length: 29 }, (_, i) => day(D - (29 - i) * DAY_MS)));
    expect(segments[segments.length - 1]).toEqual({ startMs: D, endMs: now });
  });

  it('leaves a day inside the grace to the rollup, merged with today', () => {
    // Prepare: yesterday ended less than the grace ago.
    const now = D + DAY_FILE_GRACE_MS - 1;

    // Act
    const segments = minuteSegments(D - 2 * DAY_MS, now, now);

    // Assert
    expect(segments).toEqual([
      { startMs: D - 2 * DAY_MS, endMs: D - DAY_MS, day: day(D - 2 * DAY_MS) },
      { startMs: D - DAY_MS, endMs: now },
    ]);
  });

  it('is one range when the window holds no whole closed day', () => {
    // Act
    const segments = minuteSegments(D + MINUTE, D + DAY_MS + MINUTE, D + 10 * DAY_MS);

    // Assert
    expect(segments).toEqual([{ startMs: D + MINUTE, endMs: D + DAY_MS + MINUTE }]);
  });

  it('covers any window exactly, in order, without overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 * 1440 }), fc.integer({ min: 1, max: 44_640 }), fc.integer({ min: -3 * 1440, max: 3 * 1440 }), (startMinute, minutes, nowOffset) => {
        const start = D + startMinute * MINUTE;
        const end = start + minutes * MINUTE;
        const segments = minuteSegments(start, end, end + nowOffset * MINUTE);
        expect(segments[0]!.startMs).toBe(start);
        expect(segments[segments.length - 1]!.endMs).toBe(end);
        for (let i = 1; i < segments.length; i += 1) expect(segments[i]!.startMs).toBe(segments[i - 1]!.endMs);
        for (const segment of segments) {
          if (segment.day === undefined) continue;
          expect(segment.startMs % DAY_MS).toBe(0);
          expect(segment.endMs - segment.startMs).toBe(DAY_MS);
          expect(segment.endMs + DAY_FILE_GRACE_MS).toBeLessThanOrEqual(end + nowOffset * MINUTE);
        }
      }),
    );
  });
});
