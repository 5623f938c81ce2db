import { SymbolDirectory, SymbolDirectoryError } from '../../../../services/collector/exchange';
import type { SymbolInfo } from '../../../../services/collector/domain';

const pair = (nativeSymbol: string, tradable = true): SymbolInfo => {
  const [base = '', quote = ''] = nativeSymbol.split('-');
  return { symbol: `${base}${quote}`, nativeSymbol, baseAsset: base, quoteAsset: quote, status: tradable ? 'live' : 'suspend', tradable };
};

describe('SymbolDirectory', () => {
  it('maps both ways once loaded', () => {
    // Prepare
    const directory = new SymbolDirectory('okx');
    // Act
    directory.load([pair('BTC-USDT'), pair('ETH-BTC')]);
    // Assert
    expect([directory.nativeOf('BTCUSDT'), directory.nativeOf('ETHBTC'), directory.symbolOf('BTC-USDT'), directory.size, directory.loaded]).toEqual(['BTC-USDT', 'ETH-BTC', 'BTCUSDT', 2, true]);
  });

  it('refuses with a typed error before loading and for a pair the exchange does not list', () => {
    // Prepare
    const directory = new SymbolDirectory('okx');
    // Act
    const before = (() => {
      try {
        directory.nativeOf('BTCUSDT');
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    directory.load([pair('BTC-USDT')]);
    // Assert
    expect(before).toBeInstanceOf(SymbolDirectoryError);
    expect(before).toMatchObject({ code: 'SYMBOL_DIRECTORY_NOT_LOADED', exchange: 'okx', symbol: 'BTCUSDT' });
    expect(() => directory.nativeOf('DOGEUSDT')).toThrow(expect.objectContaining({ code: 'SYMBOL_NOT_LISTED' }) as Error);
    expect([directory.has('DOGEUSDT'), directory.symbolOf('DOGE-USDT')]).toEqual([false, undefined]);
  });

  it('prefers the tradable native name when two give the same symbol, and a new load replaces the old', () => {
    // Prepare
    const directory = new SymbolDirectory('okx');
    directory.load([pair('AB-CD', false), pair('A-BCD', true), pair('XY-Z')]);
    // Act
    const first = directory.nativeOf('ABCD');
    directory.load([pair('BTC-USDT')]);
    // Assert
    expect(first).toBe('A-BCD');
    expect([directory.has('XYZ'), directory.nativeOf('BTCUSDT')]).toEqual([false, 'BTC-USDT']);
  });
});
