import fs from 'node:fs';
import { createOkxAdapter } from '../../../services/collector/exchange/okx';
import { type SimulatorHandle, startSimulator } from '../../../services/simulator';
import { describeWithSharedData, sharedDataFile } from '../../support';
import { TestClient } from './client';
import { parseAll, tradesOf } from './frames';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const trim = (text: string) => text.replace(/\.?0+$/, '');

describe('okx simulator over real sockets', () => {
  let sim: SimulatorHandle;
  const clients: TestClient[] = [];
  const connect = async (path = '/ws/v5/public') => {
    const client = await new TestClient(`${sim.wsUrl}${path}`).open();
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    sim = await startSimulator({ exchange: 'okx', port: 0, symbols: 20, rate: 2000, seed: 11, historyMinutes: 13, logLevel: 'ERROR' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim.stop();
  });

  it('subscribes with the adapter protocol and streams trades it parses to the market model prices', async () => {
    // Prepare
    const adapter = createOkxAdapter({ rest: { baseUrl: sim.restUrl, maxRetries: 0 } });
    await adapter.rest.listSymbols();
    const streams = adapter.protocol.streamsForSymbol('BTCUSDT');
    const client = await new TestClient(adapter.protocol.connectionUrl(sim.wsUrl)).open();
    clients.push(client);
    // Act
    client.send(adapter.protocol.encodeSubscribe(streams, 7));
    await client.waitFor(() => tradesOf(parseAll(adapter.protocol, client.messages, streams)).length >= 30);
    await fetch(`${sim.restUrl}/_sim/pause?symbols=BTCUSDT`, { method: 'POST' });
    await sleep(50);
    const results = parseAll(adapter.protocol, client.messages, streams);
    const trades = tradesOf(results);
    const byLastFill = new Map(sim.market.aggTrades('BTCUSDT').map((t) => [t.l, t]));
    // Assert
    expect(streams).toEqual(['trades:BTC-USDT']);
    expect(results[0]).toEqual({ kind: 'reply', id: 7, streams: ['trades:BTC-USDT'], result: null });
    expect(results.filter((r) => r.kind === 'rejected')).toEqual([]);
    for (const trade of trades) {
      const model = byLastFill.get(trade.tradeId);
      expect(model).toBeDefined();
      expect(trade.priceText).toBe(trim(model!.p));
      expect(trade.quantityText).toBe(trim(model!.q));
      expect(trade.tradeTime).toBe(model!.T);
    }
    expect(trades.map((t) => t.tradeId)).toEqual([...trades.map((t) => t.tradeId)].sort((a, b) => a - b));
  });

  it('acknowledges per arg, refuses unknown instruments, channels and bad JSON with OKX codes, and answers ping', async () => {
    // Prepare
    const client = await connect();
    // Act
    client.send({ id: '1', op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }, { channel: 'trades', instId: 'NOPE-USDT' }] });
    client.send({ op: 'subscribe', args: [{ channel: 'candle1s', instId: 'BTC-USDT' }] });
    client.send('{not json');
    client.send({ op: 'login', args: [] });
    client.send('ping');
    client.send({ id: '2', op: 'unsubscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
    await client.waitFor(() => client.messages.some((m) => m.includes('"unsubscribe"')));
    const control = client.messages.filter((m) => !m.startsWith('{"arg"'));
    const connId = (JSON.parse(control[0]!) as { connId: string }).connId;
    // Assert
    expect(control.map((m) => (m === 'pong' ? m : JSON.parse(m)))).toEqual([
      { id: '1', event: 'subscribe', arg: { channel: 'trades', instId: 'BTC-USDT' }, connId },
      { id: '1', event: 'error', code: '60018', msg: "Wrong URL or channel:trades,instId:NOPE-USDT doesn't exist. Please use the correct URL, channel and parameters referring to API document.", connId },
      { event: 'error', code: '60018', msg: expect.stringContaining('channel:candle1s,instId:BTC-USDT'), connId },
      { event: 'error', code: '60012', msg: 'Invalid request: {not json', connId },
      { event: 'error', code: '60019', msg: 'Invalid op: op:login', connId },
      'pong',
      { id: '2', event: 'unsubscribe', arg: { channel: 'trades', instId: 'BTC-USDT' }, connId },
    ]);
    expect(connId).toMatch(/^[0-9a-f]{8}$/);
  });

  it('refuses the 481st subscribe request of a connection within the hour', async () => {
    // Prepare
    const client = await connect();
    // Act
    for (let i = 0; i < 481; i++) client.send({ op: 'unsubscribe', args: [{ channel: 'trades', instId: 'ETH-USDT' }] });
    await client.waitFor(() => client.messages.length >= 481);
    // Assert
    expect(client.json().filter((m) => m.event === 'unsubscribe')).toHaveLength(480);
    expect(client.json()[480]).toMatchObject({ event: 'error', code: '60014' });
  });

  it('refuses a fourth connection within a second from one IP with HTTP 429', async () => {
    // Prepare
    await Promise.all([connect(), connect(), connect()]);
    // Act
    const refused = await new TestClient(`${sim.wsUrl}/ws/v5/public`).open().then(
      () => undefined,
      (error: Error) => error.message,
    );
    const wrongPath = await new TestClient(`${sim.wsUrl}/ws/v5/business`).open().then(
      () => undefined,
      (error: Error) => error.message,
    );
    // Assert
    expect(refused).toContain('429');
    expect(wrongPath).toContain('404');
  });

  it('sends the 64008 notice the adapter reads as a shutdown, and a garbage burst it never parses as a trade', async () => {
    // Prepare
    const adapter = createOkxAdapter({ rest: { baseUrl: sim.restUrl, maxRetries: 0 } });
    await adapter.rest.listSymbols();
    const streams = adapter.protocol.streamsForSymbol('ETHUSDT');
    const client = await connect();
    client.send(adapter.protocol.encodeSubscribe(streams, 1));
    await client.waitFor(() => client.messages.length > 0);
    await fetch(`${sim.restUrl}/_sim/pause?symbols=ETHUSDT`, { method: 'POST' });
    await sleep(50);
    const before = client.messages.length;
    // Act
    await fetch(`${sim.restUrl}/_sim/garbage`, { method: 'POST' });
    await client.waitFor(() => client.messages.some((m) => m.length > 1_000_000));
    await fetch(`${sim.restUrl}/_sim/shutdown-notice?graceMs=100`, { method: 'POST' });
    await client.waitFor(() => client.closed !== undefined);
    const results = parseAll(adapter.protocol, client.messages.slice(before), streams);
    // Assert
    expect(results.slice(0, -1).every((r) => r.kind === 'rejected')).toBe(true);
    expect(results.length).toBe(15);
    expect(results[results.length - 1]).toMatchObject({ kind: 'shutdown' });
    expect(client.closed?.code).toBe(1001);
  });

  it('answers instruments, candles, history-trades and time parsed by the adapter REST client, and 50011 past the limit', async () => {
    // Prepare
    const adapter = createOkxAdapter({ rest: { baseUrl: sim.restUrl, maxRetries: 0, maxRateLimitRetries: 0 } });
    await fetch(`${sim.restUrl}/_sim/pause?symbols=BTCUSDT`, { method: 'POST' });
    const model = sim.market.aggTrades('BTCUSDT');
    const start = Math.floor(model[0]!.T / 60_000) * 60_000 + 120_000;
    const fromId = model[Math.floor(model.length / 2)]!.f;
    // Act
    const symbols = await adapter.rest.listSymbols();
    const klines = await adapter.rest.fetchKlines('BTCUSDT', start, 10);
    const trades = await adapter.rest.fetchTradesFrom('BTCUSDT', fromId, 100);
    const time = await adapter.rest.serverTime();
    const statuses: number[] = [];
    let last: unknown;
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${sim.restUrl}/api/v5/public/time`);
      statuses.push(response.status);
      last = await response.json();
    }
    // Assert
    expect(symbols).toHaveLength(20);
    expect(symbols[0]).toMatchObject({ symbol: 'BTCUSDT', nativeSymbol: 'BTC-USDT', tradable: true });
    expect(klines.map((k) => k.openTime)).toEqual(Array.from({ length: 10 }, (_, i) => start + i * 60_000));
    for (const kline of klines) {
      const inMinute = model.filter((t) => t.T >= kline.openTime && t.T < kline.openTime + 60_000);
      if (inMinute.length > 0) expect(kline.closeText).toBe(trim(inMinute[inMinute.length - 1]!.p));
    }
    expect(trades.map((t) => t.tradeId)).toEqual(Array.from({ length: 100 }, (_, i) => fromId + i));
    for (const trade of trades) {
      const aggregate = model.find((t) => t.f <= trade.tradeId && trade.tradeId <= t.l)!;
      expect(trade.priceText).toBe(trim(aggregate.p));
      expect(trade.tradeTime).toBe(aggregate.T);
    }
    expect(Math.abs(time - Date.now())).toBeLessThan(60_000);
    expect(statuses.slice(0, 9).every((s) => s === 200)).toBe(true);
    expect(statuses[11]).toBe(429);
    expect(last).toEqual({ msg: 'Too Many Requests', code: '50011' });
  });
});

describe('okx simulator keepalive', () => {
  it('cuts a connection with no traffic either way after the idle time with 4004, and keeps one that pings or receives pushes', async () => {
    // Prepare
    const sim = await startSimulator({ exchange: 'okx', port: 0, symbols: 2, rate: 400, historyMinutes: 0, idleTimeoutMs: 400, maxConnectsPerWindow: 10, logLevel: 'ERROR' });
    const silent = await new TestClient(`${sim.wsUrl}/ws/v5/public`).open();
    const pinging = await new TestClient(`${sim.wsUrl}/ws/v5/public`).open();
    const listening = await new TestClient(`${sim.wsUrl}/ws/v5/public`).open();
    listening.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
    const timer = setInterval(() => pinging.send('ping'), 100);
    // Act
    await silent.waitFor(() => silent.closed !== undefined);
    await sleep(300);
    clearInterval(timer);
    const pingingOpen = pinging.closed === undefined;
    const listeningOpen = listening.closed === undefined;
    await pinging.close();
    await listening.close();
    await sim.stop();
    // Assert
    expect(silent.closed?.code).toBe(4004);
    expect(pingingOpen).toBe(true);
    expect(listeningOpen).toBe(true);
    expect(pinging.messages.filter((m) => m === 'pong').length).toBeGreaterThan(3);
  });
});

describeWithSharedData('okx simulator with the real instruments file', () => {
  it('serves the real instruments, parsed by the adapter, and trades the live ones', async () => {
    // Prepare
    const file = sharedDataFile('okx-instruments-spot-2022-05-13.json');
    const real = JSON.parse(fs.readFileSync(file, 'utf8')) as { data: Array<Record<string, string>> };
    const sim = await startSimulator({ exchange: 'okx', port: 0, instrumentsFile: file, rate: 500, historyMinutes: 1, logLevel: 'ERROR' });
    const adapter = createOkxAdapter({ rest: { baseUrl: sim.restUrl, maxRetries: 0 } });
    // Act
    const symbols = await adapter.rest.listSymbols();
    const btc = (await (await fetch(`${sim.restUrl}/api/v5/public/instruments?instType=SPOT&instId=BTC-USDT`)).json()) as { data: unknown[] };
    const klines = await adapter.rest.fetchKlines('BTCUSDT', Math.floor(Date.now() / 60_000) * 60_000 - 60_000, 2);
    await sim.stop();
    // Assert
    expect(symbols).toHaveLength(real.data.length);
    expect(symbols.filter((s) => s.tradable)).toHaveLength(real.data.filter((r) => r.state === 'live').length);
    expect(symbols.find((s) => s.nativeSymbol === 'BTC-USDT')).toMatchObject({ symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' });
    expect(btc.data).toEqual([real.data.find((r) => r.instId === 'BTC-USDT')]);
    expect(klines.length).toBeGreaterThan(0);
  });
});
