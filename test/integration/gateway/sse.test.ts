import { request, type IncomingMessage } from 'node:http';
import { eventually, GatewayHarness, get, state } from './harness';

const TS = 1_700_000_000_000;

/** An SSE stream read into { event, data } records. */
function openSse(url: string): Promise<{ events: { event: string; data: unknown }[]; res: IncomingMessage; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      const events: { event: string; data: unknown }[] = [];
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
      resolve({ events, res, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('stream gateway over SSE', () => {
  let h: GatewayHarness;

  afterEach(async () => {
    await h.stop();
  });

  it('sends event: snapshot then event: update, and movers by query', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_CONFLATE_MS: '0' });
    await h.write(state('BTCUSDT', TS, { change5m: 2 }), state('ETHUSDT', TS, { change5m: -3 }));

    // Act
    const stream = await openSse(`${h.httpUrl}/v1/stream/sse?channel=rates,movers&exchange=${h.exchange}&symbols=BTCUSDT,ETHUSDT&window=5m&limit=3`);
    await eventually(() => stream.events.some((e) => e.event === 'snapshot') && stream.events.some((e) => e.event === 'movers'), 'the snapshot and movers');
    await h.write(state('BTCUSDT', TS + 1000, { change5m: 2 }));
    await eventually(() => stream.events.some((e) => e.event === 'update'), 'an update');
    stream.close();

    // Assert
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);
    const rates = stream.events.filter((e) => e.event !== 'movers');
    expect(rates.map((e) => e.event)).toEqual(['snapshot', 'update']);
    expect(rates[0]!.data).toMatchObject({ type: 'snapshot', channel: 'rates', exchange: h.exchange, rates: [{ symbol: 'BTCUSDT' }, { symbol: 'ETHUSDT' }] });
    expect(rates[1]!.data).toMatchObject({ type: 'update', rates: [{ symbol: 'BTCUSDT', ts: String(TS + 1000) }] });
    expect(stream.events.find((e) => e.event === 'movers')!.data).toEqual({ type: 'movers', exchange: h.exchange, window: '5m', gainers: [{ symbol: 'BTCUSDT', change: '2' }], losers: [{ symbol: 'ETHUSDT', change: '-3' }] });
    await eventually(async () => (await h.metric('gateway_connections', { transport: 'sse' })) === 0, 'the SSE connection to close');
  });

  it('answers a bad query with 400 naming the problem', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start();

    // Act
    const answer = await get(`${h.httpUrl}/v1/stream/sse?channel=rates&exchange=${h.exchange}`);

    // Assert
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'bad_field', error: expect.stringContaining('"symbols"') });
  });
});
