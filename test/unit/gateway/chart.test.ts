import { ChartBook } from '../../../services/gateway/chart';
import type { RateFields } from '../../../services/shared/rates';

const rate = (symbol: string, ts: number, price: string): RateFields => ({ symbol, price, ts: String(ts), tradeTs: String(ts - 1), flags: '' });
const T = 1_700_000_000_000;

describe('ChartBook', () => {
  it('keeps one point per second, the newest ts of the second, oldest first', () => {
    // Prepare
    const book = new ChartBook({ seconds: 900, maxSymbols: 10 });

    // Act
    book.record('binance', [rate('BTCUSDT', T + 1_500, '2'), rate('BTCUSDT', T + 100, '1'), rate('BTCUSDT', T + 1_900, '3'), rate('BTCUSDT', T + 1_200, '9')]);

    // Assert
    expect(book.points('binance', 'BTCUSDT', T + 2_000)).toEqual([
      [T + 100, '1'],
      [T + 1_900, '3'],
    ]);
  });

  it('drops points older than the window and never lets an old second overwrite a newer one in its slot', () => {
    // Prepare
    const book = new ChartBook({ seconds: 60, maxSymbols: 10 });
    book.record('binance', [rate('ETHUSDT', T, '1'), rate('ETHUSDT', T + 60_000, '2')]);

    // Act: the same slot as T + 60 s, a minute older.
    book.record('binance', [rate('ETHUSDT', T, '0.5')]);

    // Assert
    expect(book.points('binance', 'ETHUSDT', T + 61_000)).toEqual([[T + 60_000, '2']]);
    expect(book.points('binance', 'ETHUSDT', T + 200_000)).toEqual([]);
  });

  it('keeps exchanges apart and refuses new symbols beyond its bound, counting them', () => {
    // Prepare
    let refused = 0;
    const book = new ChartBook({ seconds: 60, maxSymbols: 2, onRefused: () => (refused += 1) });

    // Act
    book.record('binance', [rate('AUSDT', T, '1'), rate('BUSDT', T, '1'), rate('CUSDT', T, '1')]);
    book.record('okx', [rate('AUSDT', T, '5')]);
    book.record('binance', [rate('AUSDT', T + 1000, '2')]);

    // Assert
    expect(book.symbols).toBe(2);
    expect(refused).toBe(2);
    expect(book.refused).toBe(2);
    expect(book.points('binance', 'CUSDT', T + 1000)).toEqual([]);
    expect(book.points('binance', 'AUSDT', T + 2000)).toEqual([
      [T, '1'],
      [T + 1000, '2'],
    ]);
  });

  it('skips rates whose ts or price is not a number', () => {
    // Prepare
    const book = new ChartBook({ seconds: 60, maxSymbols: 10 });

    // Act
    book.record('binance', [rate('AUSDT', Number.NaN, '1'), { ...rate('AUSDT', T, 'x') }]);

    // Assert
    expect(book.symbols).toBe(0);
  });

  it('refuses a window that is not a positive whole number of seconds', () => {
    // Act / Assert
    expect(() => new ChartBook({ seconds: 0, maxSymbols: 1 })).toThrow(RangeError);
  });
});
