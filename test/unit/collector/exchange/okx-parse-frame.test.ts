import { readFileSync } from 'node:fs';
import { OkxStreamProtocol, SymbolDirectory, parseOkxFrame } from '../../../../services/collector/exchange';
import type { FrameResult, ParseContext } from '../../../../services/collector/exchange';
import type { SymbolInfo } from '../../../../services/collector/domain';
import { describeWithSharedData, sharedDataFile } from '../../../support';

const NOW = 1_700_000_000_000;

function context(overrides: Partial<ParseContext> & { streams?: string[] } = {}): ParseContext {
  const streams = new Set(overrides.streams ?? ['trades:BTC-USDT', 'tickers:BTC-USDT', 'trades:BTC-USD-SWAP']);
  return {
    receivedAt: overrides.receivedAt ?? NOW + 5,
    receivedAtMono: overrides.receivedAtMono ?? 1234.5,
    exchangeNow: overrides.exchangeNow ?? NOW,
    maxClockDistanceMs: overrides.maxClockDistanceMs ?? 60_000,
    clockSynchronized: overrides.clockSynchronized ?? true,
    isKnownStream: (stream) => streams.has(stream),
  };
}

function tradesPush(entries: Array<Record<string, unknown>> = [{}], instId = 'BTC-USDT'): string {
  const data = entries.map((fields) => {
    const entry: Record<string, unknown> = { instId, tradeId: '338476307', px: '29581.5', sz: '0.00012', side: 'buy', ts: String(NOW - 10), ...fields };
    for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
    return entry;
  });
  return JSON.stringify({ arg: { channel: 'trades', instId }, data });
}

const reasonOf = (result: FrameResult): string | undefined => (result.kind === 'rejected' ? result.reason : undefined);

describe('parseOkxFrame', () => {
  it('reads a trades push into the project Trade: upper-case base+quote, exact strings, numeric and verbatim id', () => {
    // Prepare
    const text = tradesPush();
    // Act
    const result = parseOkxFrame(text, context());
    // Assert
    expect(result).toEqual({
      kind: 'trade',
      trade: { exchange: 'okx', symbol: 'BTCUSDT', priceText: '29581.5', price: 29581.5, quantityText: '0.00012', tradeId: 338476307, tradeIdText: '338476307', tradeTime: NOW - 10, eventTime: NOW - 10, receivedAt: NOW + 5, receivedAtMono: 1234.5, source: 'live' },
    });
  });

  it('gives several trades of one push in their order, and rejects the whole push for one bad entry', () => {
    // Prepare
    const good = tradesPush([{ tradeId: '10' }, { tradeId: '12', px: '2' }]);
    const oneBad = tradesPush([{ tradeId: '10' }, { px: '-2' }]);
    // Act
    const many = parseOkxFrame(good, context());
    const refused = parseOkxFrame(oneBad, context());
    // Assert
    expect(many.kind === 'trades' && many.trades.map((t) => [t.tradeId, t.priceText])).toEqual([[10, '29581.5'], [12, '2']]);
    expect(reasonOf(refused)).toBe('invalid_price');
  });

  it.each([
    ['not JSON', '{"arg":', 'invalid_json'],
    ['an array', '[1]', 'invalid_type'],
    ['neither event nor arg', '{"data":[]}', 'missing_field'],
    ['an unsubscribed stream', tradesPush([{}], 'ETH-USDT'), 'unknown_stream'],
    ['a trade of another instrument', JSON.stringify({ arg: { channel: 'trades', instId: 'BTC-USDT' }, data: [{ instId: 'ETH-USDT', tradeId: '1', px: '1', sz: '1', ts: String(NOW) }] }), 'unknown_stream'],
    ['no data', JSON.stringify({ arg: { channel: 'trades', instId: 'BTC-USDT' } }), 'missing_field'],
    ['empty data', JSON.stringify({ arg: { channel: 'trades', instId: 'BTC-USDT' }, data: [] }), 'missing_field'],
    ['a missing tradeId', tradesPush([{ tradeId: undefined }]), 'missing_field'],
    ['a numeric tradeId', tradesPush([{ tradeId: 5 }]), 'invalid_type'],
    ['an id beyond a safe integer', tradesPush([{ tradeId: '12345678901234567' }]), 'invalid_type'],
    ['a zero price', tradesPush([{ px: '0.0' }]), 'invalid_price'],
    ['an exponent price', tradesPush([{ px: '1e5' }]), 'invalid_price'],
    ['a zero size', tradesPush([{ sz: '0' }]), 'invalid_quantity'],
    ['a numeric ts', tradesPush([{ ts: NOW }]), 'invalid_type'],
    ['a trade far from the clock', tradesPush([{ ts: String(NOW + 120_000) }]), 'time_out_of_range'],
    ['an event without a name', '{"event":5}', 'invalid_type'],
    ['a subscribe ack without arg', '{"event":"subscribe"}', 'missing_field'],
    ['an error without a code', '{"event":"error","msg":"x"}', 'invalid_type'],
  ])('rejects %s without throwing', (_name, text, reason) => {
    // Prepare
    const frame = text;
    // Act
    const result = parseOkxFrame(frame, context());
    // Assert
    expect(reasonOf(result)).toBe(reason);
  });

  it('rejects an oversized frame before parsing it', () => {
    // Prepare
    const text = tradesPush([{ side: 'x'.repeat(200) }]);
    // Act
    const result = parseOkxFrame(text, context(), 100);
    // Assert
    expect(reasonOf(result)).toBe('oversized');
  });

  it('does not check trade times until the clock is synchronized', () => {
    // Prepare
    const old = tradesPush([{ ts: '1652459199958' }]);
    // Act
    const result = parseOkxFrame(old, context({ clockSynchronized: false }));
    // Assert
    expect(result.kind).toBe('trade');
  });

  it('maps acks to the stream they name, with the echoed request id', () => {
    // Prepare
    const subscribed = '{"id":"17","event":"subscribe","arg":{"channel":"trades","instId":"BTC-USDT"},"connId":"a4d3ae55"}';
    const unsubscribed = '{"event":"unsubscribe","arg":{"channel":"trades","instId":"ETH-USDT"},"connId":"a4d3ae55"}';
    // Act
    const results = [parseOkxFrame(subscribed, context()), parseOkxFrame(unsubscribed, context())];
    // Assert
    expect(results).toEqual([
      { kind: 'reply', id: 17, streams: ['trades:BTC-USDT'], result: null },
      { kind: 'reply', id: null, streams: ['trades:ETH-USDT'], result: null },
    ]);
  });

  it('lands an error event on the one instrument its message names, in either of OKX\'s forms', () => {
    // Prepare
    const prose = '{"id":"18","event":"error","code":"60018","msg":"Wrong URL or channel:trades,instId:FOO-USDT doesn\'t exist. Please use the correct URL, channel and parameters referring to API document.","connId":"a4d3ae55"}';
    const quoted = '{"event":"error","code":"60012","msg":"Invalid request: {\\"op\\": \\"subscribe\\", \\"args\\":[{ \\"channel\\" : \\"trades\\", \\"instId\\" : \\"BAR-USDT\\"}]}","connId":"a4d3ae55"}';
    const anonymous = '{"event":"error","code":"60011","msg":"Please log in","connId":"a4d3ae55"}';
    // Act
    const results = [prose, quoted, anonymous].map((text) => parseOkxFrame(text, context()));
    // Assert
    expect(results).toEqual([
      { kind: 'reply', id: 18, streams: ['trades:FOO-USDT'], error: { code: 60018, msg: expect.stringContaining('FOO-USDT') as string } },
      { kind: 'reply', id: null, streams: ['trades:BAR-USDT'], error: { code: 60012, msg: expect.stringContaining('BAR-USDT') as string } },
      { kind: 'reply', id: null, error: { code: 60011, msg: 'Please log in' } },
    ]);
  });

  it('reads the text pong, the service-upgrade notice as a shutdown, and other events as ignored', () => {
    // Prepare
    const notice = '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}';
    const count = '{"event":"channel-conn-count","channel":"orders","connCount":"2","connId":"abcd1234"}';
    // Act
    const results = ['pong', notice, count].map((text) => parseOkxFrame(text, context()));
    // Assert
    expect(results).toEqual([{ kind: 'pong' }, { kind: 'shutdown', eventTime: NOW }, { kind: 'ignored', stream: 'channel-conn-count' }]);
  });

  it('ignores subscribed streams a spot collector does not use: other channels and swap trades', () => {
    // Prepare
    const ticker = JSON.stringify({ arg: { channel: 'tickers', instId: 'BTC-USDT' }, data: [{ last: '1' }] });
    const swap = tradesPush([{}], 'BTC-USD-SWAP');
    // Act
    const results = [parseOkxFrame(ticker, context()), parseOkxFrame(swap, context())];
    // Assert
    expect(results).toEqual([{ kind: 'ignored', stream: 'tickers' }, { kind: 'ignored', stream: 'trades' }]);
  });
});

describeWithSharedData('OKX parseFrame on a live OKX v5 capture (2022-05-13)', () => {
  const lines = readFileSync(sharedDataFile('okx-ws-capture-2022-05-13.txt'), 'utf8').split('\n').filter((line) => line.trim() !== '');
  const requested = lines.filter((line) => line.includes(' <- ')).flatMap((line) => (JSON.parse(line.slice(line.indexOf(': ') + 2)) as { args: Array<{ channel: string; instId: string }> }).args.map((a) => `${a.channel}:${a.instId}`));
  const messages = lines.filter((line) => !line.startsWith('wss://')).map((line) => {
    const colon = line.indexOf(': ');
    return { receivedAt: Math.round(Number(line.slice(0, colon)) * 1000), text: line.slice(colon + 2) };
  });
  const instruments = (JSON.parse(readFileSync(sharedDataFile('okx-instruments-spot-2022-05-13.json'), 'utf8')) as { data: Array<{ instId: string; baseCcy: string; quoteCcy: string }> }).data;
  const directory = new SymbolDirectory('okx');
  directory.load(instruments.map((i): SymbolInfo => ({ symbol: `${i.baseCcy}${i.quoteCcy}`, nativeSymbol: i.instId, baseAsset: i.baseCcy, quoteAsset: i.quoteCcy, status: 'live', tradable: true })));
  const protocol = new OkxStreamProtocol({ directory });
  const at = (receivedAt: number, streams: Set<string>): ParseContext => ({ receivedAt, receivedAtMono: 0, exchangeNow: receivedAt, maxClockDistanceMs: 60_000, clockSynchronized: true, isKnownStream: (s) => streams.has(s) });

  it('reads every message with all captured subscriptions known: 69 BTC-USDT trades, futures and swap trades and other channels ignored, acks as replies, none rejected', () => {
    // Prepare
    const known = new Set(requested);
    // Act
    const results = messages.map((m) => protocol.parseFrame(m.text, at(m.receivedAt, known)));
    // Assert
    const trades = results.flatMap((r) => (r.kind === 'trade' ? [r.trade] : r.kind === 'trades' ? r.trades : []));
    const wire = messages.flatMap((m) => {
      const message = JSON.parse(m.text) as { arg?: { channel: string; instId: string }; data?: Array<{ tradeId: string; px: string; sz: string; ts: string }> };
      return message.arg?.channel === 'trades' && message.arg.instId === 'BTC-USDT' && message.data ? message.data : [];
    });
    expect(results.filter((r) => r.kind === 'rejected')).toEqual([]);
    expect(trades).toHaveLength(69);
    expect(trades.map((t) => [t.symbol, t.tradeIdText, t.priceText, t.quantityText, t.tradeTime])).toEqual(wire.map((w) => ['BTCUSDT', w.tradeId, w.px, w.sz, Number(w.ts)]));
    expect(results.filter((r) => r.kind === 'reply')).toHaveLength(18);
    const ignored = results.flatMap((r) => (r.kind === 'ignored' ? [r.stream] : []));
    expect([ignored.filter((s) => s === 'trades').length, new Set(ignored)]).toEqual([5, new Set(['trades', 'tickers', 'books'])]);
  });

  it('counts the 74 trades pushes of the capture, and gives unknown_stream for every push of a stream this spot collector did not subscribe', () => {
    // Prepare
    const spotOnly = new Set(protocol.streamsForSymbol('BTCUSDT'));
    const pushes = messages.filter((m) => (JSON.parse(m.text) as { arg?: { channel: string }; event?: string }).arg?.channel === 'trades' && !m.text.includes('"event"'));
    // Act
    const results = pushes.map((m) => protocol.parseFrame(m.text, at(m.receivedAt, spotOnly)));
    // Assert
    expect(pushes).toHaveLength(74);
    expect(results.filter((r) => r.kind === 'trade')).toHaveLength(69);
    expect(results.filter((r) => reasonOf(r) === 'unknown_stream')).toHaveLength(5);
  });

  it('maps every one of the 513 live spot instruments both ways', () => {
    // Prepare
    const symbols = instruments.map((i) => `${i.baseCcy}${i.quoteCcy}`.toUpperCase());
    // Act
    const streams = symbols.map((s) => protocol.streamsForSymbol(s)[0] as string);
    // Assert
    expect(instruments).toHaveLength(513);
    expect(streams.map((s) => protocol.symbolOfStream(s))).toEqual(symbols);
    expect(streams[0]).toBe('trades:BTC-USDT');
  });
});
