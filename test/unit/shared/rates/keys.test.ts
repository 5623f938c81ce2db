import { isRateWindow, parseRateKey, rankKey, RATE_WINDOWS, rateKey, ratesChannel, statusKey, symbolIndexKey } from '../../../../services/shared/rates';

describe('rates keys', () => {
  it('spells the contract keys', () => {
    // Act
    const keys = [rateKey('binance', 'BTCUSDT'), ...RATE_WINDOWS.map((window) => rankKey('binance', window)), symbolIndexKey('okx'), ratesChannel('binance'), statusKey('c-1')];

    // Assert
    expect(keys).toEqual(['rates:binance:BTCUSDT', 'rates:binance:rank:1m', 'rates:binance:rank:5m', 'rates:binance:rank:15m', 'rates:okx:index', 'rates:binance', 'status:collector:c-1']);
  });

  it('parses rates hash keys and refuses rank sets and other keys', () => {
    // Act
    const parsed = ['rates:binance:BTCUSDT', 'rates:binance:rank:1m', 'rates:binance', 'status:collector:a', 'rates:BINANCE:BTCUSDT'].map(parseRateKey);

    // Assert
    expect(parsed).toEqual([{ exchange: 'binance', symbol: 'BTCUSDT' }, undefined, undefined, undefined, undefined]);
  });

  it('knows the windows', () => {
    // Act
    const answers = ['1m', '5m', '15m', '30m', 5, undefined].map(isRateWindow);

    // Assert
    expect(answers).toEqual([true, true, true, false, false, false]);
  });
});
