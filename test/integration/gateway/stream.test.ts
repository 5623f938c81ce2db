import { eventually, GatewayHarness, get, state } from './harness';

const TS = 1_700_000_000_000;

describe('stream gateway over WebSocket against Redis', () => {
  let h: GatewayHarness;

  afterEach(async () => {
    await h.stop();
  });

  it('answers a subscribe with subscribed and the snapshot, then streams updates', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_CONFLATE_MS: '0' });
    await h.write(state('BTCUSDT', TS), state('ETHUSDT', TS, { change5m: undefined }));
    const client = await h.client();

    // Act
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: ['BTCUSDT', 'ETHUSDT'] });
    await client.waitFor((m) => m.type === 'snapshot', 'the snapshot');
    await h.write(state('BTCUSDT', TS + 1000, { flags: ['stale'] }));
    await client.waitFor((m) => m.type === 'update', 'an update');

    // Assert
    expect(client.messages.map((m) => m.type)).toEqual(['subscribed', 'snapshot', 'update']);
    expect(client.messages[0]).toEqual({ type: 'subscribed', id: 1 });
    expect(client.messages[1]).toEqual({
      type: 'snapshot',
      channel: 'rates',
      exchange: h.exchange,
      rates: [
        { symbol: 'BTCUSDT', price: '100.5', ts: String(TS), tradeTs: String(TS - 2), change_1m: '0.5', change_5m: '-1.25', flags: '' },
        { symbol: 'ETHUSDT', price: '100.5', ts: String(TS), tradeTs: String(TS - 2), change_1m: '0.5', flags: '' },
      ],
    });
    expect(client.messages[2]).toEqual({
      type: 'update',
      channel: 'rates',
      exchange: h.exchange,
      rates: [{ symbol: 'BTCUSDT', price: `${100 + ((TS + 1000) % 1000)}.5`, ts: String(TS + 1000), tradeTs: String(TS + 998), change_1m: '0.5', change_5m: '-1.25', flags: 'stale' }],
    });
  });

  it('gives "*" subscribers every symbol, movers from the rank sets, and collector health', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_CONFLATE_MS: '0', GATEWAY_MOVERS_INTERVAL_MS: '100', GATEWAY_HEALTH_INTERVAL_MS: '200' });
    await h.write(state('AAUSDT', TS, { change5m: 3 }), state('BBUSDT', TS, { change5m: -2 }), state('CCUSDT', TS, { change5m: 1 }));
    await h.redis.client.hset('status:collector:test-1', { collectorId: 'test-1', state: 'running', exchange: h.exchange });
    const client = await h.client();

    // Act
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: '*' });
    client.send({ op: 'subscribe', id: 2, channel: 'movers', exchange: h.exchange, window: '5m', limit: 1 });
    client.send({ op: 'subscribe', id: 3, channel: 'health' });
    const snapshot = await client.waitFor((m) => m.type === 'snapshot', 'the snapshot');
    const movers = await client.waitFor((m) => m.type === 'movers', 'movers');
    const health = await client.waitFor((m) => m.type === 'health', 'health');
    await h.write(state('DDUSDT', TS, { change5m: 9 }));
    const changed = await client.waitFor((m) => m.type === 'movers' && (m.gainers as { symbol: string }[])[0]?.symbol === 'DDUSDT', 'movers after a change');

    // Assert
    expect((snapshot.rates as { symbol: string }[]).map((r) => r.symbol)).toEqual(['AAUSDT', 'BBUSDT', 'CCUSDT']);
    expect(movers).toEqual({ type: 'movers', exchange: h.exchange, window: '5m', gainers: [{ symbol: 'AAUSDT', change: '3' }], losers: [{ symbol: 'BBUSDT', change: '-2' }] });
    expect(health).toEqual({ type: 'health', collectors: [{ collectorId: 'test-1', state: 'running', exchange: h.exchange }] });
    expect(changed.gainers).toEqual([{ symbol: 'DDUSDT', change: '9' }]);
    expect(client.updates().map((r) => r.symbol)).toEqual(['DDUSDT']);
  });

  it('conflates to the newest value per symbol', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_CONFLATE_MS: '1000' });
    const client = await h.client();
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: ['BTCUSDT'] });
    await client.waitFor((m) => m.type === 'snapshot', 'the snapshot');

    // Act: 30 updates published back to back
    for (let i = 1; i <= 30; i++) await h.publish([{ symbol: 'BTCUSDT', price: String(i), ts: String(TS + i), tradeTs: String(TS + i), flags: '' }]);
    await eventually(() => client.latestTs('BTCUSDT') === TS + 30, 'the newest value');

    // Assert
    expect(client.updates().length).toBeLessThan(30);
    expect(client.updates().at(-1)).toMatchObject({ price: '30', ts: String(TS + 30) });
    expect(await h.metric('gateway_updates_conflated_total')).toBeGreaterThan(0);
  });

  it('never sends a ts back, also when an older message arrives late', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_CONFLATE_MS: '0' });
    const client = await h.client();
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: ['BTCUSDT'] });
    await client.waitFor((m) => m.type === 'snapshot', 'the snapshot');
    const rate = (ts: number) => ({ symbol: 'BTCUSDT', price: String(ts), ts: String(ts), tradeTs: String(ts), flags: '' });

    // Act
    for (const ts of [TS + 100, TS + 90, TS + 100, TS + 110, TS + 50, TS + 120]) await h.publish([rate(ts)]);
    await eventually(() => client.latestTs('BTCUSDT') === TS + 120, 'the last update');

    // Assert
    expect(client.updates().map((r) => Number(r.ts) - TS)).toEqual([100, 110, 120]);
    expect(await h.metric('gateway_updates_stale_total')).toBe(3);
  });

  it('keeps a snapshot and the updates after it in ts order', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_CONFLATE_MS: '0' });
    await h.write(state('BTCUSDT', TS + 500));
    const client = await h.client();

    // Act: an older message arrives after the subscribe
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: ['BTCUSDT'] });
    await client.waitFor((m) => m.type === 'snapshot', 'the snapshot');
    await h.publish([{ symbol: 'BTCUSDT', price: '1', ts: String(TS + 400), tradeTs: String(TS + 400), flags: '' }]);
    await h.write(state('BTCUSDT', TS + 600));
    await eventually(() => client.latestTs('BTCUSDT') === TS + 600, 'the newer update');

    // Assert
    expect(client.updates().map((r) => Number(r.ts) - TS)).toEqual([600]);
  });

  it('serves /health, /ready and /metrics, and 404 for / when started without a page', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start();

    // Act
    const [health, ready, metrics, root, missing] = await Promise.all([get(`${h.httpUrl}/health`), get(`${h.httpUrl}/ready`), get(`${h.httpUrl}/metrics`), get(`${h.httpUrl}/`), get(`${h.httpUrl}/nope`)]);

    // Assert
    expect([health.status, ready.status, metrics.status, root.status, missing.status]).toEqual([200, 200, 200, 404, 404]);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, reasons: [] });
    for (const name of ['gateway_connections', 'gateway_subscriptions', 'gateway_messages_sent_total', 'gateway_updates_conflated_total', 'gateway_slow_client_disconnects_total', 'gateway_auth_refusals_total', 'gateway_bad_client_messages_total', 'gateway_fanout_latency_seconds_bucket', 'gateway_chart_symbols', 'gateway_chart_rates_refused_total']) {
      expect(metrics.body).toContain(name);
    }
  });

  it('observes the fan-out latency of new trades written', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_CONFLATE_MS: '0' });
    const client = await h.client();
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: ['BTCUSDT'] });
    await client.waitFor((m) => m.type === 'snapshot', 'the snapshot');

    const now = Date.now();
    await h.write(state('BTCUSDT', now));
    await eventually(() => client.updates().length > 0, 'the first update');
    const afterFirst = await h.gateway.metrics.registry.getSingleMetricAsString('gateway_fanout_latency_seconds');

    // Act: a later trade of the same symbol
    await h.write(state('BTCUSDT', now + 10));
    await eventually(() => client.updates().length > 1, 'the second update');
    const afterSecond = await h.gateway.metrics.registry.getSingleMetricAsString('gateway_fanout_latency_seconds');

    // Assert: the first rate seen of a symbol may be an old trade re-evaluated, so only the second counts
    expect(afterFirst).toMatch(/gateway_fanout_latency_seconds_count 0$/m);
    expect(afterSecond).toMatch(/gateway_fanout_latency_seconds_count 1$/m);
  });

  it('closes clients with 1001 on stop', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start();
    const client = await h.client();

    // Act
    await h.gateway.stop(2000);
    await eventually(() => client.closeCode !== undefined, 'the close');

    // Assert
    expect(client.closeCode).toBe(1001);
  });
});
