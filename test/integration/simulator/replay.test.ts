import fs from 'node:fs';
import type { ExchangeStreamProtocol } from '../../../services/collector/exchange';
import { createBinanceAdapter } from '../../../services/collector/exchange/binance';
import { createBybitAdapter } from '../../../services/collector/exchange/bybit';
import { createOkxAdapter } from '../../../services/collector/exchange/okx';
import { type ExchangeId, startSimulator } from '../../../services/simulator';
import { describeWithSharedData, sharedDataFile } from '../../support';
import { TestClient } from './client';
import { parseAll, tradesOf } from './frames';

interface Row {
  price: number;
  quantity: number;
  time: number;
}

/** Each exchange's adapter, with the simulator as its base URLs. */
async function adapterFor(exchange: ExchangeId, restUrl: string): Promise<ExchangeStreamProtocol> {
  if (exchange === 'binance') return createBinanceAdapter({ rest: { baseUrl: restUrl } }).protocol;
  if (exchange === 'bybit') return createBybitAdapter({ rest: { baseUrl: restUrl } }).protocol;
  const okx = createOkxAdapter({ rest: { baseUrl: restUrl, maxRetries: 0 } });
  await okx.rest.listSymbols();
  return okx.protocol;
}

async function replayThrough(exchange: ExchangeId, file: string, symbol: string, expected: number): Promise<{ rows: Row[]; ids: string[] }> {
  const sim = await startSimulator({ exchange, port: 0, replayFile: file, speed: 5000, logLevel: 'ERROR' });
  const protocol = await adapterFor(exchange, sim.restUrl);
  const streams = protocol.streamsForSymbol(symbol);
  const client = await new TestClient(protocol.connectionUrl(sim.wsUrl)).open();
  client.send(protocol.encodeSubscribe(streams, 1));
  await client.waitFor(() => sim.stats().replay?.position === sim.stats().replay?.total, 20_000);
  await client.waitFor(() => tradesOf(parseAll(protocol, client.messages, streams)).length >= expected, 10_000);
  await client.close();
  await sim.stop();
  const results = parseAll(protocol, client.messages, streams);
  expect(results.filter((r) => r.kind === 'rejected')).toEqual([]);
  const trades = tradesOf(results);
  return { rows: trades.map((t) => ({ price: Number(t.priceText), quantity: Number(t.quantityText), time: t.tradeTime })), ids: trades.map((t) => t.tradeIdText ?? String(t.tradeId)) };
}

describeWithSharedData('replay of recorded trades through every exchange', () => {
  const file = sharedDataFile('btcusdt-aggtrades-2020-02-22.jsonl');
  const recorded = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { data: { p: string; q: string; T: number } }).data);
  const expected: Row[] = recorded.map((d) => ({ price: Number(d.p), quantity: Number(d.q), time: d.T }));

  it.each(['binance', 'okx', 'bybit'] as const)('%s: the adapter parses the file back to the same (price, quantity, trade time) sequence, ids increasing', async (exchange) => {
    // Act
    const { rows, ids } = await replayThrough(exchange, file, 'BTCUSDT', expected.length);
    // Assert
    expect(rows).toEqual(expected);
    const numeric = ids.map((id) => BigInt(id));
    expect(numeric.every((id, i) => i === 0 || id > (numeric[i - 1] as bigint))).toBe(true);
  });

  it('okx: replays an OKX capture keeping the trades pushes of the spot pair, ids and times', async () => {
    // Prepare
    const capture = sharedDataFile('okx-ws-capture-2022-05-13.txt');
    const pushes = fs
      .readFileSync(capture, 'utf8')
      .split('\n')
      .map((line) => line.slice(line.indexOf(': ') + 2))
      .filter((json) => json.startsWith('{"arg":{"channel":"trades","instId":"BTC-USDT"}'))
      .flatMap((json) => (JSON.parse(json) as { data: Array<{ px: string; sz: string; ts: string; tradeId: string }> }).data);
    // Act
    const { rows, ids } = await replayThrough('okx', capture, 'BTCUSDT', pushes.length);
    // Assert
    expect(pushes.length).toBeGreaterThan(10);
    expect(rows).toEqual(pushes.map((p) => ({ price: Number(p.px), quantity: Number(p.sz), time: Number(p.ts) })));
    expect(ids).toEqual(pushes.map((p) => p.tradeId));
  });

  it('refuses an OKX capture for another exchange, naming the fix', async () => {
    // Act
    const started = startSimulator({ exchange: 'bybit', port: 0, replayFile: sharedDataFile('okx-ws-capture-2022-05-13.txt'), logLevel: 'ERROR' });
    // Assert
    await expect(started).rejects.toThrow('replay it with exchange okx');
  });
});
