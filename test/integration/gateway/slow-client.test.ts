import type { Socket } from 'node:net';
import { eventually, GatewayHarness, type TestClient } from './harness';

const TS = 1_700_000_000_000;
const SYMBOLS = Array.from({ length: 400 }, (_, i) => `S${String(i).padStart(4, '0')}USDT`);

/** Stops reading the client's socket: the kernel buffers fill, then the gateway's (ws bufferedAmount). */
const pause = (client: TestClient) => (client.ws as unknown as { _socket: Socket })._socket.pause();
const resume = (client: TestClient) => (client.ws as unknown as { _socket: Socket })._socket.resume();

describe('a client that stops reading', () => {
  let h: GatewayHarness;

  afterEach(async () => {
    await h.stop();
  });

  it('does not delay a fast client, gets fewer updates, and is closed with 1013 when it stays behind', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_CONFLATE_MS: '0', GATEWAY_MAX_BUFFERED_BYTES: '16384', GATEWAY_SLOW_CLIENT_MS: '300', GATEWAY_MAX_SUBSCRIPTIONS: '1000' });
    const fast = await h.client();
    const slow = await h.client();
    for (const client of [fast, slow]) {
      client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: '*' });
      await client.waitFor((m) => m.type === 'snapshot', 'the snapshot');
    }
    pause(slow);
    const padding = 'x'.repeat(200);

    // Act: publish until the gateway has closed the slow client, checking the fast one keeps up after every round
    let round = 0;
    while ((await h.metric('gateway_slow_client_disconnects_total', { reason: 'behind' })) === 0) {
      round++;
      const ts = TS + round;
      await h.publish(SYMBOLS.map((symbol) => ({ symbol, price: `${round}.${padding}`, ts: String(ts), tradeTs: String(ts), flags: '' })));
      await eventually(() => fast.latestTs(SYMBOLS.at(-1)!) === ts, `the fast client to get round ${round}`);
      if (round > 5000) throw new Error('the slow client was never closed');
    }
    const fastUpdates = fast.updates().length;
    resume(slow);
    await eventually(() => slow.closeCode !== undefined, 'the slow client to see its close');

    // Assert
    expect(fastUpdates).toBe(round * SYMBOLS.length);
    expect(slow.updates().length).toBeLessThan(fastUpdates);
    expect(slow.closeCode).toBe(1013);
    expect(fast.closeCode).toBeUndefined();
    expect(await h.metric('gateway_connections', { transport: 'ws' })).toBe(1);
  });
});
