import { decodeCursor, encodeCursor, INTERVAL_MS } from '../../../../lambdas/api/store/history-store';
import { HISTORY_INTERVALS, historyQuerySchema } from '../../../../lambdas/api/schemas';
import { thrownApiError } from './helpers';

const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

describe('encodeCursor / decodeCursor', () => {
  it.each([
    ['raw', 1_700_000_000_123_456n],
    ['raw', 0n],
    ['1s', 1_700_000_001_000n],
    ['1m', 1_700_000_040_000n],
    ['5m', 1_700_000_100_000n],
    ['1h', 1_699_999_200_000n],
  ] as const)('round-trips a %s cursor at %s', (kind, position) => {
    // Prepare
    const cursor = { kind, position };

    // Act
    const decoded = decodeCursor(encodeCursor(cursor), kind);

    // Assert
    expect(decoded).toEqual(cursor);
  });

  it('keeps a position beyond Number precision exact', () => {
    // Prepare
    const position = 9_007_199_254_740_993n;

    // Act
    const decoded = decodeCursor(encodeCursor({ kind: 'raw', position }), 'raw');

    // Assert
    expect(decoded.position).toBe(position);
  });

  it('encodes a cursor the history query accepts back', () => {
    // Prepare
    const text = encodeCursor({ kind: 'raw', position: 1_700_000_000_123_456n });

    // Act
    const parsed = historyQuerySchema.safeParse({ cursor: text });

    // Assert
    expect(parsed.success).toBe(true);
  });

  it.each([
    ['1m', '5m'],
    ['raw', '1s'],
    ['1h', 'raw'],
  ] as const)('refuses a %s cursor on a %s query with 400 naming query.cursor', (encodedKind, expectedKind) => {
    // Prepare
    const text = encodeCursor({ kind: encodedKind, position: 1_700_000_040_000n });

    // Act
    const error = thrownApiError(() => decodeCursor(text, expectedKind));

    // Assert
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ field: 'query.cursor', reason: expect.any(String) }]);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['an empty cursor', ''],
    ['a non-numeric position', base64url('raw:abc')],
    ['two positions', base64url('raw:1:2')],
    ['an unknown kind', base64url('15m:1700000000000')],
    ['no kind', base64url(':1700000000000')],
    ['a position beyond 20 digits', base64url(`raw:${'1'.repeat(21)}`)],
    ['a trailing newline', base64url('raw:1700000000000\n')],
  ])('refuses %s with 400 naming query.cursor', (_label, text) => {
    // Act
    const error = thrownApiError(() => decodeCursor(text, 'raw'));

    // Assert
    expect(error.status).toBe(400);
    expect(error.details).toEqual([{ field: 'query.cursor', reason: expect.any(String) }]);
  });
});

describe('INTERVAL_MS', () => {
  it('gives each interval its width in milliseconds', () => {
    // Assert
    expect(INTERVAL_MS).toEqual({ '1s': 1000, '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000 });
  });

  it('knows exactly the intervals the history query accepts', () => {
    // Act
    const known = Object.keys(INTERVAL_MS).sort();

    // Assert
    expect(known).toEqual([...HISTORY_INTERVALS].sort());
  });
});
