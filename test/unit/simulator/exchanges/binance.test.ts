import { createProtocol } from '../../../../services/simulator/exchanges';
import { resolveOptions } from '../../../../services/simulator/options';
import { requestWeight, ticker24h } from '../../../../services/simulator/rest';
import { ORIGIN, fixtureMarket, recordTrades } from './market-fixture';

const protocol = () => {
  const p = createProtocol('binance', resolveOptions({}));
  p.attach(fixtureMarket(), resolveOptions({}));
  return p;
};
const view = (state: unknown, streams: string[] = []) => ({ id: 1, streams: new Set(streams), createdAt: ORIGIN, state });

describe('binance plug-in', () => {
  it('accepts /ws/<stream>, /ws/<listenKey> without streams, /stream?streams=, and refuses malformed combined names and other paths', () => {
    // Prepare
    const p = protocol();
    const upgrade = (path: string) => p.upgrade(new URL(`ws://sim${path}`), '10.0.0.1', ORIGIN);
    // Act
    const stream = upgrade('/ws/btcusdt@aggTrade');
    const listenKey = upgrade('/ws/pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1');
    const combined = upgrade('/stream?streams=btcusdt@aggTrade/ethusdt@trade&timeUnit=MICROSECOND');
    const malformed = upgrade('/stream?streams=@@bad##');
    const elsewhere = upgrade('/v5/public/spot');
    // Assert
    expect(stream).toMatchObject({ kind: 'accept', streams: ['btcusdt@aggTrade'], state: { combined: false, timeFactor: 1 } });
    expect(listenKey).toMatchObject({ kind: 'accept', streams: [] });
    expect(combined).toMatchObject({ kind: 'accept', streams: ['btcusdt@aggTrade', 'ethusdt@trade'], state: { combined: true, timeFactor: 1000 } });
    expect(malformed).toMatchObject({ kind: 'refuse', status: 400 });
    expect(elsewhere).toMatchObject({ kind: 'refuse', status: 404 });
  });

  it('answers control frames and sets the combined property on its own state', () => {
    // Prepare
    const p = protocol();
    const state = { combined: false, timeFactor: 1 };
    // Act
    const subscribe = p.control('{"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":1}', view(state), ORIGIN);
    const setCombined = p.control('{"method":"SET_PROPERTY","params":["combined",true],"id":2}', view(state), ORIGIN);
    const tooMany = p.control(JSON.stringify({ method: 'SUBSCRIBE', params: Array.from({ length: 1025 }, (_, i) => `s${i}usdt@aggTrade`), id: 3 }), view(state), ORIGIN);
    // Assert
    expect(subscribe).toEqual({ replies: ['{"result":null,"id":1}'], subscribe: ['btcusdt@aggTrade'], unsubscribe: [] });
    expect(setCombined.replies).toEqual(['{"result":null,"id":2}']);
    expect(state.combined).toBe(true);
    expect(p.variantOf(state)).toBe(1);
    expect(tooMany.close).toEqual({ code: 1008, reason: 'Too many streams', cause: 'too-many-streams' });
  });

  it('keeps server pings with a pong timeout as its keepalive', () => {
    // Act
    const p = protocol();
    // Assert
    expect(p.keepalive).toEqual({ kind: 'server-ping', pingIntervalMs: 20_000, pongTimeoutMs: 60_000 });
    expect(p.batchTrades).toBe(false);
  });
});

describe('binance tickers', () => {
  it('weighs ticker/24hr and ticker/price by how many symbols are asked for', () => {
    // Prepare
    const list = (n: number) => new URLSearchParams({ symbols: JSON.stringify(Array.from({ length: n }, (_, i) => `S${i}USDT`)) });
    // Act
    const weights = [
      requestWeight('/api/v3/ticker/24hr', new URLSearchParams({ symbol: 'BTCUSDT' })),
      requestWeight('/api/v3/ticker/24hr', list(20)),
      requestWeight('/api/v3/ticker/24hr', list(21)),
      requestWeight('/api/v3/ticker/24hr', list(101)),
      requestWeight('/api/v3/ticker/24hr', new URLSearchParams()),
      requestWeight('/api/v3/ticker/price', new URLSearchParams({ symbol: 'BTCUSDT' })),
      requestWeight('/api/v3/ticker/price', list(3)),
      requestWeight('/api/v3/ticker/price', new URLSearchParams()),
      requestWeight('/api/v3/nope', new URLSearchParams()),
    ];
    // Assert
    expect(weights).toEqual([2, 2, 40, 80, 80, 2, 4, 4, undefined]);
  });

  it('computes 24 h statistics from the trades and candles', () => {
    // Prepare
    const market = fixtureMarket();
    const trades = recordTrades(market, 120);
    const state = market.get('BTCUSDT')!;
    // Act
    const row = ticker24h(state, ORIGIN + 120_000);
    // Assert
    expect(row).toMatchObject({
      symbol: 'BTCUSDT',
      lastPrice: '40001.19000000',
      highPrice: '40001.19000000',
      lowPrice: '40000.00000000',
      firstId: trades[0]!.f,
      lastId: trades[trades.length - 1]!.l,
      count: trades[trades.length - 1]!.l - trades[0]!.f + 1,
      openTime: ORIGIN + 120_000 - 86_400_000,
      closeTime: ORIGIN + 120_000,
    });
    expect(Number(row.volume)).toBeCloseTo(120 * 0.03);
  });
});
