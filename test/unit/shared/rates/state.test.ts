import fc from 'fast-check';
import { decodePreviousState, encodeFlags, encodeRateHash, formatChange, RATE_FLAGS, rateStateFromHash, type RateState } from '../../../../services/shared/rates';

const TS = 1_700_000_000_000;

describe('rates hash as a collector RateState', () => {
  it('reads back what encode wrote', () => {
    // Prepare
    const state: RateState = { symbol: 'BTCUSDT', priceText: '97000.10', ts: TS, tradeTs: TS - 3, change1m: 0.5, change15m: -2, flags: ['gap'] };

    // Act
    const read = rateStateFromHash('BTCUSDT', encodeRateHash(state) as unknown as Record<string, string>);

    // Assert
    expect(read).toEqual({ ...state, change5m: undefined });
  });

  it('refuses a hash that is not a rates hash', () => {
    // Act / Assert
    expect(rateStateFromHash('BTCUSDT', { collectorId: 'x' })).toBeUndefined();
  });
});

describe('decodePreviousState', () => {
  it('reads back every state in the form the apply script keeps it', () => {
    const change = fc.option(fc.double({ min: -1000, max: 1000, noNaN: true }), { nil: undefined });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.nat(10_000), change, change, change, fc.subarray([...RATE_FLAGS]), (ts, age, c1, c5, c15, flags) => {
        // Prepare: ts|price|tradeTs|change_1m|change_5m|change_15m|flags, as APPLY_RATES_SCRIPT writes `prev`
        const text = [ts, '97000.10', ts - age, formatChange(c1), formatChange(c5), formatChange(c15), encodeFlags(flags)].join('|');
        const written = (value: number | undefined) => (formatChange(value) === '' ? undefined : Number(formatChange(value)));

        // Act
        const state = decodePreviousState('BTCUSDT', text);

        // Assert
        expect(state).toEqual({ symbol: 'BTCUSDT', priceText: '97000.10', ts, tradeTs: ts - age, change1m: written(c1), change5m: written(c5), change15m: written(c15), flags });
      }),
    );
  });

  it('never throws on arbitrary text and gives only finite numbers', () => {
    const part = fc.oneof(fc.constant(''), fc.constant('x'), fc.integer().map(String), fc.double().map(String), fc.constant('stale,gap'));
    fc.assert(
      fc.property(fc.array(part, { minLength: 5, maxLength: 9 }), (parts) => {
        // Act
        const state = decodePreviousState('BTCUSDT', parts.join('|'));

        // Assert
        if (state) expect([state.ts, state.tradeTs, state.change1m ?? 0, state.change5m ?? 0, state.change15m ?? 0].every(Number.isFinite)).toBe(true);
      }),
    );
  });

  it('decodes a well-formed prev field', () => {
    // Act
    const state = decodePreviousState('BTCUSDT', `${TS}|1.5|${TS - 1}|0.1||-3|stale`);

    // Assert
    expect(state).toEqual({ symbol: 'BTCUSDT', priceText: '1.5', ts: TS, tradeTs: TS - 1, change1m: 0.1, change5m: undefined, change15m: -3, flags: ['stale'] });
  });
});
