import { readFileSync } from 'node:fs';
import { ExchangeRestError, OkxRestClient, createOkxRestLimiters } from '../../../../services/collector/exchange';
import { describeWithSharedData, sharedDataFile } from '../../../support';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 1);

function respond(status: number, body: unknown): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const ok = (data: unknown[]): Response => respond(200, { code: '0', msg: '', data });
const instruments = (): Response => ok([
  { instId: 'BTC-USDT', baseCcy: 'BTC', quoteCcy: 'USDT', state: 'live', instType: 'SPOT' },
  { instId: 'LUNA-USDT', baseCcy: 'LUNA', quoteCcy: 'USDT', state: 'suspend', instType: 'SPOT' },
]);

function client(answers: Array<Response | Error>) {
  const urls: string[] = [];
  const fetchStub = (async (url: string) => {
    urls.push(url);
    const next = answers.shift();
    if (next === undefined) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  const limiters = createOkxRestLimiters();
  return { rest: new OkxRestClient({ baseUrl: 'http://okx.test/', limiters, fetch: fetchStub, random: () => 0.5, retryBaseDelayMs: 100 }), urls, limiters };
}

describe('OkxRestClient', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('lists spot instruments with live as tradable and fills the directory', async () => {
    // Prepare
    const { rest, urls } = client([instruments()]);
    // Act
    const symbols = await rest.listSymbols();
    // Assert
    expect(urls).toEqual(['http://okx.test/api/v5/public/instruments?instType=SPOT']);
    expect(symbols).toEqual([
      { symbol: 'BTCUSDT', nativeSymbol: 'BTC-USDT', baseAsset: 'BTC', quoteAsset: 'USDT', status: 'live', tradable: true },
      { symbol: 'LUNAUSDT', nativeSymbol: 'LUNA-USDT', baseAsset: 'LUNA', quoteAsset: 'USDT', status: 'suspend', tradable: false },
    ]);
    expect(rest.directory.nativeOf('BTCUSDT')).toBe('BTC-USDT');
  });

  it('asks history-trades for exactly the ids fromId .. fromId+limit-1 and returns them ascending', async () => {
    // Prepare
    const rows = [102, 101, 100].map((id) => ({ instId: 'BTC-USDT', tradeId: String(id), px: '29581.5', sz: '0.1', side: 'sell', ts: String(NOW - 1000 + id) }));
    const { rest, urls } = client([instruments(), ok(rows)]);
    // Act
    const trades = await rest.fetchTradesFrom('BTCUSDT', 100, 3);
    // Assert
    expect(urls[1]).toBe('http://okx.test/api/v5/market/history-trades?instId=BTC-USDT&type=1&after=103&limit=3&before=99');
    expect(trades.map((t) => [t.tradeId, t.tradeIdText, t.symbol, t.exchange, t.source, t.tradeTime])).toEqual([
      [100, '100', 'BTCUSDT', 'okx', 'backfill', NOW - 900],
      [101, '101', 'BTCUSDT', 'okx', 'backfill', NOW - 899],
      [102, '102', 'BTCUSDT', 'okx', 'backfill', NOW - 898],
    ]);
  });

  it('caps a page at 100 trades and 300 candles, and reads candles ascending without a trade count', async () => {
    // Prepare
    const start = Date.UTC(2024, 0, 1, 11, 45);
    const candles = [1, 0].map((i) => [String(start + i * 60_000), '10', '12', '9', String(11 + i), '5', '50', '50', '1']);
    const { rest, urls } = client([instruments(), ok([]), ok(candles)]);
    // Act
    await rest.fetchTradesFrom('BTCUSDT', 5, 5000);
    const klines = await rest.fetchKlines('BTCUSDT', start, 1000);
    // Assert
    expect(new URL(urls[1] as string).searchParams.get('limit')).toBe('100');
    expect(Object.fromEntries(new URL(urls[2] as string).searchParams)).toEqual({ instId: 'BTC-USDT', bar: '1m', before: String(start - 1), after: String(start + 300 * 60_000), limit: '300' });
    expect(klines).toEqual([
      { openTime: start, closeTime: start + 59_999, openText: '10', closeText: '11', close: 11 },
      { openTime: start + 60_000, closeTime: start + 119_999, openText: '10', closeText: '12', close: 12 },
    ]);
  });

  it('refuses a pair OKX does not list with a typed error, without asking for its trades', async () => {
    // Prepare
    const { rest, urls } = client([instruments()]);
    // Act
    const outcome = rest.fetchTradesFrom('DOGEUSDT', 1, 10);
    // Assert
    await expect(outcome).rejects.toMatchObject({ code: 'SYMBOL_NOT_LISTED', symbol: 'DOGEUSDT' });
    expect(urls).toHaveLength(1);
  });

  it('reads the server time', async () => {
    // Prepare
    const { rest } = client([ok([{ ts: '1597026383085' }])]);
    // Act
    const time = await rest.serverTime();
    // Assert
    expect(time).toBe(1597026383085);
  });

  it('on 429 / 50011 pauses the endpoint for one 2 s window and retries', async () => {
    // Prepare
    const { rest, urls, limiters } = client([respond(429, { code: '50011', msg: 'Rate limit reached. Please refer to API documentation and throttle requests accordingly', data: [] }), ok([{ ts: '5' }])]);
    // Act
    const pending = rest.serverTime();
    await jest.advanceTimersByTimeAsync(0);
    const paused = limiters['/api/v5/public/time'].state().pausedUntil;
    await jest.advanceTimersByTimeAsync(1999);
    const before = urls.length;
    await jest.advanceTimersByTimeAsync(1);
    // Assert
    await expect(pending).resolves.toBe(5);
    expect([paused, before, urls.length]).toEqual([NOW + 2000, 1, 2]);
    expect(limiters['/api/v5/market/history-trades'].state().pausedUntil).toBe(0);
  });

  it('gives up with REST_RATE_LIMITED after the allowed retries', async () => {
    // Prepare
    const limited = () => respond(429, { code: '50011', msg: 'Rate limit reached.', data: [] });
    const { rest } = client([limited(), limited(), limited(), limited()]);
    // Act
    const outcome = expect(rest.serverTime()).rejects.toMatchObject({ code: 'REST_RATE_LIMITED', status: 429, exchangeCode: 50011, exchange: 'okx' });
    await jest.advanceTimersByTimeAsync(10_000);
    // Assert
    await outcome;
  });

  it('maps a refused request to REST_REJECTED with the HTTP status and OKX code, whatever the status', async () => {
    // Prepare
    const { rest } = client([respond(400, { code: '51001', msg: "Instrument ID doesn't exist.", data: [] }), respond(200, { code: '51000', msg: 'Parameter instType error', data: [] })]);
    // Act
    const first = rest.serverTime().catch((error: unknown) => error);
    const second = rest.serverTime().catch((error: unknown) => error);
    // Assert
    expect(await first).toMatchObject({ code: 'REST_REJECTED', status: 400, exchangeCode: 51001, exchangeMessage: "Instrument ID doesn't exist." });
    expect(await second).toBeInstanceOf(ExchangeRestError);
    expect(await second).toMatchObject({ code: 'REST_REJECTED', status: 200, exchangeCode: 51000 });
  });

  it('retries 5xx, busy codes and network errors a bounded number of times', async () => {
    // Prepare
    const { rest, urls } = client([respond(503, { code: '50001', msg: 'Service temporarily unavailable', data: [] }), respond(200, { code: '50013', msg: 'Systems are busy', data: [] }), new TypeError('fetch failed'), ok([{ ts: '9' }])]);
    // Act
    const pending = rest.serverTime();
    await jest.advanceTimersByTimeAsync(5_000);
    // Assert
    await expect(pending).resolves.toBe(9);
    expect(urls).toHaveLength(4);
  });

  it('gives up after the allowed retries with REST_UNAVAILABLE', async () => {
    // Prepare
    const { rest, urls } = client([new TypeError('a'), new TypeError('b'), new TypeError('c'), new TypeError('d')]);
    // Act
    const outcome = expect(rest.serverTime()).rejects.toMatchObject({ code: 'REST_UNAVAILABLE', exchange: 'okx', endpoint: '/api/v5/public/time' });
    await jest.advanceTimersByTimeAsync(5_000);
    // Assert
    await outcome;
    expect(urls).toHaveLength(4);
  });

  it('reports a body that is not OKX\'s as REST_MALFORMED', async () => {
    // Prepare
    const { rest } = client([respond(200, '<html>proxy</html>'), ok([{ instId: 'BTC-USDT' }])]);
    // Act
    const notJson = rest.serverTime().catch((error: unknown) => error);
    const badRow = rest.listSymbols().catch((error: unknown) => error);
    // Assert
    expect(await notJson).toMatchObject({ code: 'REST_MALFORMED', status: 200 });
    expect(await badRow).toMatchObject({ code: 'REST_MALFORMED', endpoint: '/api/v5/public/instruments' });
  });
});

describeWithSharedData('OkxRestClient on the real spot instruments response (2022-05-13)', () => {
  const body = readFileSync(sharedDataFile('okx-instruments-spot-2022-05-13.json'), 'utf8');

  it('lists all 513 live instruments as tradable, named base+quote', async () => {
    // Prepare
    const fetchStub = (async () => new Response(body, { status: 200 })) as unknown as typeof fetch;
    const rest = new OkxRestClient({ baseUrl: 'http://okx.test', fetch: fetchStub });
    // Act
    const symbols = await rest.listSymbols();
    // Assert
    expect(symbols).toHaveLength(513);
    expect(symbols.every((s) => s.tradable && s.symbol === `${s.baseAsset}${s.quoteAsset}` && s.nativeSymbol === `${s.baseAsset}-${s.quoteAsset}`)).toBe(true);
    expect(symbols.slice(0, 2).map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(rest.directory.size).toBe(513);
  });
});
