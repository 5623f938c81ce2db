import { BinanceRestClient, RequestWeightBudget } from '../../../../services/collector/exchange';

function respond(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function client(answers: Array<Response | Error>, budget = new RequestWeightBudget()) {
  const urls: string[] = [];
  const fetchStub = (async (url: string) => {
    urls.push(url);
    const next = answers.shift();
    if (next === undefined) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { rest: new BinanceRestClient({ baseUrl: 'http://exchange.test/', budget, fetch: fetchStub, random: () => 0.5, retryBaseDelayMs: 100 }), urls, budget };
}

describe('BinanceRestClient', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.UTC(2024, 0, 1, 12, 0, 1) });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('maps aggTrades rows to backfill trades and asks at most 1000', async () => {
    // Prepare
    const { rest, urls } = client([respond(200, [{ a: 7, p: '1.50', q: '2', f: 1, l: 1, T: 99, m: true, M: true }], { 'x-mbx-used-weight-1m': '12' })]);
    // Act
    const trades = await rest.fetchTradesFrom('BTCUSDT', 7, 5000);
    // Assert
    expect(urls).toEqual(['http://exchange.test/api/v3/aggTrades?symbol=BTCUSDT&fromId=7&limit=1000']);
    expect(trades).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', tradeId: 7, priceText: '1.50', price: 1.5, quantityText: '2', tradeTime: 99, eventTime: 99, source: 'backfill' })]);
    expect(rest.budget.state().used).toBe(12);
  });

  it('retries 5xx and network errors a bounded number of times with backoff', async () => {
    // Prepare
    const { rest, urls } = client([respond(502, { code: -1000, msg: 'bad gateway' }), new TypeError('fetch failed'), respond(200, { serverTime: 5 })]);
    // Act
    const pending = rest.serverTime();
    await jest.advanceTimersByTimeAsync(1_000);
    // Assert
    await expect(pending).resolves.toBe(5);
    expect(urls).toHaveLength(3);
  });

  it('gives up after the retries with REST_UNAVAILABLE', async () => {
    // Prepare
    const { rest, urls } = client([new TypeError('a'), new TypeError('b'), new TypeError('c'), new TypeError('d')]);
    // Act
    const pending = rest.serverTime();
    const outcome = expect(pending).rejects.toMatchObject({ code: 'REST_UNAVAILABLE' });
    await jest.advanceTimersByTimeAsync(5_000);
    // Assert
    await outcome;
    expect(urls).toHaveLength(4);
  });

  it('on 418 pauses every request until Retry-After and fails this one as banned', async () => {
    // Prepare
    const { rest, budget } = client([respond(418, { code: -1003, msg: 'IP banned' }, { 'retry-after': '120' })]);
    // Act
    const result = rest.serverTime();
    // Assert
    await expect(result).rejects.toMatchObject({ code: 'REST_IP_BANNED', status: 418, exchangeCode: -1003, retryAfterMs: 120_000 });
    expect(budget.state().pausedUntil).toBe(Date.now() + 120_000);
  });

  it('on 429 waits for Retry-After and retries', async () => {
    // Prepare
    const { rest, urls } = client([respond(429, { code: -1003, msg: 'slow down' }, { 'retry-after': '2' }), respond(200, { serverTime: 9 })]);
    // Act
    const pending = rest.serverTime();
    await jest.advanceTimersByTimeAsync(1_999);
    const before = urls.length;
    await jest.advanceTimersByTimeAsync(1);
    // Assert
    await expect(pending).resolves.toBe(9);
    expect([before, urls.length]).toEqual([1, 2]);
  });

  it('reports a malformed 200 body instead of returning half of it', async () => {
    // Prepare
    const { rest } = client([respond(200, [{ a: 1, p: 'NaN', q: '1', T: 1 }])]);
    // Act
    const result = rest.fetchTradesFrom('BTCUSDT', 1, 10);
    // Assert
    await expect(result).rejects.toMatchObject({ code: 'REST_MALFORMED' });
  });
});
