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

describe('token keys from Secrets Manager (GATEWAY_TOKEN_SECRET_ARN)', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:gateway-token-key';
  let h: GatewayHarness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('accepts tokens of AWSCURRENT and AWSPREVIOUS, and a rotation keeps open connections and the tokens signed before it', async () => {
    // Prepare: the secret as the rotation Lambda leaves it.
    const stages: Record<string, string | undefined> = { AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS };
    h = new GatewayHarness();
    await h.start({ GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET_ARN: ARN }, { readTokenSecret: async (stage) => stages[stage] });
    const ofKey = (secret: string) => `${h!.wsUrl}?token=${signStreamToken({ secret, ttlMs: 60_000 }).token}`;
    const before = await Promise.all([refusedUpgrade(ofKey(CURRENT)), refusedUpgrade(ofKey(PREVIOUS)), refusedUpgrade(ofKey(OTHER))]);
    const holder = await h.client(`?token=${signStreamToken({ secret: CURRENT, ttlMs: 60_000 }).token}`);

    // Act: rotated, then read again (the periodic refresh, or a token of the new key, does this).
    stages.AWSPREVIOUS = CURRENT;
    stages.AWSCURRENT = OTHER;
    await h.gateway.refreshTokenKeys();
    const after = await Promise.all([refusedUpgrade(ofKey(OTHER)), refusedUpgrade(ofKey(CURRENT)), refusedUpgrade(ofKey(PREVIOUS))]);
    holder.send({ op: 'ping', id: 1 });
    await holder.waitFor((m) => m.type === 'pong', 'the pong of the connection opened before the rotation');

    // Assert
    expect(before.map((a) => a.status)).toEqual([101, 101, 401]);
    expect(after.map((a) => a.status)).toEqual([101, 101, 401]);
    expect(holder.closeCode).toBeUndefined();
  });

  it('does not start without the key, naming the secret', async () => {
    // Prepare
    h = new GatewayHarness();

    // Act / Assert
    await expect(h.start({ GATEWAY_AUTH: 'token', GATEWAY_TOKEN_SECRET_ARN: ARN }, { readTokenSecret: async () => undefined })).rejects.toThrow(/gateway-token-key \(GATEWAY_TOKEN_SECRET_ARN\).*AWSCURRENT has no SecretString/);
  });
});
