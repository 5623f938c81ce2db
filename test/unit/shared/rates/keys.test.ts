import * as collectorKeys from '../../../../services/collector/sinks/redis/keys';
import { isRateWindow, parseRateKey, rankKey, RATE_WINDOWS, rateKey, ratesChannel, statusKey } from '../../../../services/shared/rates';

describe('rates keys', () => {
  it('spells the contract keys', () => {
    // Act
    const keys = [rateKey('binance', 'BTCUSDT'), rankKey('binance', '5m'), ratesChannel('binance'), statusKey('c-1')];

    // Assert
    expect(keys).toEqual(['rates:binance:BTCUSDT', 'rates:binance:rank:5m', 'rates:binance', 'status:collector:c-1']);
  });

  it('gives the same strings as the collector keys it replaces', () => {
    // Act
    const shared = [rateKey('binance', 'ETHUSDT'), ...RATE_WINDOWS.map((w) => rankKey('binance', w)), ratesChannel('binance'), statusKey('x')];
    const collector = [collectorKeys.rateKey('binance', 'ETHUSDT'), ...collectorKeys.RATE_WINDOWS.map((w) => collectorKeys.rankKey('binance', w)), collectorKeys.ratesChannel('binance'), collectorKeys.statusKey('x')];

    // Assert
    expect(shared).toEqual(collector);
    expect([...RATE_WINDOWS]).toEqual([...collectorKeys.RATE_WINDOWS]);
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
