import { ConfigError } from '../../../../services/shared/errors';
import { ApiError } from '../../../../lambdas/api/errors';
import { cachedSigningKey, staticSigningKey, streamTokensNotConfigured, type SecretStage, type SecretVersion } from '../../../../lambdas/api/tokens';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mdc/test/stream-token-key-AbCdEf';
const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);

async function apiErrorOf(action: () => Promise<unknown>): Promise<ApiError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError, but nothing was thrown');
}

describe('staticSigningKey', () => {
  it('signs with the key it was given', async () => {
    // Act
    const key = await staticSigningKey(KEY_A).current();

    // Assert
    expect(key).toBe(KEY_A);
  });

  it('refuses a key shorter than the gateway accepts, naming the variable', () => {
    // Act
    const build = () => staticSigningKey('too-short');

    // Assert
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/GATEWAY_TOKEN_SECRET must have at least 32 characters/);
  });
});

type Fetch = jest.Mock<Promise<SecretVersion>, [string, SecretStage]>;

/** A secret whose AWSCURRENT (and AWSPREVIOUS) answer in turn, created long before NOW unless told. */
function secret(versions: Partial<Record<SecretStage, Array<SecretVersion | Error>>>): Fetch {
  const left = { AWSCURRENT: [...(versions.AWSCURRENT ?? [])], AWSPREVIOUS: [...(versions.AWSPREVIOUS ?? [])] };
  return jest.fn(async (_arn: string, stage: SecretStage) => {
    const next = left[stage].length > 1 ? left[stage].shift()! : left[stage][0];
    if (next === undefined) throw new Error(`no ${stage} version`);
    if (next instanceof Error) throw next;
    return next;
  });
}

const LONG_AGO = new Date(0);

describe('cachedSigningKey', () => {
  it('reads AWSCURRENT once while the cached key is younger than maxAgeMs, then again', async () => {
    // Prepare
    let now = 1_000_000;
    const fetch = secret({ AWSCURRENT: [{ value: KEY_A, createdAt: LONG_AGO }, { value: KEY_B, createdAt: LONG_AGO }] });
    const source = cachedSigningKey({ secretArn: ARN, fetch, maxAgeMs: 60_000, now: () => now });

    // Act
    const first = await source.current();
    now += 59_999;
    const cached = await source.current();
    now += 1;
    const refreshed = await source.current();

    // Assert
    expect([first, cached, refreshed]).toEqual([KEY_A, KEY_A, KEY_B]);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch).toHaveBeenCalledWith(ARN, 'AWSCURRENT');
  });

  it('signs with AWSPREVIOUS while AWSCURRENT is younger than the rotation grace, then with AWSCURRENT', async () => {
    // Prepare: rotated at t = 1,000,000; gateways may hold the old keys for up to the grace.
    let now = 1_060_000;
    const rotatedAt = new Date(1_000_000);
    const fetch = secret({ AWSCURRENT: [{ value: KEY_B, createdAt: rotatedAt }], AWSPREVIOUS: [{ value: KEY_A, createdAt: LONG_AGO }] });
    const source = cachedSigningKey({ secretArn: ARN, fetch, maxAgeMs: 300_000, rotationGraceMs: 600_000, now: () => now });

    // Act
    const during = await source.current();
    now = 1_599_999;
    const stillDuring = await source.current();
    now = 1_600_000;
    const after = await source.current();

    // Assert
    expect([during, stillDuring, after]).toEqual([KEY_A, KEY_A, KEY_B]);
    expect(fetch.mock.calls.map(([, stage]) => stage)).toEqual(['AWSCURRENT', 'AWSPREVIOUS', 'AWSCURRENT', 'AWSPREVIOUS', 'AWSCURRENT']);
  });

  it('signs with a fresh AWSCURRENT when there is no usable AWSPREVIOUS (a secret that never rotated)', async () => {
    // Prepare
    const fetch = secret({ AWSCURRENT: [{ value: KEY_B, createdAt: new Date(990_000) }] });
    const source = cachedSigningKey({ secretArn: ARN, fetch, now: () => 1_000_000 });

    // Act
    const key = await source.current();

    // Assert
    expect(key).toBe(KEY_B);
  });

  it('shares one read among concurrent first requests', async () => {
    // Prepare
    let release: (version: SecretVersion) => void = () => undefined;
    const fetch = jest.fn(() => new Promise<SecretVersion>((resolve) => (release = resolve)));
    const source = cachedSigningKey({ secretArn: ARN, fetch, now: () => 0 });

    // Act
    const both = Promise.all([source.current(), source.current()]);
    release({ value: KEY_A });

    // Assert
    expect(await both).toEqual([KEY_A, KEY_A]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('keeps signing with a recently read key when a refresh fails, and answers 503 once it is too old', async () => {
    // Prepare
    let now = 0;
    const fetch = secret({ AWSCURRENT: [{ value: KEY_A, createdAt: LONG_AGO }, new Error('throttled')] });
    const source = cachedSigningKey({ secretArn: ARN, fetch, maxAgeMs: 60_000, now: () => now });
    await source.current();

    // Act
    now = 61_000;
    const stale = await source.current();
    now = 120_000;
    const error = await apiErrorOf(() => source.current());

    // Assert
    expect(stale).toBe(KEY_A);
    expect(error.status).toBe(503);
    expect(error.code).toBe('SIGNING_KEY_UNAVAILABLE');
    expect(error.message).toContain('throttled');
  });

  it('answers 503 for a secret without a usable key, and reads it again on the next request', async () => {
    // Prepare
    const fetch = secret({ AWSCURRENT: [{ value: 'short' }, { value: KEY_B }] });
    const source = cachedSigningKey({ secretArn: ARN, fetch, now: () => 0 });

    // Act
    const error = await apiErrorOf(() => source.current());
    const next = await source.current();

    // Assert
    expect(error.code).toBe('SIGNING_KEY_UNAVAILABLE');
    expect(error.message).toContain('GATEWAY_TOKEN_SECRET_ARN');
    expect(next).toBe(KEY_B);
  });
});

describe('streamTokensNotConfigured', () => {
  it('is a 503 naming both variables', () => {
    // Act
    const error = streamTokensNotConfigured();

    // Assert
    expect(error.status).toBe(503);
    expect(error.code).toBe('STREAM_TOKENS_NOT_CONFIGURED');
    expect(error.message).toContain('GATEWAY_TOKEN_SECRET ');
    expect(error.message).toContain('GATEWAY_TOKEN_SECRET_ARN');
  });
});
