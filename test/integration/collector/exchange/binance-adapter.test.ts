import WebSocket from 'ws';
import { BinanceRestError, createBinanceAdapter } from '../../../../services/collector/exchange';
import type { Trade } from '../../../../services/collector/domain';
import { CollectorMetrics } from '../../../../services/collector/metrics';
import { type SimulatorHandle, startSimulator } from '../../../../services/simulator';

describe('Binance adapter against the simulator', () => {
  let simulator: SimulatorHandle;

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0, symbols: 20, rate: 200, seed: 1 });
  });

  afterAll(async () => {
    await simulator.stop();
  });

  /** Opens the protocol's empty combined connection, subscribes one symbol, returns its first live trades. */
  async function liveTrades(symbol: string, count: number): Promise<{ trades: Trade[]; replies: unknown[] }> {
    const { protocol } = createBinanceAdapter();
    const streams = new Set(protocol.streamsForSymbol(symbol));
    const socket = new WebSocket(protocol.connectionUrl(simulator.wsUrl));
    const trades: Trade[] = [];
    const replies: unknown[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.on('message', (data) => {
          const result = protocol.parseFrame(data.toString(), { receivedAt: Date.now(), receivedAtMono: performance.now(), exchangeNow: Date.now(), maxClockDistanceMs: 60_000, clockSynchronized: true, isKnownStream: (s) => streams.has(s) });
          if (result.kind === 'reply') replies.push(result);
          if (result.kind === 'trade') trades.push(result.trade);
          if (result.kind === 'rejected') reject(new Error(`rejected ${result.reason}: ${result.detail}`));
          if (trades.length >= count) resolve();
        });
        socket.once('open', () => socket.send(protocol.encodeSubscribe([...streams], 1)));
      });
    } finally {
      socket.close();
    }
    return { trades, replies };
  }

  it('subscribes on an empty /stream connection and fetches the same trades over REST, prices identical', async () => {
    // Prepare
    const { rest } = createBinanceAdapter({ rest: { baseUrl: simulator.restUrl } });
    const symbol = simulator.market.symbols[0] as string;
    const { trades, replies } = await liveTrades(symbol, 3);
    const first = trades[0] as Trade;
    // Act
    const fetched = await rest.fetchTradesFrom(symbol, first.tradeId, 3);
    // Assert
    expect(replies).toEqual([{ kind: 'reply', id: 1, result: null }]);
    expect(fetched.map((t) => [t.tradeId, t.priceText, t.quantityText, t.tradeTime, t.source])).toEqual(trades.slice(0, 3).map((t) => [t.tradeId, t.priceText, t.quantityText, t.tradeTime, 'backfill']));
  });

  it('lists every symbol from exchangeInfo and reads the server time', async () => {
    // Prepare
    const { rest } = createBinanceAdapter({ rest: { baseUrl: simulator.restUrl } });
    // Act
    const symbols = await rest.listSymbols();
    const time = await rest.serverTime();
    // Assert
    expect(symbols.map((s) => s.symbol)).toEqual(simulator.market.symbols);
    expect(symbols.every((s) => s.status === 'TRADING' && s.baseAsset !== '' && s.quoteAsset !== '')).toBe(true);
    expect(Math.abs(time - Date.now())).toBeLessThan(5_000);
  });

  it('fetches 1m klines in order from a start time', async () => {
    // Prepare
    const { rest } = createBinanceAdapter({ rest: { baseUrl: simulator.restUrl } });
    const symbol = simulator.market.symbols[1] as string;
    const start = Date.now() - 10 * 60_000;
    // Act
    const klines = await rest.fetchKlines(symbol, start, 5);
    // Assert
    expect(klines).toHaveLength(5);
    expect(klines.every((k, i) => k.openTime >= start && k.closeTime === k.openTime + 59_999 && (i === 0 || k.openTime === klines[i - 1]!.openTime + 60_000))).toBe(true);
    expect(klines.every((k) => k.close === Number(k.closeText) && k.close > 0)).toBe(true);
  });

  it('reports an unknown symbol with Binance code -1121 without retrying', async () => {
    // Prepare
    const metrics = new CollectorMetrics({ collectDefaults: false });
    const { rest } = createBinanceAdapter({ rest: { baseUrl: simulator.restUrl, metrics } });
    // Act
    const result = rest.fetchTradesFrom('NOSUCHPAIR', 1, 10);
    // Assert
    await expect(result).rejects.toBeInstanceOf(BinanceRestError);
    await expect(result).rejects.toMatchObject({ code: 'REST_REJECTED', status: 400, exchangeCode: -1121 });
    expect((await metrics.restRequests.get()).values).toEqual([expect.objectContaining({ labels: { endpoint: '/api/v3/aggTrades', status: '400' }, value: 1 })]);
  });

  it('honours Retry-After on 429: pauses, then succeeds, and records the used weight', async () => {
    // Prepare
    const metrics = new CollectorMetrics({ collectDefaults: false });
    const { rest, budget } = createBinanceAdapter({ rest: { baseUrl: simulator.restUrl, metrics } });
    const response = await fetch(`${simulator.restUrl}/_sim/rest-fail?status=429&seconds=1`, { method: 'POST' });
    expect(response.ok).toBe(true);
    const started = Date.now();
    // Act
    const time = await rest.serverTime();
    const elapsed = Date.now() - started;
    // Assert
    expect(time).toBeGreaterThan(0);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    const statuses = (await metrics.restRequests.get()).values.map((v) => [v.labels.status, v.value]);
    expect(statuses).toEqual(expect.arrayContaining([['429', 1], ['200', 1]]));
    expect((await metrics.restWeightUsed.get()).values[0]?.value).toBeGreaterThan(0);
    expect(budget.state().pausedUntil).toBe(0);
  });
});
