import { BybitRestClient, createBybitRestLimiter } from '../../../../services/collector/exchange';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 1);

function respond(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

const ok = (result: unknown): Response => respond(200, { retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: NOW });
const instrument = (symbol: string, baseCoin: string, quoteCoin: string, status = 'Trading') => ({ symbol, baseCoin, quoteCoin, status, innovation: '0' });

function client(answers: Array<Response | Error>) {
  const urls: string[] = [];
  const fetchStub = (async (url: string) => {
    urls.push(url);
    const next = answers.shift();
    if (next === undefined) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  const limiter = createBybitRestLimiter();
  return { rest: new BybitRestClient({ baseUrl: 'http://bybit.test', limiter, fetch: fetchStub, random: () => 0.5, retryBaseDelayMs: 100 }), urls, limiter };
}

describe('BybitRestClient', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('follows nextPageCursor through instruments-info and marks only Trading as tradable', async () => {
    // Prepare
    const { rest, urls } = client([
      ok({ category: 'spot', list: [instrument('BTCUSDT', 'BTC', 'USDT')], nextPageCursor: 'page2' }),
      ok({ category: 'spot', list: [instrument('XYZUSDC', 'XYZ', 'USDC', 'PreLaunch')], nextPageCursor: '' }),
    ]);
    // Act
    const symbols = await rest.listSymbols();
    // Assert
    expect(urls).toEqual(['http://bybit.test/v5/market/instruments-info?category=spot&limit=1000', 'http://bybit.test/v5/market/instruments-info?category=spot&limit=1000&cursor=page2']);
    expect(symbols).toEqual([
      { symbol: 'BTCUSDT', nativeSymbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', status: 'Trading', tradable: true },
      { symbol: 'XYZUSDC', nativeSymbol: 'XYZUSDC', baseAsset: 'XYZ', quoteAsset: 'USDC', status: 'PreLaunch', tradable: false },
    ]);
    expect(rest.directory.size).toBe(2);
  });

  it('refuses a cursor that never ends as malformed after 20 pages', async () => {
    // Prepare
    const pages = Array.from({ length: 20 }, (_, i) => ok({ category: 'spot', list: [], nextPageCursor: `p${i}` }));
    const { rest, urls } = client(pages);
    // Act
    const outcome = rest.listSymbols();
    // Assert
    await expect(outcome).rejects.toMatchObject({ code: 'REST_MALFORMED', exchange: 'bybit' });
    expect(urls).toHaveLength(20);
  });

  it('rejects backfill by id with BACKFILL_UNSUPPORTED, without a request', async () => {
    // Prepare
    const { rest, urls } = client([]);
    // Act
    const outcome = rest.fetchTradesFrom('BTCUSDT', 1, 1000);
    // Assert
    await expect(outcome).rejects.toMatchObject({ code: 'BACKFILL_UNSUPPORTED', exchange: 'bybit' });
    expect(urls).toEqual([]);
  });

  it('gives recent trades ascending with the exec id verbatim, at most 60', async () => {
    // Prepare
    const rows = [
      { execId: '2290000000007764265', symbol: 'BTCUSDT', price: '16578.51', size: '0.2', side: 'Buy', time: String(NOW - 1), isBlockTrade: false },
      { execId: '2290000000007764264', symbol: 'BTCUSDT', price: '16578.50', size: '0.1', side: 'Sell', time: String(NOW - 2), isBlockTrade: false },
    ];
    const { rest, urls } = client([ok({ category: 'spot', list: rows })]);
    // Act
    const trades = await rest.fetchRecentTrades('BTCUSDT', 500);
    // Assert
    expect(urls).toEqual(['http://bybit.test/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=60']);
    expect(trades.map((t) => [t.tradeIdText, t.tradeId, t.priceText, t.tradeTime, t.source])).toEqual([
      ['2290000000007764264', 0, '16578.50', NOW - 2, 'backfill'],
      ['2290000000007764265', 0, '16578.51', NOW - 1, 'backfill'],
    ]);
  });

  it('asks 1m klines for the window from startTime and returns them ascending', async () => {
    // Prepare
    const start = Date.UTC(2024, 0, 1, 11, 45);
    const list = [1, 0].map((i) => [String(start + i * 60_000), '10', '12', '9', String(11 + i), '1', '10']);
    const { rest, urls } = client([ok({ category: 'spot', symbol: 'BTCUSDT', list })]);
    // Act
    const klines = await rest.fetchKlines('BTCUSDT', start, 16);
    // Assert
    expect(Object.fromEntries(new URL(urls[0] as string).searchParams)).toEqual({ category: 'spot', symbol: 'BTCUSDT', interval: '1', start: String(start), end: String(start + 16 * 60_000 - 1), limit: '16' });
    expect(klines.map((k) => [k.openTime, k.closeTime, k.closeText, k.tradeCount])).toEqual([
      [start, start + 59_999, '11', undefined],
      [start + 60_000, start + 119_999, '12', undefined],
    ]);
  });

  it('reads the server time in ms from timeNano', async () => {
    // Prepare
    const { rest } = client([ok({ timeSecond: '1688639403', timeNano: '1688639403423213947' })]);
    // Act
    const time = await rest.serverTime();
    // Assert
    expect(time).toBe(1688639403423);
  });

  it('on 403 pauses every request for 10 minutes and fails as REST_IP_BANNED', async () => {
    // Prepare
    const { rest, limiter } = client([respond(403, 'access too frequent')]);
    // Act
    const outcome = rest.serverTime();
    // Assert
    await expect(outcome).rejects.toMatchObject({ code: 'REST_IP_BANNED', status: 403, retryAfterMs: 600_000 });
    expect(limiter.state().pausedUntil).toBe(NOW + 600_000);
  });

  it('on retCode 10006 waits until X-Bapi-Limit-Reset-Timestamp and retries', async () => {
    // Prepare
    const { rest, urls } = client([respond(200, { retCode: 10006, retMsg: 'Too many visits!', result: {} }, { 'x-bapi-limit-reset-timestamp': String(NOW + 3000) }), ok({ timeNano: '1700000000005000000' })]);
    // Act
    const pending = rest.serverTime();
    await jest.advanceTimersByTimeAsync(2999);
    const before = urls.length;
    await jest.advanceTimersByTimeAsync(1);
    // Assert
    await expect(pending).resolves.toBe(1700000000005);
    expect([before, urls.length]).toEqual([1, 2]);
  });

  it('maps a refused parameter to REST_REJECTED with Bybit\'s retCode, and retries server errors', async () => {
    // Prepare
    const { rest, urls } = client([
      respond(200, { retCode: 10001, retMsg: 'params error: symbol invalid', result: {} }),
      respond(502, '<html>bad gateway</html>'),
      respond(200, { retCode: 10016, retMsg: 'server error', result: {} }),
      ok({ timeNano: '1700000000007000000' }),
    ]);
    // Act
    const refused = rest.serverTime().catch((error: unknown) => error);
    const retried = rest.serverTime();
    await jest.advanceTimersByTimeAsync(5000);
    // Assert
    expect(await refused).toMatchObject({ code: 'REST_REJECTED', status: 200, exchangeCode: 10001, exchangeMessage: 'params error: symbol invalid' });
    await expect(retried).resolves.toBe(1700000000007);
    expect(urls).toHaveLength(4);
  });
});
