import { ExchangeRestError } from '../../../services/collector/exchange/rest-call';
import { createBybitAdapter } from '../../../services/collector/exchange/bybit';
import { type SimulatorHandle, startSimulator } from '../../../services/simulator';
import { bybitTradeId } from '../../../services/simulator/exchanges/bybit';
import { TestClient } from './client';
import { parseAll, tradesOf } from './frames';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const trim = (text: string) => text.replace(/\.?0+$/, '');

describe('bybit simulator over real sockets', () => {
  let sim: SimulatorHandle;
  const clients: TestClient[] = [];
  const connect = async (path = '/v5/public/spot') => {
    const client = await new TestClient(`${sim.wsUrl}${path}`).open();
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    sim = await startSimulator({ exchange: 'bybit', port: 0, symbols: 20, rate: 2000, seed: 13, historyMinutes: 13, logLevel: 'ERROR' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim.stop();
  });

  it('subscribes with the adapter protocol and streams executions it parses to the market model prices', async () => {
    // Prepare
    const adapter = createBybitAdapter({ rest: { baseUrl: sim.restUrl, maxRetries: 0 } });
    await adapter.rest.listSymbols();
    const streams = adapter.protocol.streamsForSymbol('BTCUSDT');
    const client = await new TestClient(adapter.protocol.connectionUrl(sim.wsUrl)).open();
    clients.push(client);
    // Act
    client.send(adapter.protocol.encodeSubscribe(streams, 3));
    await client.waitFor(() => tradesOf(parseAll(adapter.protocol, client.messages, streams)).length >= 30);
    await fetch(`${sim.restUrl}/_sim/pause?symbols=BTCUSDT`, { method: 'POST' });
    await sleep(50);
    const results = parseAll(adapter.protocol, client.messages, streams);
    const trades = tradesOf(results);
    const fills = new Map(sim.market.aggTrades('BTCUSDT').flatMap((t) => Array.from({ length: t.l - t.f + 1 }, (_, i) => [bybitTradeId(t.f + i), t] as const)));
    // Assert
    expect(streams).toEqual(['publicTrade.BTCUSDT']);
    expect(results[0]).toEqual({ kind: 'reply', id: 3, result: null });
    expect(results.filter((r) => r.kind === 'rejected')).toEqual([]);
    for (const trade of trades) {
      const model = fills.get(trade.tradeIdText ?? '');
      expect(model).toBeDefined();
      expect(trade.priceText).toBe(trim(model!.p));
      expect(trade.tradeTime).toBe(model!.T);
      expect(trade.eventTime).toBeGreaterThanOrEqual(trade.tradeTime);
    }
    expect(trades.map((t) => t.tradeIdText)).toEqual([...trades.map((t) => t.tradeIdText)].sort());
  });

  it('answers subscribe, ping, more than 10 args, unknown and repeated topics as Bybit does', async () => {
    // Prepare
    const client = await connect();
    const eleven = Array.from({ length: 11 }, (_, i) => `publicTrade.${['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'DOTUSDT', 'AVAXUSDT', 'LINKUSDT', 'LTCUSDT'][i]}`);
    // Act
    client.send({ req_id: '1', op: 'subscribe', args: ['publicTrade.ETHUSDT'] });
    client.send({ req_id: '2', op: 'ping' });
    client.send({ req_id: '3', op: 'subscribe', args: eleven });
    client.send({ req_id: '4', op: 'subscribe', args: ['publicTrade.FOOUSDT'] });
    client.send({ req_id: '5', op: 'subscribe', args: ['publicTrade.ETHUSDT'] });
    client.send({ req_id: '6', op: 'unsubscribe', args: ['publicTrade.ETHUSDT'] });
    await client.waitFor(() => client.json().some((m) => m.req_id === '6'));
    const replies = client.json().filter((m) => 'op' in m);
    const connId = replies[0]!.conn_id as string;
    // Assert
    expect(replies).toEqual([
      { success: true, ret_msg: '', conn_id: connId, req_id: '1', op: 'subscribe' },
      { success: true, ret_msg: 'pong', conn_id: connId, req_id: '2', op: 'ping' },
      { success: false, ret_msg: 'args size >10', conn_id: connId, req_id: '3', op: 'subscribe' },
      { success: false, ret_msg: 'error:handler not found,topic:publicTrade.FOOUSDT', conn_id: connId, req_id: '4', op: 'subscribe' },
      { success: false, ret_msg: 'error:already subscribed,topic:publicTrade.ETHUSDT', conn_id: connId, req_id: '5', op: 'subscribe' },
      { success: true, ret_msg: '', conn_id: connId, req_id: '6', op: 'unsubscribe' },
    ]);
    expect(connId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends a garbage burst the adapter never parses as a trade, and no shutdown notice before closing', async () => {
    // Prepare
    const adapter = createBybitAdapter();
    const streams = adapter.protocol.streamsForSymbol('ETHUSDT');
    const client = await connect();
    client.send(adapter.protocol.encodeSubscribe(streams, 1));
    await client.waitFor(() => client.messages.length > 1);
    await fetch(`${sim.restUrl}/_sim/pause?symbols=ETHUSDT`, { method: 'POST' });
    await sleep(50);
    const before = client.messages.length;
    // Act
    await fetch(`${sim.restUrl}/_sim/garbage`, { method: 'POST' });
    await client.waitFor(() => client.messages.some((m) => m.length > 1_000_000));
    await fetch(`${sim.restUrl}/_sim/shutdown-notice?graceMs=50`, { method: 'POST' });
    await client.waitFor(() => client.closed !== undefined);
    const results = parseAll(adapter.protocol, client.messages.slice(before), streams);
    // Assert
    expect(results).toHaveLength(14);
    expect(results.every((r) => r.kind === 'rejected')).toBe(true);
    expect(client.closed?.code).toBe(1001);
  });

  it('answers instruments-info, kline, recent-trade and time parsed by the adapter REST client', async () => {
    // Prepare
    const adapter = createBybitAdapter({ rest: { baseUrl: sim.restUrl, maxRetries: 0 } });
    await fetch(`${sim.restUrl}/_sim/pause?symbols=BTCUSDT`, { method: 'POST' });
    const model = sim.market.aggTrades('BTCUSDT');
    const start = Math.floor(model[0]!.T / 60_000) * 60_000 + 120_000;
    // Act
    const symbols = await adapter.rest.listSymbols();
    const klines = await adapter.rest.fetchKlines('BTCUSDT', start, 10);
    const recent = await adapter.rest.fetchRecentTrades('BTCUSDT', 60);
    const time = await adapter.rest.serverTime();
    const page = (await (await fetch(`${sim.restUrl}/v5/market/instruments-info?category=spot&limit=8`)).json()) as { result: { list: unknown[]; nextPageCursor: string } };
    const bad = (await (await fetch(`${sim.restUrl}/v5/market/kline?category=spot&symbol=NOPEUSDT&interval=1`)).json()) as Record<string, unknown>;
    // Assert
    expect(symbols).toHaveLength(20);
    expect(symbols[0]).toMatchObject({ symbol: 'BTCUSDT', nativeSymbol: 'BTCUSDT', tradable: true });
    expect(klines.map((k) => k.openTime)).toEqual(Array.from({ length: 10 }, (_, i) => start + i * 60_000));
    for (const kline of klines) {
      const inMinute = model.filter((t) => t.T >= kline.openTime && t.T < kline.openTime + 60_000);
      if (inMinute.length > 0) expect(kline.closeText).toBe(trim(inMinute[inMinute.length - 1]!.p));
    }
    expect(recent).toHaveLength(60);
    const newest = model[model.length - 1]!;
    expect(recent[recent.length - 1]).toMatchObject({ tradeIdText: bybitTradeId(newest.l), priceText: trim(newest.p), tradeTime: newest.T });
    expect(Math.abs(time - Date.now())).toBeLessThan(60_000);
    expect(page.result.list).toHaveLength(8);
    expect(page.result.nextPageCursor).not.toBe('');
    expect(bad).toMatchObject({ retCode: 10001, retMsg: 'Not supported symbols' });
  });

  it('pages instruments-info by cursor for a universe larger than a page', async () => {
    // Prepare
    const big = await startSimulator({ exchange: 'bybit', port: 0, symbols: 1300, rate: 100, historyMinutes: 0, logLevel: 'ERROR' });
    const adapter = createBybitAdapter({ rest: { baseUrl: big.restUrl, maxRetries: 0 } });
    // Act
    const symbols = await adapter.rest.listSymbols();
    await big.stop();
    // Assert
    expect(symbols).toHaveLength(1300);
    expect(new Set(symbols.map((s) => s.symbol)).size).toBe(1300);
  });

  it('refuses the IP with HTTP 403 past 600 requests in 5 s, which the adapter reads as an IP ban', async () => {
    // Prepare
    const adapter = createBybitAdapter({ rest: { baseUrl: sim.restUrl, maxRetries: 0 } });
    const statuses: number[] = [];
    // Act
    for (let i = 0; i < 601; i++) {
      const response = await fetch(`${sim.restUrl}/v5/market/time`);
      statuses.push(response.status);
      await response.text();
    }
    const error = await adapter.rest.serverTime().catch((e: unknown) => e);
    // Assert
    expect(statuses.slice(0, 600).every((s) => s === 200)).toBe(true);
    expect(statuses[600]).toBe(403);
    expect(error).toBeInstanceOf(ExchangeRestError);
    expect((error as ExchangeRestError).code).toBe('REST_IP_BANNED');
  });
});

describe('bybit simulator keepalive', () => {
  it('cuts a connection that sends nothing for the idle time, even while it receives pushes, and keeps one that pings', async () => {
    // Prepare
    const sim = await startSimulator({ exchange: 'bybit', port: 0, symbols: 2, rate: 400, historyMinutes: 0, idleTimeoutMs: 400, logLevel: 'ERROR' });
    const listening = await new TestClient(`${sim.wsUrl}/v5/public/spot`).open();
    const pinging = await new TestClient(`${sim.wsUrl}/v5/public/spot`).open();
    listening.send({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    const timer = setInterval(() => pinging.send({ op: 'ping' }), 100);
    // Act
    await listening.waitFor(() => listening.closed !== undefined);
    await sleep(300);
    clearInterval(timer);
    const pingingOpen = pinging.closed === undefined;
    await pinging.close();
    await sim.stop();
    // Assert
    expect(listening.json().some((m) => m.topic === 'publicTrade.BTCUSDT')).toBe(true);
    expect(listening.closed?.code).toBe(1006);
    expect(pingingOpen).toBe(true);
    expect(pinging.json().filter((m) => m.ret_msg === 'pong').length).toBeGreaterThan(3);
  });
});
