import { OkxStreamProtocol, ProtocolUsageError, SymbolDirectory } from '../../../../services/collector/exchange';
import type { SymbolInfo } from '../../../../services/collector/domain';

const info = (nativeSymbol: string): SymbolInfo => {
  const [base = '', quote = ''] = nativeSymbol.split('-');
  return { symbol: `${base}${quote}`, nativeSymbol, baseAsset: base, quoteAsset: quote, status: 'live', tradable: true };
};

function loadedProtocol(): OkxStreamProtocol {
  const directory = new SymbolDirectory('okx');
  directory.load([info('BTC-USDT'), info('ETH-BTC')]);
  return new OkxStreamProtocol({ directory });
}

describe('OkxStreamProtocol', () => {
  it('names the trades stream by the native instrument and maps it back', () => {
    // Prepare
    const protocol = loadedProtocol();
    // Act
    const streams = protocol.streamsForSymbol('BTCUSDT');
    // Assert
    expect(streams).toEqual(['trades:BTC-USDT']);
    expect([protocol.symbolOfStream('trades:BTC-USDT'), protocol.symbolOfStream('tickers:BTC-USDT'), protocol.symbolOfStream('trades:BTC-USD-SWAP'), protocol.symbolOfStream('nonsense')]).toEqual(['BTCUSDT', undefined, undefined, undefined]);
  });

  it('refuses to plan streams before the directory is loaded, and plans none for a pair OKX does not list', () => {
    // Prepare
    const empty = new OkxStreamProtocol({ directory: new SymbolDirectory('okx') });
    const loaded = loadedProtocol();
    // Act
    const unlisted = loaded.streamsForSymbol('DOGEUSDT');
    // Assert
    expect(() => empty.streamsForSymbol('BTCUSDT')).toThrow(expect.objectContaining({ code: 'SYMBOL_DIRECTORY_NOT_LOADED' }) as Error);
    expect(unlisted).toEqual([]);
  });

  it('encodes subscribe and unsubscribe with OKX args and the request id as a string', () => {
    // Prepare
    const protocol = loadedProtocol();
    // Act
    const subscribe = protocol.encodeSubscribe(['trades:BTC-USDT', 'trades:ETH-BTC'], 7);
    const unsubscribe = protocol.encodeUnsubscribe(['trades:BTC-USDT'], 8);
    // Assert
    expect(JSON.parse(subscribe)).toEqual({ id: '7', op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }, { channel: 'trades', instId: 'ETH-BTC' }] });
    expect(JSON.parse(unsubscribe)).toEqual({ id: '8', op: 'unsubscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
  });

  it('round-trips: the ack of each encoded arg names that arg\'s stream and the request id', () => {
    // Prepare
    const protocol = loadedProtocol();
    const request = JSON.parse(protocol.encodeSubscribe(['trades:BTC-USDT', 'trades:ETH-BTC'], 41)) as { id: string; args: unknown[] };
    const context = { receivedAt: 0, receivedAtMono: 0, exchangeNow: 0, maxClockDistanceMs: 1, clockSynchronized: false, isKnownStream: () => true };
    // Act
    const replies = request.args.map((arg) => protocol.parseFrame(JSON.stringify({ id: request.id, event: 'subscribe', arg, connId: 'c' }), context));
    // Assert
    expect(replies).toEqual([
      { kind: 'reply', id: 41, streams: ['trades:BTC-USDT'], result: null },
      { kind: 'reply', id: 41, streams: ['trades:ETH-BTC'], result: null },
    ]);
  });

  it('keeps a full request of the longest instruments within OKX\'s 4096 bytes and refuses what does not fit', () => {
    // Prepare
    const protocol = loadedProtocol();
    const longest = Array.from({ length: protocol.maxStreamsPerRequest }, (_, i) => `trades:${'A'.repeat(14)}${String(i).padStart(4, '0')}-USDT`);
    // Act
    const text = protocol.encodeSubscribe(longest, Number.MAX_SAFE_INTEGER);
    // Assert
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(() => protocol.encodeSubscribe([...longest, 'trades:X-USDT'], 1)).toThrow(ProtocolUsageError);
    expect(() => protocol.encodeSubscribe([], 1)).toThrow(ProtocolUsageError);
    expect(() => protocol.encodeSubscribe(['BTC-USDT'], 1)).toThrow(ProtocolUsageError);
    expect(() => protocol.encodeSubscribe(['trades:BTC-USDT'], -1)).toThrow(ProtocolUsageError);
  });

  it('appends /ws/v5/public only to a base URL without a path', () => {
    // Prepare
    const protocol = loadedProtocol();
    // Act
    const urls = ['wss://ws.okx.com:8443', 'ws://127.0.0.1:9100/', 'wss://ws.okx.com:8443/ws/v5/public', 'wss://wsaws.okx.com:8443/ws/v5/public'].map((base) => protocol.connectionUrl(base));
    // Assert
    expect(urls).toEqual(['wss://ws.okx.com:8443/ws/v5/public', 'ws://127.0.0.1:9100/ws/v5/public', 'wss://ws.okx.com:8443/ws/v5/public', 'wss://wsaws.okx.com:8443/ws/v5/public']);
  });

  it('declares OKX\'s limits, a text ping inside the 30 s idle cut, no age cut and increasing ids', () => {
    // Prepare
    const protocol = loadedProtocol();
    // Act
    const keepalive = protocol.keepalive;
    // Assert
    expect(keepalive.kind === 'client-ping' && [keepalive.intervalMs, keepalive.encodePing()]).toEqual([20_000, 'ping']);
    expect([protocol.maxConnectionAttempts, protocol.connectionAttemptWindowMs, protocol.maxSubscribeRequestsPerWindow, protocol.subscribeRequestWindowMs, protocol.maxConnectionAgeMs, protocol.tradeIds]).toEqual([3, 1000, 480, 3_600_000, Number.POSITIVE_INFINITY, 'increasing']);
    expect(() => new OkxStreamProtocol({ directory: new SymbolDirectory('okx'), pingIntervalMs: 30_000 })).toThrow(RangeError);
  });
});
