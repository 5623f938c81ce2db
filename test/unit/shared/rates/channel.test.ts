import { decodeRatesMessage, RatesMessageError } from '../../../../services/shared/rates';

const TS = 1_700_000_000_000;

describe('decodeRatesMessage', () => {
  it('decodes what APPLY_RATES_SCRIPT publishes', () => {
    // Prepare: cjson writes every value as the string it was given
    const message = JSON.stringify([
      { symbol: 'BTCUSDT', price: '97000.1', ts: String(TS), tradeTs: String(TS - 3), change_1m: '0.5', flags: '' },
      { symbol: 'ETHUSDT', price: '3000', ts: String(TS), tradeTs: String(TS), change_1m: '1', change_5m: '2', change_15m: '3', flags: 'stale' },
    ]);

    // Act
    const decoded = decodeRatesMessage(message);

    // Assert
    expect(decoded).toEqual({
      rates: [
        { symbol: 'BTCUSDT', price: '97000.1', ts: String(TS), tradeTs: String(TS - 3), change_1m: '0.5', flags: '' },
        { symbol: 'ETHUSDT', price: '3000', ts: String(TS), tradeTs: String(TS), change_1m: '1', change_5m: '2', change_15m: '3', flags: 'stale' },
      ],
      invalid: 0,
    });
  });

  it('accepts numbers where strings are expected', () => {
    // Act
    const decoded = decodeRatesMessage(JSON.stringify([{ symbol: 'BTCUSDT', price: '1', ts: TS, tradeTs: TS, change_5m: -0.25, flags: '' }]));

    // Assert
    expect(decoded.rates).toEqual([{ symbol: 'BTCUSDT', price: '1', ts: String(TS), tradeTs: String(TS), change_5m: '-0.25', flags: '' }]);
  });

  it('skips and counts elements that are not rates hashes', () => {
    // Prepare
    const message = JSON.stringify([null, 5, [], { price: '1', ts: String(TS) }, { symbol: 'bad symbol', price: '1', ts: String(TS) }, { symbol: 'BTCUSDT', ts: String(TS) }, { symbol: 'ETHUSDT', price: '2', ts: String(TS), flags: '' }]);

    // Act
    const decoded = decodeRatesMessage(message);

    // Assert
    expect(decoded.invalid).toBe(6);
    expect(decoded.rates.map((r) => r.symbol)).toEqual(['ETHUSDT']);
  });

  it.each([
    ['not JSON', 'not json'],
    ['an object', '{"symbol":"BTCUSDT"}'],
    ['a number', '7'],
  ])('refuses %s with a RatesMessageError', (_name, message) => {
    // Act / Assert
    expect(() => decodeRatesMessage(message)).toThrow(RatesMessageError);
  });
});
