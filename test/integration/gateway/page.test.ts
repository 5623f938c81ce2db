import { request } from 'node:http';
import { DashboardPage } from '../../../services/gateway/static-page';
import { eventually, GatewayHarness, get, state } from './harness';

/**
 * The dashboard page and the chart channel through a running gateway: the page
 * built by esbuild at load (as `npm run gateway` does without GATEWAY_PAGE_DIR),
 * served from memory by exact path only; charts answered from the rates the
 * gateway saw on Redis.
 */
describe('the gateway page and charts', () => {
  let h: GatewayHarness;
  let page: DashboardPage;

  beforeAll(async () => {
    page = await DashboardPage.load(undefined);
    h = new GatewayHarness();
    await h.start({}, { page });
  });

  afterAll(async () => {
    await h.stop();
  });

  it('serves the page with its script and styles, revalidated by ETag', async () => {
    // Act
    const index = await get(`${h.httpUrl}/`);
    const script = await get(`${h.httpUrl}/app.js`);
    const styles = await get(`${h.httpUrl}/styles.css`);
    const again = await get(`${h.httpUrl}/app.js`, { 'if-none-match': String(script.headers.etag) });

    // Assert
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('<script type="module" src="app.js"></script>');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body.length).toBeGreaterThan(10_000);
    expect(styles.status).toBe(200);
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it.each(['/../package.json', '/%2e%2e/package.json', '/page/main.ts', '/index.html/', '//etc/passwd', '/app.js%00.html'])('answers 404 to %s and serves no other file', async (path) => {
    // Act: the raw path, not normalised by a URL parser on the way out.
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port: h.port, path, method: 'GET' }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });

    // Assert
    expect(reply.status).toBe(404);
    expect(reply.body).not.toContain('"name"');
  });

  it('answers a chart subscription with the recent points of the symbol, oldest first', async () => {
    // Prepare: three seconds of prices, the middle one updated twice.
    const base = Math.floor(Date.now() / 1000) * 1000 - 5000;
    await h.write(state('CHARTUSDT', base + 100, { priceText: '10.5' }));
    await h.write(state('CHARTUSDT', base + 1100, { priceText: '11' }));
    await h.write(state('CHARTUSDT', base + 1900, { priceText: '11.25' }));
    await h.write(state('CHARTUSDT', base + 2100, { priceText: '12' }));
    await eventually(() => h.gateway.charts.points(h.exchange, 'CHARTUSDT', Date.now()).length === 3, 'the gateway to record three seconds');
    const client = await h.client();

    // Act
    client.send({ op: 'subscribe', id: 1, channel: 'chart', exchange: h.exchange, symbol: 'chartusdt' });
    const chart = await client.waitFor((m) => m.type === 'chart', 'the chart');
    client.send({ op: 'unsubscribe', id: 2, channel: 'chart', exchange: h.exchange, symbol: 'CHARTUSDT' });
    await client.waitFor((m) => m.type === 'unsubscribed', 'the unsubscribe answer');

    // Assert
    expect(client.ofType('subscribed')).toEqual([{ type: 'subscribed', id: 1 }]);
    expect(chart).toEqual({
      type: 'chart',
      exchange: h.exchange,
      symbol: 'CHARTUSDT',
      points: [
        [base + 100, '10.5'],
        [base + 1900, '11.25'],
        [base + 2100, '12'],
      ],
    });
    expect(client.ofType('error')).toEqual([]);
  });

  it('answers a chart of a symbol never seen with no points, and refuses a chart without a symbol', async () => {
    // Prepare
    const client = await h.client();

    // Act
    client.send({ op: 'subscribe', id: 1, channel: 'chart', exchange: h.exchange, symbol: 'NEVERUSDT' });
    client.send({ op: 'subscribe', id: 2, channel: 'chart', exchange: h.exchange });
    const chart = await client.waitFor((m) => m.type === 'chart', 'the empty chart');
    const error = await client.waitFor((m) => m.type === 'error', 'the refusal');

    // Assert
    expect(chart.points).toEqual([]);
    expect(error).toMatchObject({ id: 2, code: 'bad_field', message: expect.stringContaining('"symbol"') });
  });
});
