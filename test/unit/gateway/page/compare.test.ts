import type { StreamRate } from '../../../../services/gateway/client';
import { choosePair, comparePair, exchangeStatus, formatSpreadPercent, pairOptions, subtractDecimals, tabKeyTarget, type ExchangeRates, type ExchangeStatus } from '../../../../services/gateway/page/compare';

const rate = (symbol: string, price: string): StreamRate => ({ symbol, price, ts: '1000', tradeTs: '990', flags: '', change_1m: '0.1' });

function exchange(name: string, status: ExchangeStatus, ...rates: StreamRate[]): ExchangeRates {
  const bySymbol = new Map(rates.map((r) => [r.symbol, r]));
  return { exchange: name, status, get: (symbol) => bySymbol.get(symbol), symbols: () => bySymbol.keys() };
}

describe('the exchange comparison', () => {
  it('tells an exchange still loading from one without data and one with rates', () => {
    // Act
    const statuses = [exchangeStatus(false, 0), exchangeStatus(true, 0), exchangeStatus(true, 3), exchangeStatus(false, 3)];

    // Assert
    expect(statuses).toEqual(['waiting', 'empty', 'live', 'live']);
  });

  it('subtracts decimal prices exactly, in the finer of the two scales', () => {
    // Act
    const results = [subtractDecimals('64003.2', '64000.10'), subtractDecimals('0.00012', '0.0001'), subtractDecimals('5', '5.000'), subtractDecimals('1', '1.5'), subtractDecimals('1e3', '1'), subtractDecimals('-1', '1')];

    // Assert
    expect(results).toEqual(['3.1', '0.00002', '0', '-0.5', undefined, undefined]);
  });

  it('puts the pair of every exchange side by side with the spread between the highest and the lowest price', () => {
    // Prepare
    const exchanges = [exchange('binance', 'live', rate('BTCUSDT', '64000.10')), exchange('okx', 'live', rate('BTCUSDT', '64003.2')), exchange('bybit', 'live', rate('BTCUSDT', '63998.5'))];

    // Act
    const comparison = comparePair('BTCUSDT', exchanges);

    // Assert
    expect(comparison.rows.map((row) => [row.exchange, row.kind, row.kind === 'quoted' ? row.rate.price : '', row.kind === 'quoted' ? row.extreme : ''])).toEqual([
      ['binance', 'quoted', '64000.10', undefined],
      ['okx', 'quoted', '64003.2', 'high'],
      ['bybit', 'quoted', '63998.5', 'low'],
    ]);
    expect(comparison.spread).toEqual({ high: { exchange: 'okx', price: '64003.2' }, low: { exchange: 'bybit', price: '63998.5' }, absolute: '4.7', percent: expect.closeTo((4.7 / 63998.5) * 100, 10) });
    expect(formatSpreadPercent(comparison.spread!.percent)).toBe('0.007 %');
  });

  it('says which exchange has no data, which does not carry the pair and which is loading, with no spread from one quote', () => {
    // Prepare
    const exchanges = [exchange('binance', 'live', rate('ETHUSDT', '3100')), exchange('okx', 'live', rate('BTCUSDT', '64000')), exchange('bybit', 'empty'), exchange('kraken', 'waiting')];

    // Act
    const comparison = comparePair('BTCUSDT', exchanges);

    // Assert
    expect(comparison.rows.map((row) => `${row.exchange}:${row.kind}`)).toEqual(['binance:missing', 'okx:quoted', 'bybit:empty', 'kraken:waiting']);
    expect(comparison.spread).toBeUndefined();
  });

  it('marks no high or low when every exchange quotes the same price', () => {
    // Act
    const comparison = comparePair('BTCUSDT', [exchange('binance', 'live', rate('BTCUSDT', '64000')), exchange('okx', 'live', rate('BTCUSDT', '64000.0'))]);

    // Assert
    expect(comparison.spread).toMatchObject({ absolute: '0', percent: 0 });
    expect(comparison.rows.some((row) => row.kind === 'quoted' && row.extreme !== undefined)).toBe(false);
  });

  it('opens with BTCUSDT when quoted, else the pair quoted by the most exchanges', () => {
    // Prepare
    const withBtc = [exchange('binance', 'live', rate('ETHUSDT', '1'), rate('BTCUSDT', '1')), exchange('okx', 'live', rate('ETHUSDT', '1'))];
    const withoutBtc = [exchange('binance', 'live', rate('XRPUSDT', '1'), rate('ETHUSDT', '1')), exchange('okx', 'live', rate('SOLUSDT', '1'), rate('ETHUSDT', '1')), exchange('bybit', 'live', rate('SOLUSDT', '1'))];
    const ties = [exchange('binance', 'live', rate('XRPUSDT', '1'), rate('ADAUSDT', '1'))];

    // Act
    const chosen = [choosePair(withBtc), choosePair(withoutBtc), choosePair(ties), choosePair([exchange('bybit', 'empty')])];

    // Assert
    expect(chosen).toEqual(['BTCUSDT', 'ETHUSDT', 'ADAUSDT', undefined]);
  });

  it('suggests every pair of any exchange once, sorted and bounded', () => {
    // Act
    const options = pairOptions([exchange('binance', 'live', rate('XRPUSDT', '1'), rate('BTCUSDT', '1')), exchange('okx', 'live', rate('BTCUSDT', '1'), rate('ADAUSDT', '1'))], 2);

    // Assert
    expect(options).toEqual(['ADAUSDT', 'BTCUSDT']);
  });

  it('moves between the exchange tabs with the arrow keys (wrapping), Home and End', () => {
    // Act
    const targets = ['ArrowRight', 'ArrowLeft', 'Home', 'End', 'Enter'].map((key) => tabKeyTarget(key, 2, 3));
    const fromFirst = tabKeyTarget('ArrowLeft', 0, 3);

    // Assert
    expect(targets).toEqual([0, 1, 0, 2, undefined]);
    expect(fromFirst).toBe(2);
  });
});
