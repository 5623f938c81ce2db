import { BybitStreamProtocol, parseBybitFrame } from '../../../../services/collector/exchange';
import type { FrameResult, ParseContext } from '../../../../services/collector/exchange';

/**
 * Frames built from Bybit's documented examples:
 * - publicTrade push: https://bybit-exchange.github.io/docs/v5/websocket/public/trade (with a spot-style
 *   19-digit id as in https://bybit-exchange.github.io/doc-v3-offline/spot/ws-public/public-trade)
 * - subscribe reply and ping/pong: https://bybit-exchange.github.io/docs/v5/ws/connect
 */
const DOC_TS = 1672304486868;
const DOC_PUSH = '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"2290000000007764263","BT":false}]}';
const DOC_SUBSCRIBED = '{"success":true,"ret_msg":"subscribe","conn_id":"2324d924-aa4d-45b0-a858-7b8be29ab52b","req_id":"10001","op":"subscribe"}';
const DOC_SPOT_PONG = '{"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a-a679-ff7f55e0b16a","op":"ping"}';
const DOC_LINEAR_PONG = '{"req_id":"test","op":"pong","args":["1675418560633"],"conn_id":"cfcb4ocsvfriu23r3er0-1b"}';

function context(overrides: Partial<ParseContext> = {}): ParseContext {
  const streams = new Set(['publicTrade.BTCUSDT', 'orderbook.50.BTCUSDT']);
  return {
    receivedAt: DOC_TS + 5,
    receivedAtMono: 99.5,
    exchangeNow: DOC_TS,
    maxClockDistanceMs: 60_000,
    clockSynchronized: true,
    isKnownStream: (stream) => streams.has(stream),
    ...overrides,
  };
}

function push(entries: Array<Record<string, unknown>>, fields: Record<string, unknown> = {}): string {
  const data = entries.map((e) => {
    const entry: Record<string, unknown> = { T: DOC_TS - 3, s: 'BTCUSDT', S: 'Sell', v: '0.5', p: '16578.50', L: 'ZeroPlusTick', i: '2290000000007764263', BT: false, ...e };
    for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
    return entry;
  });
  return JSON.stringify({ topic: 'publicTrade.BTCUSDT', type: 'snapshot', ts: DOC_TS, data, ...fields });
}

const reasonOf = (result: FrameResult): string | undefined => (result.kind === 'rejected' ? result.reason : undefined);

describe('parseBybitFrame', () => {
  it('reads the documented publicTrade push: exact strings, the id verbatim, no numeric id, ts as event time', () => {
    // Prepare
    const text = DOC_PUSH;
    // Act
    const result = parseBybitFrame(text, context());
    // Assert
    expect(result).toEqual({
      kind: 'trade',
      trade: { exchange: 'bybit', symbol: 'BTCUSDT', priceText: '16578.50', price: 16578.5, quantityText: '0.001', tradeId: 0, tradeIdText: '2290000000007764263', tradeTime: 1672304486865, eventTime: DOC_TS, receivedAt: DOC_TS + 5, receivedAtMono: 99.5, source: 'live' },
    });
  });

  it('gives every trade of a multi-trade push in order and leaves block trades out', () => {
    // Prepare
    const text = push([{ i: 'a' }, { i: 'b', BT: true }, { i: 'c' }]);
    const onlyBlock = push([{ BT: true }]);
    // Act
    const result = parseBybitFrame(text, context());
    const block = parseBybitFrame(onlyBlock, context());
    // Assert
    expect(result.kind === 'trades' && result.trades.map((t) => t.tradeIdText)).toEqual(['a', 'c']);
    expect(block).toEqual({ kind: 'ignored', stream: 'block_trade' });
  });

  it('maps the documented subscribe reply to the request number, and a refusal to the topic it names', () => {
    // Prepare
    const refused = '{"success":false,"ret_msg":"error:handler not found,topic:publicTrade.FOOUSDT","conn_id":"d5phu6rb","req_id":"3","op":"subscribe"}';
    // Act
    const results = [DOC_SUBSCRIBED, refused].map((text) => parseBybitFrame(text, context()));
    // Assert
    expect(results).toEqual([
      { kind: 'reply', id: 10001, result: null },
      { kind: 'reply', id: 3, streams: ['publicTrade.FOOUSDT'], error: { code: 0, msg: 'error:handler not found,topic:publicTrade.FOOUSDT' } },
    ]);
  });

  it('reads both documented pong forms as pong', () => {
    // Prepare
    const frames = [DOC_SPOT_PONG, DOC_LINEAR_PONG];
    // Act
    const results = frames.map((text) => parseBybitFrame(text, context()));
    // Assert
    expect(results).toEqual([{ kind: 'pong' }, { kind: 'pong' }]);
  });

  it('ignores a subscribed topic of another kind', () => {
    // Prepare
    const text = JSON.stringify({ topic: 'orderbook.50.BTCUSDT', type: 'delta', ts: DOC_TS, data: { s: 'BTCUSDT', b: [], a: [], u: 1, seq: 2 } });
    // Act
    const result = parseBybitFrame(text, context());
    // Assert
    expect(result).toEqual({ kind: 'ignored', stream: 'orderbook' });
  });

  it.each([
    ['not JSON', '{"topic":', 'invalid_json'],
    ['null', 'null', 'invalid_type'],
    ['neither topic nor op', '{"data":[]}', 'missing_field'],
    ['a numeric topic', '{"topic":5}', 'invalid_type'],
    ['an unsubscribed topic', push([{}]).replace('publicTrade.BTCUSDT', 'publicTrade.ETHUSDT'), 'unknown_stream'],
    ['a trade of another symbol', push([{ s: 'ETHUSDT' }]), 'unknown_stream'],
    ['no ts', push([{}], { ts: undefined }), 'missing_field'],
    ['a string ts', push([{}], { ts: String(DOC_TS) }), 'invalid_type'],
    ['an event far from the clock', push([{ T: DOC_TS + 200_000 }], { ts: DOC_TS + 200_000 }), 'time_out_of_range'],
    ['a trade after its event', push([{ T: DOC_TS + 5000 }]), 'time_out_of_range'],
    ['data not an array', push([{}], { data: {} }), 'invalid_type'],
    ['empty data', push([]), 'missing_field'],
    ['a missing id', push([{ i: undefined }]), 'missing_field'],
    ['a numeric id', push([{ i: 5 }]), 'invalid_type'],
    ['a negative price', push([{ p: '-1' }]), 'invalid_price'],
    ['a zero quantity', push([{ v: '0.000' }]), 'invalid_quantity'],
    ['a string trade time', push([{ T: '1' }]), 'invalid_type'],
    ['a reply without success', '{"op":"subscribe","req_id":"1"}', 'invalid_type'],
  ])('rejects %s without throwing', (_name, text, reason) => {
    // Prepare
    const frame = text;
    // Act
    const result = parseBybitFrame(frame, context());
    // Assert
    expect(reasonOf(result)).toBe(reason);
  });

  it('rejects an oversized frame before parsing it', () => {
    // Prepare
    const text = push(Array.from({ length: 50 }, () => ({})));
    // Act
    const result = parseBybitFrame(text, context(), 1000);
    // Assert
    expect(reasonOf(result)).toBe('oversized');
  });

  it('round-trips a subscribe: the documented-shape reply to the encoded req_id gives the request number back', () => {
    // Prepare
    const protocol = new BybitStreamProtocol();
    const request = JSON.parse(protocol.encodeSubscribe(['publicTrade.BTCUSDT'], 912)) as { req_id: string };
    // Act
    const result = protocol.parseFrame(DOC_SUBSCRIBED.replace('"10001"', JSON.stringify(request.req_id)), context());
    // Assert
    expect(result).toEqual({ kind: 'reply', id: 912, result: null });
  });
});
