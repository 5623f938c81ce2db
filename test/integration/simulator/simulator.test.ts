import fs from 'node:fs';
import path from 'node:path';
import { type SimulatorHandle, startSimulator } from '../../../services/simulator';
import { SHARED_DATA_DIR, describeWithSharedData } from '../../support';
import { TestClient } from './client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('simulator over real sockets', () => {
  let sim: SimulatorHandle;
  const clients: TestClient[] = [];
  const connect = async (pathAndQuery: string, options?: { autoPong?: boolean }) => {
    const client = await new TestClient(`${sim.wsUrl}${pathAndQuery}`, options).open();
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    sim = await startSimulator({ port: 0, symbols: 20, rate: 2000, seed: 3, historyMinutes: 17, restWeightLimit: 100, logLevel: 'ERROR' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim.stop();
  });

  it('subscribes, lists and unsubscribes with Binance responses and errors', async () => {
    // Prepare
    const client = await connect('/ws');
    // Act
    client.send({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'ethusdt@trade'], id: 1 });
    client.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    client.send({ method: 'UNSUBSCRIBE', params: ['ethusdt@trade'], id: 3 });
    client.send('{not json');
    await sleep(1100);
    client.send({ method: 'FOO', params: [], id: 4 });
    client.send({ method: 'SUBSCRIBE', params: ['@@bad##'], id: 5 });
    await client.waitFor(() => client.json().some((m) => m.id === 5));
    // Assert
    const replies = client.json().filter((m) => 'id' in m || 'error' in m);
    expect(replies).toEqual([
      { result: null, id: 1 },
      { result: ['btcusdt@aggTrade', 'ethusdt@trade'], id: 2 },
      { result: null, id: 3 },
      { error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 2' } },
      expect.objectContaining({ error: expect.objectContaining({ code: 2 }), id: 4 }),
      { error: { code: 2, msg: 'Invalid request: invalid stream' }, id: 5 },
    ]);
    expect(client.json().some((m) => m.e === 'aggTrade' && m.s === 'BTCUSDT')).toBe(true);
  });

  it('streams combined events with consecutive aggTrade ids that REST returns identically', async () => {
    // Prepare
    const client = await connect('/stream?streams=btcusdt@aggTrade');
    await client.waitFor(() => client.messages.length >= 20);
    // Act
    const events = client.json().map((m) => m.data as Record<string, number | string>);
    const first = events[0]!;
    const rest = (await (await fetch(`${sim.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&fromId=${first.a}&limit=20`)).json()) as Array<Record<string, unknown>>;
    // Assert
    events.slice(1, 20).forEach((e, i) => expect(e.a).toBe(Number(first.a) + i + 1));
    expect(rest.slice(0, 20)).toEqual(events.slice(0, 20).map((e) => ({ a: e.a, p: e.p, q: e.q, f: e.f, l: e.l, T: e.T, m: e.m, M: true })));
  });

  it('answers klines 16 minutes back at once, aggregating the stored trades', async () => {
    // Act
    const klines = (await (await fetch(`${sim.restUrl}/api/v3/klines?symbol=ETHUSDT&interval=1m&limit=16`)).json()) as unknown[][];
    const closed = klines[klines.length - 2]!;
    const trades = sim.market.aggTrades('ETHUSDT').filter((t) => t.T >= Number(closed[0]) && t.T <= Number(closed[6]));
    // Assert
    expect(klines).toHaveLength(16);
    expect(closed[4]).toBe(trades[trades.length - 1]!.p);
    expect(closed[1]).toBe(trades[0]!.p);
    expect(closed[8]).toBe(trades.reduce((n, t) => n + t.l - t.f + 1, 0));
  });

  it('enforces request weight with 429, Retry-After and -1003, and rejects unknown symbols with -1121', async () => {
    // Act
    const invalid = await fetch(`${sim.restUrl}/api/v3/klines?symbol=NOPEUSDT&interval=1m`);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 30; i++) {
      last = await fetch(`${sim.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&limit=1`);
      statuses.push(last.status);
      await last.text();
    }
    // Assert
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    expect(statuses.slice(0, 24).every((s) => s === 200)).toBe(true);
    expect(statuses[29]).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(last!.headers.get('x-mbx-used-weight-1m'))).toBeGreaterThan(100);
  });

  it('disconnects a connection sending more than 5 messages a second', async () => {
    // Prepare
    const client = await connect('/ws');
    // Act
    for (let i = 0; i < 7; i++) client.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    await client.waitFor(() => client.closed !== undefined);
    // Assert
    expect(client.closed?.code).toBe(1008);
    expect(sim.stats().disconnects['too-many-messages']).toBe(1);
  });

  it('disconnects a connection asking for more than 1024 streams', async () => {
    // Prepare
    const client = await connect('/ws');
    const streams = Array.from({ length: 1025 }, (_, i) => `sym${i}usdt@aggTrade`);
    // Act
    client.send({ method: 'SUBSCRIBE', params: streams, id: 1 });
    await client.waitFor(() => client.closed !== undefined);
    // Assert
    expect(client.closed?.code).toBe(1008);
  });

  it('delivers the fault endpoints: pause, resume, garbage, stall, rest-fail, drop', async () => {
    // Prepare
    const client = await connect('/stream?streams=btcusdt@aggTrade');
    const post = async (action: string) => (await fetch(`${sim.restUrl}/_sim/${action}`, { method: 'POST' })).json();
    // Act: pause stops BTCUSDT while others trade
    await post('pause?symbols=BTCUSDT');
    const pausedAt = sim.market.lastTrade('BTCUSDT')?.a;
    await sleep(300);
    const stillPaused = sim.market.lastTrade('BTCUSDT')?.a;
    await post('resume');
    // Act: garbage burst
    const before = client.messages.length;
    await post('garbage');
    await client.waitFor(() => client.messages.some((m) => m.length > 1_000_000));
    // Act: rest-fail
    await post('rest-fail?status=503&seconds=5');
    const failed = await fetch(`${sim.restUrl}/api/v3/time`);
    // Act: stall then drop
    await post('stall');
    await sleep(50);
    const stalledCount = client.messages.length;
    client.ping();
    await sleep(300);
    const healthy = await connect('/stream?streams=btcusdt@aggTrade');
    await healthy.waitFor(() => healthy.messages.length > 0);
    healthy.ping();
    await healthy.waitFor(() => healthy.pongs > 0);
    const dropped = await post('drop');
    await healthy.waitFor(() => healthy.closed !== undefined);
    // Assert
    expect(stillPaused).toBe(pausedAt);
    expect(client.messages.length).toBeGreaterThan(before);
    expect(client.messages.some((m) => m.includes('"-1.00000000"'))).toBe(true);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(client.messages.length).toBe(stalledCount);
    expect(client.pongs).toBe(0);
    expect(dropped).toEqual({ dropped: 1 });
    expect(healthy.closed?.code).toBe(1006);
  });

  it('sends serverShutdown then closes on shutdown-notice', async () => {
    // Prepare
    const client = await connect('/stream?streams=btcusdt@aggTrade');
    // Act
    await fetch(`${sim.restUrl}/_sim/shutdown-notice?graceMs=200`, { method: 'POST' });
    await client.waitFor(() => client.closed !== undefined);
    // Assert
    expect(client.json().find((m) => m.stream === '!serverShutdown')).toEqual({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: expect.any(Number) } });
  });
});

describe('simulator connection lifetime', () => {
  it('pings, disconnects without pong, and announces the age cut with serverShutdown', async () => {
    // Prepare: pings 4 times a second, because pongs count towards the 5 messages/s limit
    const sim = await startSimulator({ port: 0, symbols: 5, rate: 100, historyMinutes: 0, pingIntervalMs: 250, pongTimeoutMs: 600, maxConnectionAgeMs: 1500, shutdownNoticeMs: 500, logLevel: 'ERROR' });
    const silent = await new TestClient(`${sim.wsUrl}/ws/btcusdt@aggTrade`, { autoPong: false }).open();
    const polite = await new TestClient(`${sim.wsUrl}/ws/btcusdt@aggTrade`).open();
    // Act
    await silent.waitFor(() => silent.closed !== undefined);
    await polite.waitFor(() => polite.closed !== undefined);
    await sim.stop();
    // Assert
    expect(silent.closed?.code).toBe(1006);
    expect(polite.json().filter((m) => m.e === 'serverShutdown')).toHaveLength(1);
    expect(polite.closed?.code).toBe(1000);
  });
});

describeWithSharedData('simulator against real Binance data', () => {
  it('replays a recording keeping E and ids, and answers REST from the replay', async () => {
    // Prepare
    const file = path.join(SHARED_DATA_DIR, 'btcusdt-aggtrades-2020-02-22.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    const sim = await startSimulator({ port: 0, replayFile: file, speed: 200, logLevel: 'ERROR' });
    const client = await new TestClient(`${sim.wsUrl}/stream?streams=btcusdt@aggTrade`).open();
    // Act
    await client.waitFor(() => client.messages.length >= 50);
    const time = (await (await fetch(`${sim.restUrl}/api/v3/time`)).json()) as { serverTime: number };
    const rest = (await (await fetch(`${sim.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&limit=5&fromId=42377944`)).json()) as Array<{ a: number; T: number }>;
    await client.close();
    await sim.stop();
    // Assert
    expect(client.messages.slice(0, 50)).toEqual(lines.slice(0, 50));
    expect(time.serverTime).toBeGreaterThanOrEqual(1582329602111);
    expect(time.serverTime).toBeLessThan(1582329602111 + 3_600_000);
    expect(rest[0]).toMatchObject({ a: 42377944, T: 1582329602111 });
  });

  it('produces the same keys and value types as the real capture for aggTrade and kline_1m', async () => {
    // Prepare
    const capture = fs.readFileSync(path.join(SHARED_DATA_DIR, 'binance-spot-ws-capture-2021-10-12.txt'), 'utf8').split('\n').slice(1);
    const shapeOf = (value: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v !== null && typeof v === 'object' ? shapeOf(v as Record<string, unknown>) : typeof v]));
    const real = new Map<string, Record<string, unknown>>();
    for (const line of capture) {
      const json = line.slice(line.indexOf(': ') + 2);
      if (!json.startsWith('{')) continue;
      const message = JSON.parse(json) as { stream: string; data: Record<string, unknown> };
      real.set(message.stream.split('@').slice(1).join('@'), shapeOf(message.data));
    }
    const sim = await startSimulator({ port: 0, symbols: 3, rate: 500, historyMinutes: 0, exchangeInfoFile: path.join(SHARED_DATA_DIR, 'binance-exchangeinfo-2021-10-12.json'), logLevel: 'ERROR' });
    const hot = sim.market.symbols.find((s) => s === 'ETHBTC')!.toLowerCase();
    const client = await new TestClient(`${sim.wsUrl}/stream?streams=${hot}@aggTrade/${hot}@kline_1m`).open();
    // Act
    await client.waitFor(() => client.json().some((m) => String(m.stream).endsWith('kline_1m')), 5000);
    const ours = new Map(client.json().map((m) => [String(m.stream).split('@')[1], shapeOf(m.data as Record<string, unknown>)]));
    await client.close();
    await sim.stop();
    // Assert
    for (const kind of ['aggTrade', 'kline_1m']) expect(ours.get(kind)).toEqual(real.get(kind));
  });
});
