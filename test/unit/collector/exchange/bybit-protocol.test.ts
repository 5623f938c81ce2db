import { BybitStreamProtocol, ProtocolUsageError, SymbolDirectory } from '../../../../services/collector/exchange';

describe('BybitStreamProtocol', () => {
  it('encodes subscribe and unsubscribe with req_id and at most 10 topics', () => {
    // Prepare
    const protocol = new BybitStreamProtocol();
    const ten = Array.from({ length: 10 }, (_, i) => `publicTrade.COIN${i}USDT`);
    // Act
    const subscribe = protocol.encodeSubscribe(['publicTrade.BTCUSDT'], 5);
    const unsubscribe = protocol.encodeUnsubscribe(ten, 6);
    // Assert
    expect(JSON.parse(subscribe)).toEqual({ req_id: '5', op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    expect((JSON.parse(unsubscribe) as { args: string[] }).args).toHaveLength(10);
    expect(() => protocol.encodeSubscribe([...ten, 'publicTrade.BTCUSDT'], 1)).toThrow(ProtocolUsageError);
    expect(() => protocol.encodeSubscribe(['orderbook.50.BTCUSDT'], 1)).toThrow(ProtocolUsageError);
    expect(() => protocol.encodeSubscribe(['publicTrade.BTCUSDT'], 1.5)).toThrow(ProtocolUsageError);
  });

  it('names the publicTrade topic, by the listed symbol once the directory is loaded', () => {
    // Prepare
    const directory = new SymbolDirectory('bybit');
    const protocol = new BybitStreamProtocol({ directory });
    // Act
    const before = protocol.streamsForSymbol('BTCUSDT');
    directory.load([{ symbol: 'BTCUSDT', nativeSymbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', status: 'Trading', tradable: true }]);
    const after = [protocol.streamsForSymbol('BTCUSDT'), protocol.streamsForSymbol('DOGEUSDT')];
    // Assert
    expect(before).toEqual(['publicTrade.BTCUSDT']);
    expect(after).toEqual([['publicTrade.BTCUSDT'], []]);
    expect([protocol.symbolOfStream('publicTrade.BTCUSDT'), protocol.symbolOfStream('tickers.BTCUSDT'), protocol.symbolOfStream('publicTrade.')]).toEqual(['BTCUSDT', undefined, undefined]);
  });

  it('appends /v5/public/spot only to a base URL without a path', () => {
    // Prepare
    const protocol = new BybitStreamProtocol();
    // Act
    const urls = ['wss://stream.bybit.com', 'ws://127.0.0.1:9200', 'wss://stream.bybit.com/v5/public/spot'].map((base) => protocol.connectionUrl(base));
    // Assert
    expect(urls).toEqual(['wss://stream.bybit.com/v5/public/spot', 'ws://127.0.0.1:9200/v5/public/spot', 'wss://stream.bybit.com/v5/public/spot']);
  });

  it('declares Bybit\'s limits, the JSON ping every 20 s, no age cut and opaque ids', () => {
    // Prepare
    const protocol = new BybitStreamProtocol();
    // Act
    const keepalive = protocol.keepalive;
    // Assert
    expect(keepalive.kind === 'client-ping' && [keepalive.intervalMs, JSON.parse(keepalive.encodePing()) as unknown]).toEqual([20_000, { op: 'ping' }]);
    expect([protocol.maxStreamsPerRequest, protocol.maxStreamsPerConnection, protocol.maxConnectionAttempts, protocol.connectionAttemptWindowMs, protocol.maxConnectionAgeMs, protocol.tradeIds]).toEqual([10, 500, 500, 300_000, Number.POSITIVE_INFINITY, 'opaque']);
  });
});
