import { OKX_REST_LIMITS, OkxRest, okxControl, okxFillsNewestFirst, okxInstrumentsUniverse, okxTradesPush, syntheticInstrumentRow } from '../../../../services/simulator/exchanges/okx';
import { okxGarbageFrames } from '../../../../services/simulator/exchanges/okx/encode';
import { createProtocol } from '../../../../services/simulator/exchanges';
import { InstrumentsFormatError } from '../../../../services/simulator/errors';
import { resolveOptions } from '../../../../services/simulator/options';
import { ORIGIN, fixtureMarket, get, recordTrades, restContext, spec } from './market-fixture';

const context = (admit = true) => ({ connId: 'abcd1234', knows: (instId: string) => instId === 'BTC-USDT', admitRequest: () => admit });

describe('okx control frames', () => {
  it('answers the text ping with pong and acknowledges each arg, echoing id', () => {
    // Act
    const pong = okxControl('ping', context());
    const outcome = okxControl(JSON.stringify({ id: 'r1', op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }, { channel: 'trades', instId: 'FOO-USDT' }] }), context());
    // Assert
    expect(pong).toEqual({ replies: ['pong'], subscribe: [], unsubscribe: [] });
    expect(outcome.subscribe).toEqual(['trades:BTC-USDT']);
    expect(outcome.replies.map((r) => JSON.parse(r))).toEqual([
      { id: 'r1', event: 'subscribe', arg: { channel: 'trades', instId: 'BTC-USDT' }, connId: 'abcd1234' },
      { id: 'r1', event: 'error', code: '60018', msg: expect.stringContaining("channel:trades,instId:FOO-USDT doesn't exist"), connId: 'abcd1234' },
    ]);
  });

  it('refuses bad JSON, unknown ops, empty args, bad ids, and requests past the hourly cap', () => {
    // Act
    const codes = ['{oops', '{"op":"login","args":[]}', '{"op":"subscribe","args":[]}', '{"id":"x-1","op":"subscribe","args":[{"channel":"trades","instId":"BTC-USDT"}]}'].map(
      (text) => (JSON.parse(okxControl(text, context()).replies[0]!) as { code: string }).code,
    );
    const capped = okxControl('{"op":"subscribe","args":[{"channel":"trades","instId":"BTC-USDT"}]}', context(false));
    // Assert
    expect(codes).toEqual(['60012', '60019', '60012', '60012']);
    expect(capped.subscribe).toEqual([]);
    expect(JSON.parse(capped.replies[0]!)).toMatchObject({ event: 'error', code: '60014' });
  });

  it('unsubscribes with an unsubscribe ack', () => {
    // Act
    const outcome = okxControl('{"op":"unsubscribe","args":[{"channel":"trades","instId":"BTC-USDT"}]}', context());
    // Assert
    expect(outcome.unsubscribe).toEqual(['trades:BTC-USDT']);
    expect(JSON.parse(outcome.replies[0]!)).toEqual({ event: 'unsubscribe', arg: { channel: 'trades', instId: 'BTC-USDT' }, connId: 'abcd1234' });
  });
});

describe('okx encoding', () => {
  it('pushes several aggregated trades in one frame: last fill id, count, taker side, trimmed decimals', () => {
    // Prepare
    const trades = [
      { a: 1, f: 10, l: 12, T: ORIGIN, priceE8: 968_200_000_000, qtyE8: 13_200_000, m: true },
      { a: 2, f: 13, l: 13, T: ORIGIN + 1, priceE8: 968_250_000_000, qtyE8: 100_000_000, m: false },
    ];
    // Act
    const push = JSON.parse(okxTradesPush('BTC-USDT', trades)) as unknown;
    // Assert
    expect(push).toEqual({
      arg: { channel: 'trades', instId: 'BTC-USDT' },
      data: [
        { instId: 'BTC-USDT', tradeId: '12', px: '9682', sz: '0.132', side: 'sell', ts: String(ORIGIN), count: '3' },
        { instId: 'BTC-USDT', tradeId: '13', px: '9682.5', sz: '1', side: 'buy', ts: String(ORIGIN + 1), count: '1' },
      ],
    });
  });

  it('splits an aggregate into fills, newest first, whose sizes add up', () => {
    // Act
    const rows = okxFillsNewestFirst('BTC-USDT', { a: 1, f: 10, l: 12, T: ORIGIN, priceE8: 100_000_000, qtyE8: 10_000, m: false }, 1_000);
    // Assert
    expect(rows.map((r) => r.tradeId)).toEqual(['12', '11', '10']);
    expect(rows.reduce((sum, r) => sum + Number(r.sz) * 1e8, 0)).toBeCloseTo(10_000);
  });

  it('makes a garbage burst with a frame over 1 MiB', () => {
    // Act
    const frames = okxGarbageFrames('BTC-USDT', ORIGIN);
    // Assert
    expect(frames).toHaveLength(14);
    expect(frames.some((f) => f.length > 1024 * 1024)).toBe(true);
  });
});

describe('okx instruments', () => {
  it('reads a real-shaped response, keeping rows and states, and rejects other shapes', () => {
    // Prepare
    const row = { instType: 'SPOT', instId: 'BTC-USDT', baseCcy: 'BTC', quoteCcy: 'USDT', state: 'live', tickSz: '0.1', lotSz: '0.00000001' };
    const suspended = { ...row, instId: 'ETH-USDT', baseCcy: 'ETH', state: 'suspend', tickSz: '0.000000001' };
    // Act
    const universe = okxInstrumentsUniverse({ code: '0', data: [row, suspended, { instType: 'SWAP', instId: 'BTC-USDT-SWAP' }] });
    // Assert
    expect(universe.specs.map((s) => [s.symbol, s.status, s.tickE8, s.stepE8])).toEqual([
      ['BTCUSDT', 'TRADING', 10_000_000, 1],
      ['ETHUSDT', 'SUSPEND', 1, 1],
    ]);
    expect(universe.rows.get('BTC-USDT')).toEqual(row);
    expect(() => okxInstrumentsUniverse({ data: [] })).toThrow(InstrumentsFormatError);
    expect(() => okxInstrumentsUniverse({ data: [{ ...row, instId: 'BTCUSDT' }] })).toThrow('is not BTC-USDT');
  });

  it('writes synthetic rows in OKX form', () => {
    // Act
    const row = syntheticInstrumentRow(spec('BTCUSDT', 'BTC', 'USDT'));
    // Assert
    expect(row).toMatchObject({ instType: 'SPOT', instId: 'BTC-USDT', baseCcy: 'BTC', quoteCcy: 'USDT', state: 'live', tickSz: '0.01', lotSz: '0.00001' });
  });
});

describe('okx REST', () => {
  const setup = () => {
    const market = fixtureMarket();
    const trades = recordTrades(market, 300);
    const rest = new OkxRest({ rows: () => market.states.map((s) => syntheticInstrumentRow(s.spec)), stateOf: (id) => market.get(id.replace('-', '')) });
    return { market, trades, rest };
  };

  it('pages history-trades by fill id: after older, before newer, both exclusive, newest first', () => {
    // Prepare
    const { market, rest, trades } = setup();
    const now = ORIGIN + 400_000;
    const newest = trades[trades.length - 1]!.l;
    // Act
    const page = JSON.parse(rest.handle(restContext(market, now), get('/api/v5/market/history-trades', { instId: 'BTC-USDT', after: '1010', before: '1003' })).body) as { code: string; data: Array<{ tradeId: string }> };
    const latest = JSON.parse(rest.handle(restContext(market, now), get('/api/v5/market/history-trades', { instId: 'BTC-USDT', before: '1003', limit: '2' })).body) as { data: Array<{ tradeId: string }> };
    // Assert
    expect(page.code).toBe('0');
    expect(page.data.map((r) => r.tradeId)).toEqual(['1009', '1008', '1007', '1006', '1005', '1004']);
    expect(latest.data.map((r) => Number(r.tradeId))).toEqual([newest, newest - 1]);
  });

  it('answers candles newest first with confirm, and after/before as open-time bounds', () => {
    // Prepare
    const { market, rest, trades } = setup();
    const now = ORIGIN + 299_000;
    // Act
    const body = JSON.parse(rest.handle(restContext(market, now), get('/api/v5/market/candles', { instId: 'BTC-USDT', bar: '1m', after: String(ORIGIN + 240_000), before: String(ORIGIN) })).body) as { data: string[][] };
    const latest = JSON.parse(rest.handle(restContext(market, now), get('/api/v5/market/candles', { instId: 'BTC-USDT', limit: '1' })).body) as { data: string[][] };
    // Assert
    expect(body.data.map((row) => Number(row[0]))).toEqual([ORIGIN + 180_000, ORIGIN + 120_000, ORIGIN + 60_000]);
    expect(body.data[2]![1]).toBe('40000.6');
    expect(body.data[2]![8]).toBe('1');
    expect(latest.data[0]![8]).toBe('0');
    expect(latest.data[0]![4]).toBe(String((trades[trades.length - 1]!.priceE8 / 1e8).toFixed(2)).replace(/\.?0+$/, ''));
  });

  it('refuses missing and unknown instruments, bad params and non-spot types with OKX codes', () => {
    // Prepare
    const { market, rest } = setup();
    const ask = (path: string, params: Record<string, string>) => JSON.parse(rest.handle(restContext(market, ORIGIN), get(path, params)).body) as { code: string; data: unknown[] };
    // Act
    const answers = [
      ask('/api/v5/market/candles', {}),
      ask('/api/v5/market/candles', { instId: 'NOPE-USDT' }),
      ask('/api/v5/market/candles', { instId: 'BTC-USDT', bar: '1H' }),
      ask('/api/v5/market/history-trades', { instId: 'BTC-USDT', limit: 'x' }),
      ask('/api/v5/public/instruments', {}),
      ask('/api/v5/public/instruments', { instType: 'SWAP' }),
    ];
    // Assert
    expect(answers.map((a) => a.code)).toEqual(['50014', '51001', '51000', '51000', '50014', '0']);
    expect(answers[5]!.data).toEqual([]);
  });

  it('limits each endpoint per IP in its 2 s window with HTTP 429 and 50011', () => {
    // Prepare
    const { market, rest } = setup();
    const limit = OKX_REST_LIMITS['/api/v5/public/time']!;
    // Act
    const statuses = Array.from({ length: limit + 1 }, () => rest.handle(restContext(market, ORIGIN), get('/api/v5/public/time')).status);
    const other = rest.handle(restContext(market, ORIGIN), get('/api/v5/public/time', {}, '10.0.0.2')).status;
    const later = rest.handle(restContext(market, ORIGIN + 2000), get('/api/v5/public/time')).status;
    const instruments = rest.handle(restContext(market, ORIGIN), get('/api/v5/public/instruments', { instType: 'SPOT' })).status;
    // Assert
    expect(statuses.slice(0, limit).every((s) => s === 200)).toBe(true);
    expect(statuses[limit]).toBe(429);
    expect([other, later, instruments]).toEqual([200, 200, 200]);
  });

  it('answers an injected failure in OKX form', () => {
    // Prepare
    const { market, rest } = setup();
    // Act
    const limited = rest.handle(restContext(market, ORIGIN, { status: 429, until: ORIGIN + 1000 }), get('/api/v5/public/time'));
    const down = rest.handle(restContext(market, ORIGIN, { status: 503, until: ORIGIN + 1000 }), get('/api/v5/public/time'));
    // Assert
    expect([limited.status, JSON.parse(limited.body).code]).toEqual([429, '50011']);
    expect([down.status, JSON.parse(down.body).code]).toEqual([503, '50001']);
  });
});

describe('okx protocol plug-in', () => {
  it('serves /ws/v5/public only, 3 connections a second per IP, and cuts after 30 s without traffic', () => {
    // Prepare
    const protocol = createProtocol('okx', resolveOptions({ exchange: 'okx' }));
    const url = new URL('ws://sim/ws/v5/public');
    // Act
    const decisions = [0, 1, 2, 3].map((i) => protocol.upgrade(url, '10.0.0.1', ORIGIN + i).kind);
    const nextSecond = protocol.upgrade(url, '10.0.0.1', ORIGIN + 1000).kind;
    const business = protocol.upgrade(new URL('ws://sim/ws/v5/business'), '10.0.0.9', ORIGIN);
    // Assert
    expect(decisions).toEqual(['accept', 'accept', 'accept', 'refuse']);
    expect(nextSecond).toBe('accept');
    expect(business).toMatchObject({ kind: 'refuse', status: 404 });
    expect(protocol.keepalive).toEqual({ kind: 'client-ping', idleTimeoutMs: 30_000, idle: 'no-traffic', onIdle: { code: 4004, reason: 'No data received in 30s' } });
  });
});
