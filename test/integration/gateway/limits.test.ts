import { eventually, GatewayHarness, refusedUpgrade } from './harness';

describe('limits and bad input', () => {
  let h: GatewayHarness;

  afterEach(async () => {
    await h.stop();
  });

  it('answers malformed JSON, unknown ops and bad fields with errors, counts them, and keeps the connection', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start();
    const client = await h.client();

    // Act
    client.send('{not json');
    client.send({ op: 'launch', id: 1 });
    client.send({ op: 'subscribe', id: 2, channel: 'rates', exchange: h.exchange, symbols: ['not a symbol'] });
    client.send({ op: 'subscribe', id: 3, channel: 'rates', exchange: 'nowhere', symbols: '*' });
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    client.send({ op: 'ping', id: 4 });
    await client.waitFor((m) => m.type === 'pong', 'the pong');

    // Assert
    expect(client.ofType('error').map((m) => [m.id, m.code])).toEqual([
      [null, 'bad_json'],
      [1, 'unknown_op'],
      [2, 'bad_field'],
      [3, 'unknown_exchange'],
      [null, 'binary_not_supported'],
    ]);
    for (const reason of ['bad_json', 'unknown_op', 'bad_field', 'unknown_exchange', 'binary_not_supported']) expect(await h.metric('gateway_bad_client_messages_total', { reason })).toBe(1);
  });

  it('closes a connection that sends a message over the size cap with 1009, and counts it', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_MAX_MESSAGE_BYTES: '1024' });
    const client = await h.client();

    // Act
    client.send({ op: 'ping', id: 'x'.repeat(2000) });
    await eventually(() => client.closeCode !== undefined, 'the close');

    // Assert
    expect(client.closeCode).toBe(1009);
    expect(await h.metric('gateway_bad_client_messages_total', { reason: 'message_too_large' })).toBe(1);
  });

  it('caps connections per address with 429', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_MAX_CONNECTIONS_PER_IP: '2' });
    await h.client();
    const second = await h.client();

    // Act
    const third = await refusedUpgrade(h.wsUrl);
    second.close();
    await eventually(async () => (await h.metric('gateway_connections', { transport: 'ws' })) === 1, 'the second connection to go');
    const afterClose = await refusedUpgrade(h.wsUrl);

    // Assert
    expect(third.status).toBe(429);
    expect(afterClose.status).toBe(101);
    expect(await h.metric('gateway_connections_refused_total', { reason: 'ip_limit' })).toBe(1);
  });

  it('bounds subscriptions per connection and rate-limits messages', async () => {
    // Prepare
    h = new GatewayHarness();
    await h.start({ GATEWAY_MAX_SUBSCRIPTIONS: '3', GATEWAY_MESSAGE_RATE: '1', GATEWAY_MESSAGE_BURST: '3' });
    const client = await h.client();

    // Act
    client.send({ op: 'subscribe', id: 1, channel: 'rates', exchange: h.exchange, symbols: ['AAUSDT', 'BBUSDT'] });
    client.send({ op: 'subscribe', id: 2, channel: 'rates', exchange: h.exchange, symbols: ['CCUSDT', 'DDUSDT'] });
    for (let i = 0; i < 10; i++) client.send({ op: 'ping', id: 10 + i });
    await client.waitFor((m) => m.type === 'error' && m.code === 'rate_limited', 'the rate-limit error');

    // Assert
    expect(client.ofType('error')[0]).toMatchObject({ id: 2, code: 'too_many_subscriptions' });
    expect(client.ofType('pong').length).toBeLessThanOrEqual(2);
    expect(client.ofType('error').filter((m) => m.code === 'rate_limited')).toHaveLength(1);
    expect(await h.metric('gateway_bad_client_messages_total', { reason: 'rate_limited' })).toBeGreaterThanOrEqual(8);
    expect(client.closeCode).toBeUndefined();
  });
});
