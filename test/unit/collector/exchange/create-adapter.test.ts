import { BinanceStreamProtocol, BybitStreamProtocol, createExchangeAdapter, isExchangeId, OkxStreamProtocol } from '../../../../services/collector/exchange';

const okxInstruments = JSON.stringify({ code: '0', msg: '', data: [{ instId: 'BTC-USDT', baseCcy: 'BTC', quoteCcy: 'USDT', state: 'live', instType: 'SPOT' }] });

describe('createExchangeAdapter', () => {
  it('builds each exchange\'s adapter under its id', () => {
    // Prepare
    const ids = ['binance', 'okx', 'bybit'] as const;
    // Act
    const adapters = ids.map((id) => createExchangeAdapter(id));
    // Assert
    expect(adapters.map((a) => [a.exchange, a.protocol.exchange, a.rest.listSymbols === undefined])).toEqual([
      ['binance', 'binance', false],
      ['okx', 'okx', false],
      ['bybit', 'bybit', false],
    ]);
    expect([adapters[0]?.protocol, adapters[1]?.protocol, adapters[2]?.protocol].map((p) => p?.constructor)).toEqual([BinanceStreamProtocol, OkxStreamProtocol, BybitStreamProtocol]);
  });

  it('shares the OKX directory: listing symbols over REST lets the protocol name BTCUSDT\'s stream', async () => {
    // Prepare
    const urls: string[] = [];
    const fetchStub = (async (url: string) => {
      urls.push(url);
      return new Response(okxInstruments, { status: 200 });
    }) as unknown as typeof fetch;
    const adapter = createExchangeAdapter('okx', { restUrl: 'http://okx.test', fetch: fetchStub });
    // Act
    await adapter.rest.listSymbols();
    // Assert
    expect(adapter.protocol.streamsForSymbol('BTCUSDT')).toEqual(['trades:BTC-USDT']);
    expect(urls).toEqual(['http://okx.test/api/v5/public/instruments?instType=SPOT']);
  });

  it('refuses an exchange it does not know with a ConfigError', () => {
    // Prepare
    const exchange = 'kraken';
    // Act
    const build = () => createExchangeAdapter(exchange);
    // Assert
    expect(build).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
    expect([isExchangeId('okx'), isExchangeId('kraken')]).toEqual([true, false]);
  });

  it('keeps Binance\'s behaviour in the new seam members: server pings, consecutive ids, 24 h cut, 5 requests a second', () => {
    // Prepare
    const adapter = createExchangeAdapter('binance');
    // Act
    const protocol = adapter.protocol;
    // Assert
    expect([protocol.keepalive, protocol.tradeIds, protocol.maxConnectionAgeMs, protocol.maxSubscribeRequestsPerWindow, protocol.subscribeRequestWindowMs]).toEqual([{ kind: 'server-ping' }, 'consecutive', 86_400_000, 5, 1000]);
  });
});
