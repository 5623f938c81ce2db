import { ProtocolError } from '../../../services/gateway/errors';
import { parseClientMessage, parseSseQuery, ratesFrame } from '../../../services/gateway/protocol';

const limits = { maxSymbolsPerMessage: 3, maxMoversLimit: 50 };

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return { code: error.errorCode, id: error.id, message: error.message };
    throw error;
  }
  throw new Error('expected a ProtocolError');
};

describe('parseClientMessage', () => {
  it('parses the contract messages', () => {
    // Act
    const messages = [
      '{"op":"subscribe","id":1,"channel":"rates","exchange":"binance","symbols":["BTCUSDT","ethusdt","BTCUSDT"]}',
      '{"op":"subscribe","id":"a","channel":"rates","exchange":"binance","symbols":"*"}',
      '{"op":"subscribe","id":2,"channel":"movers","exchange":"binance","window":"5m","limit":20}',
      '{"op":"subscribe","id":3,"channel":"health"}',
      '{"op":"unsubscribe","id":4,"channel":"movers","exchange":"binance","window":"1m"}',
      '{"op":"ping","id":5}',
      '{"op":"ping"}',
    ].map((text) => parseClientMessage(text, limits));

    // Assert
    expect(messages).toEqual([
      { op: 'subscribe', id: 1, topic: { channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT', 'ETHUSDT'] } },
      { op: 'subscribe', id: 'a', topic: { channel: 'rates', exchange: 'binance', symbols: '*' } },
      { op: 'subscribe', id: 2, topic: { channel: 'movers', exchange: 'binance', window: '5m', limit: 20 } },
      { op: 'subscribe', id: 3, topic: { channel: 'health' } },
      { op: 'unsubscribe', id: 4, topic: { channel: 'movers', exchange: 'binance', window: '1m', limit: 10 } },
      { op: 'ping', id: 5 },
      { op: 'ping', id: null },
    ]);
  });

  it.each([
    ['malformed JSON', '{"op":', 'bad_json', null],
    ['an array', '[1]', 'bad_message', null],
    ['no op', '{"id":7}', 'bad_message', 7],
    ['an unknown op', '{"op":"sub","id":7}', 'unknown_op', 7],
    ['an unknown channel', '{"op":"subscribe","id":7,"channel":"trades"}', 'unknown_channel', 7],
    ['no channel', '{"op":"subscribe","id":7}', 'bad_field', 7],
    ['a bad exchange', '{"op":"subscribe","id":7,"channel":"rates","exchange":"Bin ance","symbols":"*"}', 'bad_field', 7],
    ['empty symbols', '{"op":"subscribe","id":7,"channel":"rates","exchange":"binance","symbols":[]}', 'bad_field', 7],
    ['a bad symbol', '{"op":"subscribe","id":7,"channel":"rates","exchange":"binance","symbols":["BTC-USD"]}', 'bad_field', 7],
    ['too many symbols', '{"op":"subscribe","id":7,"channel":"rates","exchange":"binance","symbols":["AA","BB","CC","DD"]}', 'too_many_subscriptions', 7],
    ['a bad window', '{"op":"subscribe","id":7,"channel":"movers","exchange":"binance","window":"2m"}', 'bad_field', 7],
    ['a limit too large', '{"op":"subscribe","id":7,"channel":"movers","exchange":"binance","window":"1m","limit":51}', 'bad_field', 7],
    ['a fractional limit', '{"op":"subscribe","id":7,"channel":"movers","exchange":"binance","window":"1m","limit":1.5}', 'bad_field', 7],
    ['an object id', '{"op":"ping","id":{}}', 'bad_field', null],
  ])('refuses %s', (_name, text, code, id) => {
    // Act
    const error = refusal(() => parseClientMessage(text, limits));

    // Assert
    expect(error).toMatchObject({ code, id });
    expect(error.message.length).toBeGreaterThan(10);
  });
});

describe('parseSseQuery', () => {
  it('reads one or several channels sharing the parameters', () => {
    // Act
    const topics = parseSseQuery(new URLSearchParams('channel=rates,movers,health&exchange=binance&symbols=BTCUSDT,ETHUSDT&window=15m&limit=5'), limits);

    // Assert
    expect(topics).toEqual([
      { channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT', 'ETHUSDT'] },
      { channel: 'movers', exchange: 'binance', window: '15m', limit: 5 },
      { channel: 'health' },
    ]);
  });

  it('reads symbols=* as every symbol', () => {
    // Act / Assert
    expect(parseSseQuery(new URLSearchParams('channel=rates&exchange=binance&symbols=*'), limits)).toEqual([{ channel: 'rates', exchange: 'binance', symbols: '*' }]);
  });

  it.each([
    ['no channel', 'exchange=binance', 'bad_field'],
    ['a repeated channel', 'channel=health,health', 'bad_field'],
    ['an unknown channel', 'channel=trades', 'unknown_channel'],
    ['no symbols', 'channel=rates&exchange=binance', 'bad_field'],
    ['a text limit', 'channel=movers&exchange=binance&window=1m&limit=ten', 'bad_field'],
  ])('refuses %s', (_name, query, code) => {
    // Act / Assert
    expect(refusal(() => parseSseQuery(new URLSearchParams(query), limits)).code).toBe(code);
  });
});

describe('ratesFrame', () => {
  it('is the JSON of the contract message', () => {
    // Act
    const frame = ratesFrame('update', 'binance', ['{"symbol":"A"}', '{"symbol":"B"}']);

    // Assert
    expect(JSON.parse(frame)).toEqual({ type: 'update', channel: 'rates', exchange: 'binance', rates: [{ symbol: 'A' }, { symbol: 'B' }] });
  });
});

describe('the chart channel', () => {
  it('names one symbol of an exchange, upper-cased, over WebSocket and SSE', () => {
    // Act
    const message = parseClientMessage('{"op":"subscribe","id":7,"channel":"chart","exchange":"binance","symbol":"btcusdt"}', limits);
    const sse = parseSseQuery(new URLSearchParams('channel=chart&exchange=binance&symbol=ETHUSDT'), limits);

    // Assert
    expect(message).toEqual({ op: 'subscribe', id: 7, topic: { channel: 'chart', exchange: 'binance', symbol: 'BTCUSDT' } });
    expect(sse).toEqual([{ channel: 'chart', exchange: 'binance', symbol: 'ETHUSDT' }]);
  });

  it.each([
    ['{"op":"subscribe","id":1,"channel":"chart","exchange":"binance"}', 'no symbol'],
    ['{"op":"subscribe","id":1,"channel":"chart","exchange":"binance","symbol":["BTCUSDT"]}', 'a list'],
    ['{"op":"subscribe","id":1,"channel":"chart","exchange":"binance","symbol":"BTC-USDT"}', 'not a symbol'],
  ])('refuses %s (%s), naming the field', (text) => {
    // Act / Assert
    expect(refusal(() => parseClientMessage(text, limits))).toMatchObject({ code: 'bad_field', id: 1, message: expect.stringContaining('"symbol"') });
  });
});
