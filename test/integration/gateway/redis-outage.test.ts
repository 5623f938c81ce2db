import { TcpProxy } from '../../support';
import { eventually, GatewayHarness, get, state } from './harness';

const TS = 1_700_000_000_000;

describe('the gateway through a Redis outage', () => {
  let h: GatewayHarness;
  let proxy: TcpProxy;

  afterEach(async () => {
    await h.stop();
    await proxy.stop();
  });

  it('is not ready while Redis is away, keeps its clients, and sends them a fresh snapshot when it is back', async () => {
    // Prepare
    h = new GatewayHarness();
    const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
    proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    const port = await proxy.start();
    // The gateway reaches the worker's db through the proxy; the test writes to Redis directly.
    await h.start({ GATEWAY_CONFLATE_MS: '0', REDIS_URL: `redis://127.0.0.1:${port}/${h.dbIndex()}` });
    await h.write(state('BTCUSDT', TS));
    const client = await h.client();
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: ['BTCUSDT'] });
    await client.waitFor((m) => m.type === 'snapshot', 'the first snapshot');

    // Act
    await proxy.stop();
    await eventually(async () => (await get(`${h.httpUrl}/ready`)).status === 503, '/ready to fail');
    await h.write(state('BTCUSDT', TS + 5000));
    await proxy.start(port);
    await eventually(async () => (await get(`${h.httpUrl}/ready`)).status === 200, '/ready to recover');
    const fresh = await client.waitFor((m) => m.type === 'snapshot' && (m.rates as { ts: string }[])[0]?.ts === String(TS + 5000), 'the fresh snapshot');

    // Assert
    expect(fresh).toMatchObject({ channel: 'rates', exchange: h.exchange, rates: [{ symbol: 'BTCUSDT', ts: String(TS + 5000) }] });
    expect(client.closeCode).toBeUndefined();
    expect(client.ofType('snapshot')).toHaveLength(2);
  });
});
