import { BYBIT_REST_LIMIT, BybitRest, bybitControl, bybitTradeId, bybitTradePush, bybitTradeEntry, fillsOf, tickDirection } from '../../../../services/simulator/exchanges/bybit';
import { bybitGarbageFrames } from '../../../../services/simulator/exchanges/bybit/encode';
import { createProtocol } from '../../../../services/simulator/exchanges';
import { resolveOptions } from '../../../../services/simulator/options';
import { ORIGIN, fixtureMarket, get, recordTrades, restContext } from './market-fixture';

const context = (subscribed: string[] = []) => ({ connId: 'c0ffee00-0000-4000-8000-000000000000', knows: (s: string) => s === 'BTCUSDT' || s === 'ETHUSDT', subscribed: new Set(subscribed) });
const reply = (text: string, subscribed?: string[]) => {
  const outcome = bybitControl(text, context(subscribed));
  return { ...outcome, body: JSON.parse(outcome.replies[0]!) as Record<string, unknown> };
};

describe('bybit control frames', () => {
  it('subscribes, answers ping with the spot pong, and echoes req_id', () => {
    // Act
    const subscribe = reply('{"req_id":"9","op":"subscribe","args":["publicTrade.BTCUSDT"]}');
    const ping = reply('{"op":"ping"}');
    // Assert
    expect(subscribe.subscribe).toEqual(['publicTrade.BTCUSDT']);
    expect(subscribe.body).toEqual({ success: true, ret_msg: '', conn_id: context().connId, req_id: '9', op: 'subscribe' });
    expect(ping.body).toEqual({ success: true, ret_msg: 'pong', conn_id: context().connId, op: 'ping' });
  });

  it('refuses more than 10 args, unknown and repeated topics as a whole, and bad JSON', () => {
    // Act
    const eleven = reply(JSON.stringify({ op: 'subscribe', args: Array.from({ length: 11 }, (_, i) => `publicTrade.S${i}USDT`) }));
    const mixed = reply('{"op":"subscribe","args":["publicTrade.BTCUSDT","publicTrade.FOOUSDT","orderbook.1.ETHUSDT"]}');
    const repeated = reply('{"op":"subscribe","args":["publicTrade.ETHUSDT"]}', ['publicTrade.ETHUSDT']);
    const broken = reply('{nope');
    // Assert
    expect(eleven.body).toMatchObject({ success: false, ret_msg: 'args size >10', op: 'subscribe' });
    expect(mixed.subscribe).toEqual([]);
    expect(mixed.body.ret_msg).toBe('error:handler not found,topic:publicTrade.FOOUSDT;error:handler not found,topic:orderbook.1.ETHUSDT');
    expect(repeated.body).toMatchObject({ success: false, ret_msg: 'error:already subscribed,topic:publicTrade.ETHUSDT' });
    expect(broken.body).toMatchObject({ success: false, op: '' });
  });

  it('unsubscribes only what the connection holds', () => {
    // Act
    const outcome = reply('{"op":"unsubscribe","args":["publicTrade.BTCUSDT","publicTrade.ETHUSDT"]}', ['publicTrade.ETHUSDT']);
    // Assert
    expect(outcome.unsubscribe).toEqual(['publicTrade.ETHUSDT']);
    expect(outcome.body.success).toBe(true);
  });
});

describe('bybit encoding', () => {
  it('writes 19-digit increasing ids, executions of an aggregate and tick directions', () => {
    // Prepare
    const fills = fillsOf({ a: 1, f: 41, l: 42, T: ORIGIN, priceE8: 1_657_850_000_000, qtyE8: 600_000, m: true }, 1_000);
    // Act
    const push = JSON.parse(bybitTradePush('BTCUSDT', fills.map((f) => bybitTradeEntry('BTCUSDT', f, 'MinusTick')), ORIGIN + 3)) as Record<string, unknown>;
    // Assert
    expect(bybitTradeId(42)).toBe('2290000000000000042');
    expect(bybitTradeId(42).length).toBe(19);
    expect(push).toEqual({
      topic: 'publicTrade.BTCUSDT',
      type: 'snapshot',
      ts: ORIGIN + 3,
      data: [
        { T: ORIGIN, s: 'BTCUSDT', S: 'Sell', v: '0.003', p: '16578.5', L: 'MinusTick', i: '2290000000000000041', BT: false },
        { T: ORIGIN, s: 'BTCUSDT', S: 'Sell', v: '0.003', p: '16578.5', L: 'MinusTick', i: '2290000000000000042', BT: false },
      ],
    });
    expect([tickDirection(2, 1, 'MinusTick'), tickDirection(1, 2, 'PlusTick'), tickDirection(1, 1, 'MinusTick'), tickDirection(1, 1, 'PlusTick')]).toEqual(['PlusTick', 'MinusTick', 'ZeroMinusTick', 'ZeroPlusTick']);
    expect(bybitGarbageFrames('BTCUSDT', ORIGIN).some((f) => f.length > 1024 * 1024)).toBe(true);
  });
});

describe('bybit REST', () => {
  const setup = (banMs = 600_000) => {
    const market = fixtureMarket();
    const trades = recordTrades(market, 300);
    const rest = new BybitRest({ states: () => market.states, stateOf: (s) => market.get(s) }, banMs);
    return { market, trades, rest };
  };
  const body = (text: string) => JSON.parse(text) as { retCode: number; retMsg: string; result: Record<string, unknown> };

  it('answers kline newest first as string rows between start and end, and recent-trade newest first', () => {
    // Prepare
    const { market, rest, trades } = setup();
    const now = ORIGIN + 299_000;
    // Act
    const kline = body(rest.handle(restContext(market, now), get('/v5/market/kline', { category: 'spot', symbol: 'BTCUSDT', interval: '1', start: String(ORIGIN + 60_000), end: String(ORIGIN + 179_999) })).body);
    const recent = body(rest.handle(restContext(market, now), get('/v5/market/recent-trade', { category: 'spot', symbol: 'BTCUSDT', limit: '4' })).body);
    const tooMany = body(rest.handle(restContext(market, now), get('/v5/market/recent-trade', { category: 'spot', symbol: 'BTCUSDT', limit: '61' })).body);
    // Assert
    expect((kline.result.list as string[][]).map((row) => row[0])).toEqual([String(ORIGIN + 120_000), String(ORIGIN + 60_000)]);
    expect((kline.result.list as string[][])[0]).toHaveLength(7);
    const newest = trades[trades.length - 1]!;
    expect((recent.result.list as Array<{ execId: string }>).map((r) => r.execId)).toEqual([newest.l, newest.l - 1, newest.l - 2, newest.l - 3].map(bybitTradeId));
    expect(tooMany.retCode).toBe(10001);
  });

  it('pages instruments-info by cursor and refuses non-spot categories', () => {
    // Prepare
    const { market, rest } = setup();
    // Act
    const first = body(rest.handle(restContext(market, ORIGIN), get('/v5/market/instruments-info', { category: 'spot', limit: '1' })).body);
    const second = body(rest.handle(restContext(market, ORIGIN), get('/v5/market/instruments-info', { category: 'spot', limit: '1', cursor: String(first.result.nextPageCursor) })).body);
    const linear = body(rest.handle(restContext(market, ORIGIN), get('/v5/market/instruments-info', { category: 'linear' })).body);
    // Assert
    expect((first.result.list as Array<{ symbol: string }>).map((r) => r.symbol)).toEqual(['BTCUSDT']);
    expect((second.result.list as Array<{ symbol: string }>).map((r) => r.symbol)).toEqual(['ETHUSDT']);
    expect(second.result.nextPageCursor).toBe('');
    expect(linear.retCode).toBe(10001);
  });

  it('answers HTTP 403 past 600 requests in 5 s and keeps the IP banned for the ban time', () => {
    // Prepare
    const { market, rest } = setup(60_000);
    const at = (ms: number, client = '10.0.0.1') => rest.handle(restContext(market, ORIGIN + ms), get('/v5/market/time', {}, client)).status;
    // Act
    const statuses = Array.from({ length: BYBIT_REST_LIMIT.limit + 1 }, () => at(0));
    const afterWindow = at(6_000);
    const otherIp = at(6_000, '10.0.0.2');
    const afterBan = at(61_000);
    // Assert
    expect(statuses.slice(0, BYBIT_REST_LIMIT.limit).every((s) => s === 200)).toBe(true);
    expect(statuses[BYBIT_REST_LIMIT.limit]).toBe(403);
    expect([afterWindow, otherIp, afterBan]).toEqual([403, 200, 200]);
  });

  it('answers an injected 429 with retCode 10006 and the reset timestamp', () => {
    // Prepare
    const { market, rest } = setup();
    // Act
    const response = rest.handle(restContext(market, ORIGIN, { status: 429, until: ORIGIN + 5000 }), get('/v5/market/time'));
    // Assert
    expect(response.status).toBe(429);
    expect(body(response.body).retCode).toBe(10006);
    expect(response.headers['x-bapi-limit-reset-timestamp']).toBe(String(ORIGIN + 5000));
  });

  it('answers time with seconds and nanoseconds', () => {
    // Prepare
    const { market, rest } = setup();
    // Act
    const time = body(rest.handle(restContext(market, ORIGIN + 123), get('/v5/market/time')).body);
    // Assert
    expect(time).toMatchObject({ retCode: 0, retMsg: 'OK', result: { timeSecond: String(Math.floor((ORIGIN + 123) / 1000)), timeNano: `${ORIGIN + 123}000000` } });
  });
});

describe('bybit protocol plug-in', () => {
  it('serves /v5/public/spot only and cuts a connection silent for 10 minutes by default', () => {
    // Prepare
    const protocol = createProtocol('bybit', resolveOptions({ exchange: 'bybit' }));
    // Act
    const spot = protocol.upgrade(new URL('ws://sim/v5/public/spot'), '10.0.0.1', ORIGIN);
    const linear = protocol.upgrade(new URL('ws://sim/v5/public/linear'), '10.0.0.1', ORIGIN);
    // Assert
    expect(spot.kind).toBe('accept');
    expect(linear).toMatchObject({ kind: 'refuse', status: 404 });
    expect(protocol.keepalive).toEqual({ kind: 'client-ping', idleTimeoutMs: 600_000, idle: 'no-client-message', onIdle: 'terminate' });
    expect(protocol.shutdownNotice({ id: 1, streams: new Set(), createdAt: ORIGIN, state: {} }, ORIGIN)).toBeUndefined();
  });
});
