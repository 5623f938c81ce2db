import { readFileSync } from 'node:fs';
import { BinanceStreamProtocol } from '../../../../services/collector/exchange';
import type { FrameResult, ParseContext } from '../../../../services/collector/exchange';
import { describeWithSharedData, sharedDataFile } from '../../../support';

const NOW = 1_700_000_000_000;

function context(overrides: Partial<ParseContext> & { streams?: string[] } = {}): ParseContext {
  const streams = new Set(overrides.streams ?? ['btcusdt@aggTrade', 'btcusdt@depth@100ms', 'btcusdt@bookTicker', 'btcusdt@kline_1m', 'btcusdt@trade', 'btcusdt@miniTicker']);
  return {
    receivedAt: overrides.receivedAt ?? NOW + 5,
    receivedAtMono: overrides.receivedAtMono ?? 1234.5,
    exchangeNow: overrides.exchangeNow ?? NOW,
    maxClockDistanceMs: overrides.maxClockDistanceMs ?? 60_000,
    clockSynchronized: overrides.clockSynchronized ?? true,
    isKnownStream: (stream) => streams.has(stream),
  };
}

function aggTrade(fields: Record<string, unknown> = {}, stream = 'btcusdt@aggTrade'): string {
  const data = { e: 'aggTrade', E: NOW + 1, s: 'BTCUSDT', a: 42, p: '43123.45000000', q: '0.01200000', f: 100, l: 101, T: NOW, m: false, M: true, ...fields };
  for (const key of Object.keys(data)) if ((data as Record<string, unknown>)[key] === undefined) delete (data as Record<string, unknown>)[key];
  return JSON.stringify({ stream, data });
}

function rejectReason(result: FrameResult): string | undefined {
  return result.kind === 'rejected' ? result.reason : undefined;
}

describe('BinanceStreamProtocol.parseFrame', () => {
  const protocol = new BinanceStreamProtocol();

  it('turns a combined-stream aggTrade into a live Trade with the exact strings', () => {
    // Prepare
    const frame = aggTrade();
    // Act
    const result = protocol.parseFrame(frame, context());
    // Assert
    expect(result).toEqual({
      kind: 'trade',
      trade: {
        exchange: 'binance',
        symbol: 'BTCUSDT',
        priceText: '43123.45000000',
        price: 43123.45,
        quantityText: '0.01200000',
        tradeId: 42,
        tradeTime: NOW,
        eventTime: NOW + 1,
        receivedAt: NOW + 5,
        receivedAtMono: 1234.5,
        source: 'live',
      },
    });
  });

  it('converts a microsecond feed to whole milliseconds', () => {
    // Prepare
    const frame = aggTrade({ E: (NOW + 1) * 1000 + 999, T: NOW * 1000 + 456 });
    // Act
    const result = protocol.parseFrame(frame, context());
    // Assert
    expect(result.kind === 'trade' && [result.trade.tradeTime, result.trade.eventTime]).toEqual([NOW, NOW + 1]);
  });

  it('upper-cases a lower-case symbol in the event', () => {
    // Act
    const result = protocol.parseFrame(aggTrade({ s: 'btcusdt' }), context());
    // Assert
    expect(result.kind === 'trade' && result.trade.symbol).toBe('BTCUSDT');
  });

  it.each([
    ['SUBSCRIBE acknowledgement', '{"result":null,"id":7}', { kind: 'reply', id: 7, result: null }],
    ['LIST_SUBSCRIPTIONS answer', '{"result":["btcusdt@aggTrade"],"id":"abc"}', { kind: 'reply', id: 'abc', result: ['btcusdt@aggTrade'] }],
    ['error reply', '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":3}', { kind: 'reply', id: 3, error: { code: 2, msg: 'Invalid request: invalid stream' } }],
    ['error reply without id', '{"error":{"code":3,"msg":"Invalid JSON"}}', { kind: 'reply', id: null, error: { code: 3, msg: 'Invalid JSON' } }],
  ])('reads a %s', (_name, frame, expected) => {
    // Act
    const result = protocol.parseFrame(frame, context());
    // Assert
    expect(result).toEqual(expected);
  });

  it.each([
    ['wrapped on !serverShutdown', `{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":${NOW}}}`, NOW],
    ['bare', `{"e":"serverShutdown","E":${NOW}}`, NOW],
    ['in microseconds', `{"e":"serverShutdown","E":${NOW * 1000}}`, NOW],
    ['in the WebSocket API form', `{"event":{"e":"serverShutdown","E":${NOW}}}`, NOW],
    ['without a time', '{"e":"serverShutdown"}', NOW - 7],
  ])('recognizes serverShutdown %s', (_name, frame, eventTime) => {
    // Act
    const result = protocol.parseFrame(frame, context({ exchangeNow: NOW - 7 }));
    // Assert
    expect(result).toEqual({ kind: 'shutdown', eventTime });
  });

  it.each([
    ['btcusdt@depth@100ms', '{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}', 'depth'],
    ['btcusdt@bookTicker', '{"u":1,"s":"BTCUSDT","b":"1.0","B":"1","a":"1.1","A":"1"}', 'bookTicker'],
    ['btcusdt@kline_1m', '{"e":"kline","E":1,"s":"BTCUSDT","k":{}}', 'kline_1m'],
    ['btcusdt@trade', '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1}', 'trade'],
    ['btcusdt@miniTicker', '{"e":"24hrMiniTicker","E":1,"s":"BTCUSDT"}', 'miniTicker'],
  ])('ignores events of %s', (stream, data, type) => {
    // Act
    const result = protocol.parseFrame(`{"stream":"${stream}","data":${data}}`, context());
    // Assert
    expect(result).toEqual({ kind: 'ignored', stream: type });
  });

  it.each([
    ['invalid_json', 'not json at all'],
    ['invalid_json', '{"stream":'],
    ['invalid_type', 'null'],
    ['invalid_type', '[]'],
    ['invalid_type', '42'],
    ['missing_field', '{"foo":1}'],
    ['missing_field', aggTrade({}).replace(/"stream":"btcusdt@aggTrade",/, '').replace(/^\{"data":(.*)\}$/, '$1')],
    ['missing_field', '{"stream":"btcusdt@aggTrade"}'],
    ['invalid_type', '{"stream":"btcusdt@aggTrade","data":"x"}'],
    ['invalid_type', '{"stream":7,"data":{}}'],
    ['unknown_stream', aggTrade({ s: 'ETHUSDT' }, 'ethusdt@aggTrade')],
    ['unknown_stream', aggTrade({ s: 'ETHUSDT' })],
    ['unknown_stream', '{"stream":"btcusdt@bogusStream","data":{"e":"bogus","E":1}}'],
    ['missing_field', aggTrade({ a: undefined })],
    ['missing_field', aggTrade({ p: undefined })],
    ['missing_field', aggTrade({ T: undefined })],
    ['missing_field', '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT"}}'],
    ['invalid_type', aggTrade({ e: 'trade' })],
    ['invalid_type', aggTrade({ a: 'x' })],
    ['invalid_type', aggTrade({ a: 1.5 })],
    ['invalid_type', aggTrade({ T: 'now' })],
    ['invalid_type', aggTrade({ E: 'yesterday' })],
    ['invalid_type', aggTrade({ s: 42 })],
    ['invalid_type', aggTrade({ p: 1.5 })],
    ['invalid_type', aggTrade({ q: true })],
    ['invalid_price', aggTrade({ p: '-1.00000000' })],
    ['invalid_price', aggTrade({ p: '0.00000000' })],
    ['invalid_price', aggTrade({ p: 'NaN' })],
    ['invalid_price', aggTrade({ p: 'Infinity' })],
    ['invalid_price', aggTrade({ p: '1e400' })],
    ['invalid_price', aggTrade({ p: '' })],
    ['invalid_price', aggTrade({ p: '1.2.3' })],
    ['invalid_price', aggTrade({ p: ' 1.5' })],
    ['invalid_quantity', aggTrade({ q: '0.00000000' })],
    ['invalid_quantity', aggTrade({ q: '-3' })],
    ['invalid_quantity', aggTrade({ q: 'abc' })],
    ['time_out_of_range', aggTrade({ T: NOW + 60_001, E: NOW + 60_001 })],
    ['time_out_of_range', aggTrade({ T: NOW - 60_001 })],
    ['time_out_of_range', aggTrade({ T: NOW, E: 9e12 })],
    ['time_out_of_range', aggTrade({ T: NOW + 5_000, E: NOW + 1 })],
  ])('rejects as %s: %s', (reason, frame) => {
    // Act
    const result = protocol.parseFrame(frame, context());
    // Assert
    expect(rejectReason(result)).toBe(reason);
  });

  it('accepts trades far from local time until the clock has seen the exchange (replays, skewed hosts)', () => {
    // Prepare: a 2020 recording while the collector's clock still runs on local time.
    const old = aggTrade({ T: 1_582_329_602_000, E: 1_582_329_602_001 });

    // Act
    const unsynchronized = protocol.parseFrame(old, context({ clockSynchronized: false }));
    const synchronized = protocol.parseFrame(old, context({ clockSynchronized: true }));

    // Assert
    expect(unsynchronized.kind).toBe('trade');
    expect(rejectReason(synchronized)).toBe('time_out_of_range');
  });

  it('rejects a frame above the configured size before parsing it', () => {
    // Prepare
    const small = new BinanceStreamProtocol({ maxFrameBytes: 300 });
    const frame = aggTrade({ pad: 'x'.repeat(300) });
    // Act
    const result = small.parseFrame(frame, context());
    // Assert
    expect(rejectReason(result)).toBe('oversized');
  });

  it('counts UTF-8 bytes, not characters, against the size limit', () => {
    // Prepare
    const small = new BinanceStreamProtocol({ maxFrameBytes: 400 });
    const frame = aggTrade({ pad: '€'.repeat(100) });
    // Act
    const result = small.parseFrame(frame, context());
    // Assert
    expect(frame.length).toBeLessThan(400);
    expect(rejectReason(result)).toBe('oversized');
  });

  it('rejects a 1 MiB frame with the default 64 KiB limit', () => {
    // Act
    const result = protocol.parseFrame(aggTrade({ pad: 'x'.repeat(1024 * 1024) }), context());
    // Assert
    expect(rejectReason(result)).toBe('oversized');
  });
});

describe('BinanceStreamProtocol naming and requests', () => {
  const protocol = new BinanceStreamProtocol();

  it('names aggTrade streams in lower case and maps them back', () => {
    // Act
    const streams = protocol.streamsForSymbol('BTCUSDT');
    // Assert
    expect(streams).toEqual(['btcusdt@aggTrade']);
    expect(protocol.symbolOfStream('btcusdt@aggTrade')).toBe('BTCUSDT');
    expect(protocol.symbolOfStream('!serverShutdown')).toBeUndefined();
    expect(protocol.symbolOfStream('!miniTicker@arr')).toBeUndefined();
  });

  it('connects to an empty combined-stream connection', () => {
    // Assert
    expect(protocol.connectionUrl('wss://stream.binance.com:9443')).toBe('wss://stream.binance.com:9443/stream');
    expect(protocol.connectionUrl('ws://127.0.0.1:1/')).toBe('ws://127.0.0.1:1/stream');
    expect(new BinanceStreamProtocol({ microsecondTimestamps: true }).connectionUrl('ws://h')).toBe('ws://h/stream?timeUnit=MICROSECOND');
  });

  it('encodes SUBSCRIBE and UNSUBSCRIBE with numeric ids', () => {
    // Act
    const subscribe = JSON.parse(protocol.encodeSubscribe(['btcusdt@aggTrade', 'ethusdt@aggTrade'], 1));
    const unsubscribe = JSON.parse(protocol.encodeUnsubscribe(['btcusdt@aggTrade'], 2));
    // Assert
    expect(subscribe).toEqual({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'ethusdt@aggTrade'], id: 1 });
    expect(unsubscribe).toEqual({ method: 'UNSUBSCRIBE', params: ['btcusdt@aggTrade'], id: 2 });
  });

  it('refuses requests Binance would reject', () => {
    // Prepare
    const tooMany = Array.from({ length: protocol.maxStreamsPerRequest + 1 }, (_, i) => `s${i}usdt@aggTrade`);
    // Assert
    expect(() => protocol.encodeSubscribe(tooMany, 1)).toThrow(/split the request/);
    expect(() => protocol.encodeSubscribe([], 1)).toThrow(/1 to/);
    expect(() => protocol.encodeSubscribe(['btcusdt@aggTrade'], 1.5)).toThrow(/non-negative integer/);
  });

  it('states Binance limits', () => {
    // Assert
    expect([protocol.maxStreamsPerConnection, protocol.maxOutgoingMessagesPerSecond, protocol.maxConnectionAttempts, protocol.connectionAttemptWindowMs, protocol.maxConnectionAgeMs]).toEqual([1024, 5, 300, 300_000, 86_400_000]);
  });
});

describeWithSharedData('parseFrame on a live Binance capture (2021-10-12)', () => {
  const protocol = new BinanceStreamProtocol();
  const lines = readFileSync(sharedDataFile('binance-spot-ws-capture-2021-10-12.txt'), 'utf8').split('\n');
  const streams = new Set((/streams=([^ ]+)/.exec(lines[0] ?? '')?.[1] ?? '').split('/'));
  const messages = lines.slice(1).filter((line) => line.trim() !== '' && !line.startsWith('wss://')).map((line) => {
    const colon = line.indexOf(': ');
    return { receivedAt: Math.round(Number(line.slice(0, colon)) * 1000), text: line.slice(colon + 2) };
  });

  it('reads every message: aggTrades as trades with exact strings, the rest ignored, none rejected', () => {
    // Prepare
    const results: FrameResult[] = [];
    // Act
    for (const message of messages) results.push(protocol.parseFrame(message.text, { ...context({ exchangeNow: message.receivedAt, maxClockDistanceMs: 10_000 }), isKnownStream: (s) => streams.has(s) }));
    // Assert
    expect(messages.length).toBeGreaterThan(200);
    expect(results.filter((r) => r.kind === 'rejected')).toEqual([]);
    messages.forEach((message, i) => {
      const wire = JSON.parse(message.text) as { stream: string; data: { p?: string; q?: string; a?: number; T?: number } };
      const result = results[i] as FrameResult;
      if (wire.stream.endsWith('@aggTrade')) {
        expect(result.kind === 'trade' && [result.trade.priceText, result.trade.quantityText, result.trade.tradeId, result.trade.tradeTime]).toEqual([wire.data.p, wire.data.q, wire.data.a, wire.data.T]);
      } else {
        expect(result.kind).toBe('ignored');
      }
    });
    expect(new Set(results.flatMap((r) => (r.kind === 'ignored' ? [r.stream] : [])))).toEqual(new Set(['depth', 'bookTicker', 'kline_1m']));
  });
});

describeWithSharedData('parseFrame on recorded BTCUSDT aggregate trades (2020-02-22)', () => {
  const protocol = new BinanceStreamProtocol();
  const lines = readFileSync(sharedDataFile('btcusdt-aggtrades-2020-02-22.jsonl'), 'utf8').split('\n').filter((line) => line !== '');

  function parseAll(transform: (line: string) => string): FrameResult[] {
    return lines.map((line) => {
      const wire = JSON.parse(line) as { data: { E: number } };
      return protocol.parseFrame(transform(line), context({ exchangeNow: wire.data.E, maxClockDistanceMs: 5_000 }));
    });
  }

  it('parses every trade with its exact price and consecutive ids', () => {
    // Act
    const results = parseAll((line) => line);
    // Assert
    expect(results).toHaveLength(9999);
    const trades = results.map((r) => (r.kind === 'trade' ? r.trade : undefined));
    expect(trades.every((t) => t !== undefined)).toBe(true);
    lines.forEach((line, i) => {
      const wire = JSON.parse(line) as { data: { p: string; a: number } };
      expect([trades[i]?.priceText, trades[i]?.tradeId]).toEqual([wire.data.p, wire.data.a]);
    });
    expect(trades.every((t, i) => i === 0 || t!.tradeId === trades[i - 1]!.tradeId + 1)).toBe(true);
  });

  it('gives identical trades from the same data in microseconds', () => {
    // Prepare
    const toMicro = (line: string) => line.replace(/"E":(\d+)/, '"E":$1000').replace(/"T":(\d+)/, '"T":$1000');
    // Act
    const micro = parseAll(toMicro);
    const milli = parseAll((line) => line);
    // Assert
    expect(micro).toEqual(milli);
  });
});
