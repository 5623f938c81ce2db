import { signStreamToken } from '../../../services/gateway/tokens';
import { GatewayHarness, get, refusedUpgrade } from './harness';

const CURRENT = 'current-signing-key-0123456789abcdef';
const PREVIOUS = 'previous-signing-key-0123456789abcdef';
const OTHER = 'another-signing-key-0123456789abcdefgh';

describe('token auth', () => {
  let h: GatewayHarness;

  beforeEach(async () => {
    h = new GatewayHarness();
    await h.start({ GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET: CURRENT, GATEWAY_TOKEN_SECRET_PREVIOUS: PREVIOUS, GATEWAY_CONFLATE_MS: '0' });
  });

  afterEach(async () => {
    await h.stop();
  });

  it('refuses a WebSocket upgrade without, with an expired or with a forged token: 401, no data', async () => {
    // Prepare
    const expired = signStreamToken({ secret: CURRENT, ttlMs: 1000, now: Date.now() - 10_000 }).token;
    const forged = signStreamToken({ secret: OTHER, ttlMs: 60_000 }).token;

    // Act
    const answers = await Promise.all([refusedUpgrade(h.wsUrl), refusedUpgrade(`${h.wsUrl}?token=${expired}`), refusedUpgrade(`${h.wsUrl}?token=${forged}`), refusedUpgrade(h.wsUrl, { authorization: 'Bearer v1.abc.def' })]);

    // Assert
    expect(answers.map((a) => [a.status, a.opened])).toEqual([
      [401, false],
      [401, false],
      [401, false],
      [401, false],
    ]);
    expect(answers.map((a) => JSON.parse(a.body).error as string).join(' ')).toMatch(/missing.*expired.*forged.*forged/);
    expect(await h.metric('gateway_auth_refusals_total', { reason: 'forged', transport: 'ws' })).toBe(2);
    expect(await h.metric('gateway_connections', { transport: 'ws' })).toBe(0);
  });

  it('accepts tokens of the current and of the previous key, in the query or the Authorization header', async () => {
    // Prepare
    const current = signStreamToken({ secret: CURRENT, ttlMs: 60_000 }).token;
    const previous = signStreamToken({ secret: PREVIOUS, ttlMs: 60_000 }).token;

    // Act
    const answers = await Promise.all([refusedUpgrade(`${h.wsUrl}?token=${current}`), refusedUpgrade(`${h.wsUrl}?token=${previous}`), refusedUpgrade(h.wsUrl, { authorization: `Bearer ${current}` })]);
    const client = await h.client(`?token=${current}`);
    client.send({ op: 'ping', id: 1 });
    await client.waitFor((m) => m.type === 'pong', 'the pong');

    // Assert
    expect(answers.map((a) => a.status)).toEqual([101, 101, 101]);
  });

  it('refuses an SSE request without a valid token with 401 and no event', async () => {
    // Prepare
    const forged = signStreamToken({ secret: OTHER, ttlMs: 60_000 }).token;

    // Act
    const missing = await get(`${h.httpUrl}/v1/stream/sse?channel=rates&exchange=${h.exchange}&symbols=*`);
    const bad = await get(`${h.httpUrl}/v1/stream/sse?channel=rates&exchange=${h.exchange}&symbols=*&token=${forged}`);

    // Assert
    expect([missing.status, bad.status]).toEqual([401, 401]);
    expect(missing.headers['content-type']).toBe('application/json');
    expect(`${missing.body}${bad.body}`).not.toContain('event:');
  });
});
