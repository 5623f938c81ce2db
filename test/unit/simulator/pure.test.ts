import { formatE8, parseE8, roundToStep } from '../../../services/simulator/decimal';
import { aggTradePayload, combinedMessage, serverShutdownMessage, splitQuantity } from '../../../services/simulator/format';
import { KlineBook, TradeRing, queryAggTrades } from '../../../services/simulator/history';
import { MessageRateLimiter, RequestWeightLimiter } from '../../../services/simulator/limits';
import { AliasTable, Prng } from '../../../services/simulator/prng';
import { decideControl, parseControlMessage } from '../../../services/simulator/protocol';
import { ReplayCursor, parseReplayLine } from '../../../services/simulator/replay';
import { isWellFormedStream, servedStream } from '../../../services/simulator/streams';
import { MAX_SYNTHETIC_SYMBOLS, syntheticSymbolNames, syntheticUniverse } from '../../../services/simulator/universe';
import { garbageFrames, HUGE_FRAME_BYTES } from '../../../services/simulator/faults';

const trade = (a: number, T: number, price = 100_000_000) => ({ a, f: a * 2, l: a * 2, T, priceE8: price, qtyE8: 50_000_000, m: false });

describe('decimal', () => {
  it('parses and formats 8-decimal strings exactly', () => {
    // Prepare
    const text = '9682.01000000';
    // Act
    const value = parseE8(text);
    // Assert
    expect(value).toBe(968_201_000_000);
    expect(formatE8(value)).toBe(text);
    expect(formatE8(roundToStep(123_456, 1_000))).toBe('0.00123000');
  });

  it('rejects non-decimals', () => {
    expect(() => parseE8('-1')).toThrow(RangeError);
  });
});

describe('prng and alias table', () => {
  it('is deterministic for a seed and picks by weight', () => {
    // Prepare
    const a = new Prng(7);
    const b = new Prng(7);
    const table = new AliasTable([9, 1, 0]);
    const counts = [0, 0, 0];
    // Act
    const same = Array.from({ length: 5 }, () => a.next() === b.next());
    for (let i = 0; i < 10_000; i++) counts[table.pick(a)]! += 1;
    // Assert
    expect(same.every(Boolean)).toBe(true);
    expect(counts[2]).toBe(0);
    expect(counts[0]! / 10_000).toBeGreaterThan(0.85);
  });
});

describe('universe', () => {
  it('names 5,000 unique realistic pairs, most liquid first', () => {
    // Act
    const names = syntheticSymbolNames(5000).map((n) => n.symbol);
    // Assert
    expect(MAX_SYNTHETIC_SYMBOLS).toBeGreaterThanOrEqual(5000);
    expect(new Set(names).size).toBe(5000);
    expect(names.slice(0, 3)).toEqual(['BTCUSDT', 'ETHUSDT', 'BNBUSDT']);
    expect(names.every((n) => /^[A-Z0-9]+(USDT|FDUSD|BTC|ETH|BNB|USDC|TRY|EUR|TUSD|BRL|DAI|JPY)$/.test(n))).toBe(true);
  });

  it('gives every symbol a tick and step that fit its start price', () => {
    // Act
    const { specs, prices } = syntheticUniverse(50, new Prng(1));
    // Assert
    specs.forEach((spec, i) => expect(prices[i]! * 1e8).toBeGreaterThanOrEqual(spec.tickE8 * 1000));
  });
});

describe('format', () => {
  it('writes aggTrade with Binance keys, string prices and a combined wrapper', () => {
    // Act
    const payload = aggTradePayload('BTCUSDT', trade(5, 1000), 1001, 1);
    const wrapped = JSON.parse(combinedMessage('btcusdt@aggTrade', payload));
    // Assert
    expect(Object.keys(wrapped.data)).toEqual(['e', 'E', 's', 'a', 'p', 'q', 'f', 'l', 'T', 'm', 'M']);
    expect(wrapped).toMatchObject({ stream: 'btcusdt@aggTrade', data: { E: 1001, T: 1000, p: '1.00000000', q: '0.50000000' } });
    expect(JSON.parse(aggTradePayload('BTCUSDT', trade(5, 1000), 1001, 1000)).E).toBe(1_001_000);
  });

  it('splits an aggregate quantity into fills that add up', () => {
    expect(splitQuantity(700, 3, 100)).toEqual([200, 200, 300]);
  });

  it('writes serverShutdown raw and combined', () => {
    expect(JSON.parse(serverShutdownMessage(5, true, 1))).toEqual({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: 5 } });
    expect(JSON.parse(serverShutdownMessage(5, false, 1))).toEqual({ e: 'serverShutdown', E: 5 });
  });
});

describe('trade ring', () => {
  it('answers fromId, time ranges and latest, and stays bounded', () => {
    // Prepare
    const ring = new TradeRing(100, 60_000);
    for (let a = 1; a <= 150; a++) ring.push(trade(a, a * 10));
    // Act
    const fromId = queryAggTrades(ring, { fromId: 120, limit: 3 });
    const byTime = queryAggTrades(ring, { startTime: 1000, endTime: 1020, limit: 10 });
    const latest = queryAggTrades(ring, { limit: 2 });
    // Assert
    expect(ring.size).toBe(100);
    expect(fromId.map((t) => t.a)).toEqual([120, 121, 122]);
    expect(byTime.map((t) => t.a)).toEqual([100, 101, 102]);
    expect(latest.map((t) => t.a)).toEqual([149, 150]);
  });

  it('evicts trades older than the retention', () => {
    // Prepare
    const ring = new TradeRing(1000, 100);
    // Act
    for (let a = 1; a <= 10; a++) ring.push(trade(a, a * 50));
    // Assert
    expect(ring.at(0).a).toBe(8);
  });
});

describe('kline book', () => {
  it('aggregates trades per minute and fills quiet minutes at the previous close', () => {
    // Prepare
    const book = new KlineBook(0, 100_000_000, 10);
    book.add(trade(1, 1_000, 200_000_000));
    book.add(trade(2, 2_000, 300_000_000));
    book.add(trade(3, 130_000, 250_000_000));
    // Act
    const rows = book.query(150_000, 10);
    // Assert
    expect(rows.map((r) => r[0])).toEqual([0, 60_000, 120_000]);
    expect(rows[0]!.slice(1, 6)).toEqual(['2.00000000', '3.00000000', '2.00000000', '3.00000000', '1.00000000']);
    expect(rows[1]!.slice(1, 6)).toEqual(['3.00000000', '3.00000000', '3.00000000', '3.00000000', '0.00000000']);
    expect(rows[2]![8]).toBe(1);
  });
});

describe('limits', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('allows 5 messages a second and refuses the sixth', () => {
    // Prepare
    const limiter = new MessageRateLimiter(5);
    const now = Date.now();
    // Act
    const first = Array.from({ length: 5 }, (_, i) => limiter.hit(now + i * 10));
    const sixth = limiter.hit(now + 100);
    jest.advanceTimersByTime(1000);
    const later = limiter.hit(Date.now() + 100);
    // Assert
    expect(first.every(Boolean)).toBe(true);
    expect(sixth).toBe(false);
    expect(later).toBe(true);
  });

  it('counts request weight per minute with a Retry-After to the next minute', () => {
    // Prepare
    const limiter = new RequestWeightLimiter(10);
    const minute = 1_700_000_040_000;
    // Act
    const ok = limiter.consume('ip', 8, minute + 1000);
    const over = limiter.consume('ip', 4, minute + 30_000);
    const next = limiter.consume('ip', 4, minute + 60_000);
    // Assert
    expect(ok).toEqual({ allowed: true, used: 8, retryAfterSeconds: 59 });
    expect(over).toMatchObject({ allowed: false, used: 12, retryAfterSeconds: 30 });
    expect(next).toMatchObject({ allowed: true, used: 4 });
  });
});

describe('control protocol', () => {
  it.each([
    ['{bad', 3, 'Invalid JSON'],
    ['{"params":[],"id":1}', 2, 'missing field `method`'],
    ['{"method":"SUBSCRIBEE","params":[],"id":1}', 2, 'unknown variant `SUBSCRIBEE`'],
    ['{"method":"SUBSCRIBE","params":[],"id":1.5}', 2, 'request ID must be an unsigned integer'],
  ])('answers %s with code %i', (text, code, message) => {
    // Act
    const result = parseControlMessage(text);
    // Assert
    expect('error' in result && result.error.code).toBe(code);
    expect('error' in result && result.error.msg).toContain(message);
  });

  it('subscribes, lists, rejects malformed streams and flags the stream limit', () => {
    // Prepare
    const current = new Set(['btcusdt@aggTrade']);
    const subscribe = parseControlMessage('{"method":"SUBSCRIBE","params":["ethusdt@aggTrade","btcusdt@aggTrade"],"id":7}');
    const invalid = parseControlMessage('{"method":"SUBSCRIBE","params":["@@@bad###"],"id":8}');
    const list = parseControlMessage('{"method":"LIST_SUBSCRIPTIONS","id":9}');
    // Act
    const sub = 'error' in subscribe ? undefined : decideControl(subscribe, current, true, 1024);
    const bad = 'error' in invalid ? undefined : decideControl(invalid, current, true, 1024);
    const listed = 'error' in list ? undefined : decideControl(list, current, true, 1024);
    const limited = 'error' in subscribe ? undefined : decideControl(subscribe, current, true, 1);
    // Assert
    expect(sub).toMatchObject({ reply: { result: null, id: 7 }, subscribe: ['ethusdt@aggTrade'], exceedsStreamLimit: false });
    expect(bad?.reply).toEqual({ error: { code: 2, msg: 'Invalid request: invalid stream' }, id: 8 });
    expect(listed?.reply).toEqual({ result: ['btcusdt@aggTrade'], id: 9 });
    expect(limited?.exceedsStreamLimit).toBe(true);
  });

  it('tells served streams from well-formed unknown ones', () => {
    expect(servedStream('btcusdt@kline_1m')).toEqual({ symbol: 'BTCUSDT', kind: 'kline_1m' });
    expect(servedStream('btcusdt@depth')).toBeUndefined();
    expect(isWellFormedStream('btcusdt@depth@100ms')).toBe(true);
    expect(isWellFormedStream('@@@bad###')).toBe(false);
  });
});

describe('replay', () => {
  const line = (a: number, E: number) => `{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":${E},"s":"BTCUSDT","a":${a},"p":"9682.00000000","q":"0.13200000","f":${a},"l":${a},"T":${E},"m":false,"M":true}}`;

  it('parses a recorded line keeping its text', () => {
    // Act
    const event = parseReplayLine(line(1, 1000), 1);
    // Assert
    expect(event).toMatchObject({ symbol: 'BTCUSDT', eventTime: 1000, trade: { a: 1, priceE8: 968_200_000_000 }, combined: line(1, 1000) });
  });

  it('rejects a line without a price', () => {
    expect(() => parseReplayLine('{"stream":"x","data":{"e":"aggTrade","s":"X","E":1}}', 3)).toThrow('replay line 3');
  });

  it('paces events by E divided by the speed from the start', () => {
    // Prepare
    const cursor = new ReplayCursor([parseReplayLine(line(1, 1000), 1), parseReplayLine(line(2, 3000), 2)], 2);
    // Act
    const before = cursor.due(0, 10);
    cursor.start(10_000);
    const first = cursor.due(10_000, 10);
    const notYet = cursor.due(10_999, 10);
    const second = cursor.due(11_000, 10);
    // Assert
    expect(before).toHaveLength(0);
    expect(first.map((e) => e.trade.a)).toEqual([1]);
    expect(notYet).toHaveLength(0);
    expect(second.map((e) => e.trade.a)).toEqual([2]);
    expect(cursor.clock(11_500)).toBe(4000);
  });
});

describe('garbage frames', () => {
  it('include broken JSON, impossible prices and a ~1 MiB frame', () => {
    // Act
    const frames = garbageFrames('btcusdt@aggTrade', 'BTCUSDT', true, 1);
    // Assert
    expect(frames.some((f) => f.length > HUGE_FRAME_BYTES)).toBe(true);
    expect(frames.some((f) => f.includes('"-1.00000000"'))).toBe(true);
    expect(() => JSON.parse(frames[0]!)).toThrow();
  });
});
