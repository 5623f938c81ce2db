import { type SimulatorHandle, startSimulator } from '../../../services/simulator';
import { TestClient } from './client';

describe('binance simulator: listenKey paths and tickers', () => {
  let sim: SimulatorHandle;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    sim = await startSimulator({ port: 0, symbols: 30, rate: 1000, seed: 5, historyMinutes: 3, restWeightLimit: 100, logLevel: 'ERROR' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim.stop();
  });

  it('accepts /ws/<token> that is not a stream and waits for SUBSCRIBE', async () => {
    // Prepare
    const client = await new TestClient(`${sim.wsUrl}/ws/pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1`).open();
    clients.push(client);
    // Act
    client.send({ method: 'LIST_SUBSCRIPTIONS', id: 1 });
    client.send({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade'], id: 2 });
    await client.waitFor(() => client.json().some((m) => m.e === 'aggTrade'));
    // Assert
    expect(client.json().slice(0, 2)).toEqual([{ result: [], id: 1 }, { result: null, id: 2 }]);
  });

  it('answers ticker/24hr and ticker/price for one, some and all symbols with their weights', async () => {
    // Prepare: a paused symbol holds still between the request and the check
    await fetch(`${sim.restUrl}/_sim/pause?symbols=BTCUSDT`, { method: 'POST' });
    // Act
    const one = await fetch(`${sim.restUrl}/api/v3/ticker/24hr?symbol=BTCUSDT`);
    const oneBody = (await one.json()) as Record<string, unknown>;
    const some = (await (await fetch(`${sim.restUrl}/api/v3/ticker/price?symbols=${encodeURIComponent('["BTCUSDT","ETHUSDT"]')}`)).json()) as Array<{ symbol: string; price: string }>;
    const all = await fetch(`${sim.restUrl}/api/v3/ticker/24hr`);
    const allBody = (await all.json()) as unknown[];
    const bad = await fetch(`${sim.restUrl}/api/v3/ticker/price?symbol=NOPEUSDT`);
    // Assert
    expect(one.headers.get('x-mbx-used-weight-1m')).toBe('2');
    expect(oneBody).toMatchObject({ symbol: 'BTCUSDT', lastPrice: sim.market.lastTrade('BTCUSDT')?.p, count: expect.any(Number) });
    expect(Number(oneBody.count)).toBeGreaterThan(0);
    expect(some.map((r) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(some[0]?.price).toMatch(/^\d+\.\d{8}$/);
    expect(all.headers.get('x-mbx-used-weight-1m')).toBe(String(2 + 4 + 80));
    expect(allBody).toHaveLength(30);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
  });
});
