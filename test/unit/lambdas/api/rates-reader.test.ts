import { parseRateHash } from '../../../../lambdas/api/cache/rates-reader';

const TS = 1_700_000_000_000;

describe('parseRateHash', () => {
  it('types a full rates hash', () => {
    // Prepare
    const hash = { price: '97123.45000000', ts: String(TS), tradeTs: String(TS - 150), change_1m: '0.5', change_5m: '-1.25', change_15m: '0', flags: 'stale,gap' };

    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', hash);

    // Assert
    expect(rate).toEqual({
      exchange: 'binance',
      symbol: 'BTCUSDT',
      price: '97123.45000000',
      ts: TS,
      time: '2023-11-14T22:13:20.000Z',
      tradeTs: TS - 150,
      change_1m: 0.5,
      change_5m: -1.25,
      change_15m: 0,
      flags: ['stale', 'gap'],
    });
  });

  it('keeps the price string exact', () => {
    // Act
    const rate = parseRateHash('binance', 'SHIBUSDT', { price: '0.00001234000000', ts: String(TS) });

    // Assert
    expect(rate?.price).toBe('0.00001234000000');
  });

  it('gives null for missing, empty or non-numeric changes', () => {
    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS), change_1m: '', change_5m: 'NaN' });

    // Assert
    expect(rate).toMatchObject({ change_1m: null, change_5m: null, change_15m: null });
  });

  it('gives no flags for an empty or missing flags field', () => {
    // Act
    const empty = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS), flags: '' });
    const missing = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS) });

    // Assert
    expect(empty?.flags).toEqual([]);
    expect(missing?.flags).toEqual([]);
  });

  it('drops flags it does not know', () => {
    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS), flags: 'odd,anomaly,,backfilled,STALE' });

    // Assert
    expect(rate?.flags).toEqual(['anomaly', 'backfilled']);
  });

  it('takes ts as the trade time when tradeTs is missing or not a number', () => {
    // Act
    const missing = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS) });
    const invalid = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS), tradeTs: 'x' });

    // Assert
    expect(missing?.tradeTs).toBe(TS);
    expect(invalid?.tradeTs).toBe(TS);
  });

  it('gives time as the ISO-8601 UTC form of ts', () => {
    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: '1795600800123' });

    // Assert
    expect(rate?.time).toBe('2026-11-25T10:00:00.123Z');
  });

  it.each([
    ['an empty (expired) hash', {}],
    ['a hash without price', { ts: String(TS) }],
    ['a hash without ts', { price: '1' }],
    ['a hash whose ts is not a number', { price: '1', ts: 'soon' }],
  ])('gives undefined for %s', (_label, hash) => {
    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', hash);

    // Assert
    expect(rate).toBeUndefined();
  });
});
