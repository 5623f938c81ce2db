import fc from 'fast-check';
import { parsePreviousState } from '../../../../services/collector/sinks/redis';
import { decodePreviousState, encodeRateHash, rateStateFromHash, type RateState } from '../../../../services/shared/rates';

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
  it('decodes the prev field like the collector it replaces', () => {
    const part = fc.oneof(fc.constant(''), fc.constant('x'), fc.integer().map(String), fc.double().map(String), fc.constant('stale,gap'));
    fc.assert(
      fc.property(fc.array(part, { minLength: 5, maxLength: 9 }), (parts) => {
        // Prepare
        const text = parts.join('|');

        // Act / Assert
        expect(decodePreviousState('BTCUSDT', text)).toEqual(parsePreviousState('BTCUSDT', text));
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
