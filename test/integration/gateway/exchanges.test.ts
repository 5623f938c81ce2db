import { eventually, GatewayHarness, get, state, type Message } from './harness';

/**
 * One gateway serving three exchanges, as the default GATEWAY_EXCHANGES does
 * (binance, okx, bybit): the same pair under each exchange is a different key,
 * a different channel and a different subscription, and an exchange no
 * collector writes is served empty without an error, a failed readiness or a
 * missing metric. The harness's own exchange names stand in for the three
 * (pub/sub channels are shared by every test file and db index).
 */
const TS = 1_700_000_000_000;

const symbolsOf = (message: Message) => (message.rates as { symbol: string; price: string }[]).map((r) => `${r.symbol}=${r.price}`);

describe('a gateway serving three exchanges, one of them without a collector', () => {
  let h: GatewayHarness;
  let binance: string;
  let okx: string;
  let bybit: string;

  beforeEach(async () => {
    h = new GatewayHarness();
    binance = h.exchange;
    okx = h.exchangeNamed('okx');
    bybit = h.exchangeNamed('bybit');
    await h.start({ GATEWAY_EXCHANGES: [binance, okx, bybit].join(','), GATEWAY_CONFLATE_MS: '0', GATEWAY_MOVERS_INTERVAL_MS: '100' });
    await h.writeTo(binance, state('BTCUSDT', TS, { priceText: '64000.10', change1m: 0.4 }), state('ETHUSDT', TS, { priceText: '3100.5', change1m: -0.2 }));
    await h.writeTo(okx, state('BTCUSDT', TS, { priceText: '64003.2', change1m: 0.7 }), state('SOLUSDT', TS, { priceText: '150.25', change1m: -1.5 }));
  });

  afterEach(async () => {
    await h.stop();
  });

  it('is ready, lists the exchanges, and counts zero messages for the empty one', async () => {
    // Act
    const ready = await get(`${h.httpUrl}/ready`);
    const exchanges = await get(`${h.httpUrl}/v1/exchanges`);
    const metrics = await get(`${h.httpUrl}/metrics`);

    // Assert
    expect(ready.status).toBe(200);
    expect(JSON.parse(exchanges.body)).toEqual({ exchanges: [binance, okx, bybit] });
    expect(exchanges.headers['content-type']).toBe('application/json');
    expect(metrics.body).toContain(`gateway_redis_messages_total{exchange="${bybit}"} 0`);
    expect(await h.metric('gateway_redis_messages_total', { exchange: okx })).toBeGreaterThan(0);
    expect(await h.metric('gateway_redis_errors_total')).toBe(0);
  });

  it('answers each exchange with its own snapshot, an empty one for the exchange without data, and no error', async () => {
    // Prepare
    const client = await h.client();

    // Act
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: binance, symbols: '*' });
    client.send({ op: 'subscribe', id: 2, channel: 'rates', exchange: okx, symbols: '*' });
    client.send({ op: 'subscribe', id: 3, channel: 'rates', exchange: bybit, symbols: '*' });
    await eventually(() => client.ofType('snapshot').length === 3, 'three snapshots');
    const byExchange = new Map(client.ofType('snapshot').map((m) => [m.exchange, m]));

    // Assert
    expect(symbolsOf(byExchange.get(binance)!)).toEqual(['BTCUSDT=64000.10', 'ETHUSDT=3100.5']);
    expect(symbolsOf(byExchange.get(okx)!)).toEqual(['BTCUSDT=64003.2', 'SOLUSDT=150.25']);
    expect(byExchange.get(bybit)).toEqual({ type: 'snapshot', channel: 'rates', exchange: bybit, rates: [] });
    expect(client.ofType('error')).toEqual([]);
    expect(await h.metric('gateway_bad_client_messages_total', { reason: 'unknown_exchange' })).toBe(0);
  });

  it('keeps the same pair apart per exchange: an update reaches only the subscribers of its exchange', async () => {
    // Prepare
    const onBinance = await h.client();
    const onOkx = await h.client();
    onBinance.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: binance, symbols: ['BTCUSDT'] });
    onOkx.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: okx, symbols: ['BTCUSDT'] });
    await onBinance.waitFor((m) => m.type === 'snapshot', 'the binance snapshot');
    await onOkx.waitFor((m) => m.type === 'snapshot', 'the okx snapshot');

    // Act
    await h.writeTo(okx, state('BTCUSDT', TS + 1000, { priceText: '64010' }));
    await onOkx.waitFor((m) => m.type === 'update', 'the okx update');
    await h.writeTo(binance, state('BTCUSDT', TS + 2000, { priceText: '63990.5' }));
    await onBinance.waitFor((m) => m.type === 'update', 'the binance update');

    // Assert
    expect(onOkx.ofType('update').map((m) => [m.exchange, ...symbolsOf(m)])).toEqual([[okx, 'BTCUSDT=64010']]);
    expect(onBinance.ofType('update').map((m) => [m.exchange, ...symbolsOf(m)])).toEqual([[binance, 'BTCUSDT=63990.5']]);
    expect(await h.redis.client.hget(`rates:${okx}:BTCUSDT`, 'price')).toBe('64010');
    expect(await h.redis.client.hget(`rates:${binance}:BTCUSDT`, 'price')).toBe('63990.5');
  });

  it('unsubscribing a pair on one exchange leaves the same pair on another streaming', async () => {
    // Prepare
    const client = await h.client();
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: binance, symbols: ['BTCUSDT'] });
    client.send({ op: 'subscribe', id: 2, channel: 'rates', exchange: okx, symbols: ['BTCUSDT'] });
    await eventually(() => client.ofType('snapshot').length === 2, 'two snapshots');

    // Act
    client.send({ op: 'unsubscribe', id: 3, channel: 'rates', exchange: binance, symbols: ['BTCUSDT'] });
    await client.waitFor((m) => m.type === 'unsubscribed', 'the unsubscribe answer');
    await h.writeTo(binance, state('BTCUSDT', TS + 1000, { priceText: '1' }));
    await h.writeTo(okx, state('BTCUSDT', TS + 1000, { priceText: '2' }));
    await client.waitFor((m) => m.type === 'update', 'the okx update');

    // Assert
    expect(client.ofType('update').map((m) => [m.exchange, ...symbolsOf(m)])).toEqual([[okx, 'BTCUSDT=2']]);
    expect(client.ofType('error')).toEqual([]);
  });

  it('answers movers from each exchange own rank sets, and empty movers for the exchange without data', async () => {
    // Prepare
    const client = await h.client();

    // Act
    for (const [id, exchange] of [binance, okx, bybit].entries()) client.send({ op: 'subscribe', id, channel: 'movers', exchange, window: '1m', limit: 5 });
    await eventually(() => new Set(client.ofType('movers').map((m) => m.exchange)).size === 3, 'movers of the three exchanges');
    const first = (exchange: string) => client.ofType('movers').find((m) => m.exchange === exchange);

    // Assert
    expect(first(binance)).toEqual({ type: 'movers', exchange: binance, window: '1m', gainers: [{ symbol: 'BTCUSDT', change: '0.4' }], losers: [{ symbol: 'ETHUSDT', change: '-0.2' }] });
    expect(first(okx)).toEqual({ type: 'movers', exchange: okx, window: '1m', gainers: [{ symbol: 'BTCUSDT', change: '0.7' }], losers: [{ symbol: 'SOLUSDT', change: '-1.5' }] });
    expect(first(bybit)).toEqual({ type: 'movers', exchange: bybit, window: '1m', gainers: [], losers: [] });
    expect(client.ofType('error')).toEqual([]);
  });

  it('charts a pair per exchange from that exchange prices, and none for the exchange without data', async () => {
    // Prepare
    const now = Math.floor(Date.now() / 1000) * 1000 - 3000;
    await h.writeTo(binance, state('ADAUSDT', now, { priceText: '0.45' }));
    await h.writeTo(okx, state('ADAUSDT', now, { priceText: '0.46' }));
    await eventually(() => h.gateway.charts.points(okx, 'ADAUSDT', Date.now()).length === 1 && h.gateway.charts.points(binance, 'ADAUSDT', Date.now()).length === 1, 'both charts recorded');
    const client = await h.client();

    // Act
    for (const [id, exchange] of [binance, okx, bybit].entries()) client.send({ op: 'subscribe', id, channel: 'chart', exchange, symbol: 'ADAUSDT' });
    await eventually(() => client.ofType('chart').length === 3, 'three charts');
    const chartOf = (exchange: string) => client.ofType('chart').find((m) => m.exchange === exchange)?.points;

    // Assert
    expect(chartOf(binance)).toEqual([[now, '0.45']]);
    expect(chartOf(okx)).toEqual([[now, '0.46']]);
    expect(chartOf(bybit)).toEqual([]);
  });

  it('refuses an exchange it does not serve, naming the ones it does', async () => {
    // Prepare
    const client = await h.client();

    // Act
    client.send({ op: 'subscribe', id: 9, channel: 'rates', exchange: 'kraken', symbols: '*' });
    const error = await client.waitFor((m) => m.type === 'error', 'the refusal');

    // Assert
    expect(error).toEqual({ type: 'error', id: 9, code: 'unknown_exchange', message: `exchange "kraken" is not served here; one of "${binance}", "${okx}", "${bybit}"` });
  });
});
