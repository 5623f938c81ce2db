import fc from 'fast-check';
import { parseRateHash } from '../../../../lambdas/api/cache/rates-reader';
import { decodeFlags, decodeRateHash, encodeRateHash, formatChange, rateFieldsFromHash, rateScriptArgs, type RateState } from '../../../../services/shared/rates';

const TS = 1_700_000_000_000;

const state = (overrides: Partial<RateState> = {}): RateState => ({ symbol: 'BTCUSDT', priceText: '97123.45000000', ts: TS, tradeTs: TS - 150, flags: [], ...overrides });

describe('rates hash encode', () => {
  it('writes the contract fields and leaves unknown changes absent', () => {
    // Act
    const fields = encodeRateHash(state({ change1m: 0.5, change15m: -1.25, flags: ['stale', 'gap'] }));

    // Assert
    expect(fields).toEqual({ symbol: 'BTCUSDT', price: '97123.45000000', ts: String(TS), tradeTs: String(TS - 150), change_1m: '0.5', change_15m: '-1.25', flags: 'stale,gap' });
  });

  it('gives the script arguments in the order APPLY_RATES_SCRIPT reads them', () => {
    // Act
    const args = rateScriptArgs(state({ change5m: 1e-7, flags: ['backfilled'] }));

    // Assert
    expect(args).toEqual(['BTCUSDT', TS, '97123.45000000', TS - 150, '', '0.0000001', '', 'backfilled']);
  });
});

describe('rates hash decode', () => {
  it('types a full hash', () => {
    // Act
    const rate = decodeRateHash('BTCUSDT', { price: '1.50', ts: String(TS), tradeTs: String(TS - 1), change_1m: '0.5', change_5m: '-1', change_15m: '0', flags: 'stale' });

    // Assert
    expect(rate).toEqual({ symbol: 'BTCUSDT', price: '1.50', ts: TS, tradeTs: TS - 1, change_1m: 0.5, change_5m: -1, change_15m: 0, flags: ['stale'] });
  });

  it('tolerates absent changes and flags and falls back to ts for tradeTs', () => {
    // Act
    const rate = decodeRateHash('BTCUSDT', { price: '1', ts: String(TS) });

    // Assert
    expect(rate).toEqual({ symbol: 'BTCUSDT', price: '1', ts: TS, tradeTs: TS, change_1m: null, change_5m: null, change_15m: null, flags: [] });
  });

  it.each([
    ['an expired key', {}],
    ['no price', { ts: String(TS) }],
    ['an empty price', { price: '', ts: String(TS) }],
    ['no ts', { price: '1' }],
    ['a fractional ts', { price: '1', ts: '1.5' }],
    ['a ts beyond a Date', { price: '1', ts: '9e15' }],
    ['a heartbeat hash', { collectorId: 'a', state: 'running' }],
  ])('refuses %s', (_name, hash: Record<string, string>) => {
    // Act / Assert
    expect(decodeRateHash('BTCUSDT', hash)).toBeUndefined();
  });

  it('round-trips what encode writes', () => {
    fc.assert(
      fc.property(
        fc.record({
          ts: fc.integer({ min: 0, max: 4_000_000_000_000 }),
          lag: fc.integer({ min: 0, max: 10_000 }),
          change: fc.option(fc.double({ min: -1000, max: 1000, noNaN: true }), { nil: undefined }),
          flags: fc.subarray(['backfilled', 'stale', 'anomaly', 'gap']),
        }),
        ({ ts, lag, change, flags }) => {
          // Prepare
          const fields = encodeRateHash(state({ ts, tradeTs: ts - lag, change5m: change, flags }));

          // Act
          const rate = decodeRateHash('BTCUSDT', fields as unknown as Record<string, string>);

          // Assert
          expect(rate).toEqual({ symbol: 'BTCUSDT', price: '97123.45000000', ts, tradeTs: ts - lag, change_1m: null, change_5m: change === undefined ? null : Number(formatChange(change)), change_15m: null, flags });
        },
      ),
    );
  });

  // Two deliberate differences, neither written by the collector: an empty price is
  // refused (the API reader typed it as ''), an empty tradeTs falls back to ts (the API gave 0).
  it('decodes like the config API reader it replaces', () => {
    const field = fc.oneof(fc.constant(undefined), fc.constant(''), fc.constant('NaN'), fc.constant('abc'), fc.double().map(String), fc.integer().map(String));
    fc.assert(
      fc.property(fc.record({ price: fc.oneof(fc.constant(undefined), fc.constant('1.5')), ts: field, tradeTs: field.filter((v) => v !== ''), change_1m: field, change_5m: field, change_15m: field, flags: fc.oneof(fc.constant(undefined), fc.constant('stale,odd,,gap')) }), (record) => {
        // Prepare
        const hash = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Record<string, string>;

        // Act
        const shared = decodeRateHash('BTCUSDT', hash);
        const api = parseRateHash('binance', 'BTCUSDT', hash);

        // Assert
        if (api === undefined) expect(shared).toBeUndefined();
        else expect({ exchange: 'binance', time: new Date(shared!.ts).toISOString(), ...shared }).toEqual(api);
      }),
    );
  });

  it('keeps the exact texts in the string form', () => {
    // Act
    const fields = rateFieldsFromHash('SHIBUSDT', { price: '0.00001234000000', ts: String(TS), tradeTs: String(TS), change_1m: '0.10', change_5m: 'NaN', flags: 'odd,gap', prev: 'x' });

    // Assert
    expect(fields).toEqual({ symbol: 'SHIBUSDT', price: '0.00001234000000', ts: String(TS), tradeTs: String(TS), change_1m: '0.10', flags: 'gap' });
  });

  it('drops unknown flags', () => {
    // Act / Assert
    expect(decodeFlags('odd,anomaly,,backfilled,STALE')).toEqual(['anomaly', 'backfilled']);
  });
});
