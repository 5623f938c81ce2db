import { TOKEN_SECRET_MIN_LENGTH } from '../../../services/shared/tokens';
import { ConfigError, errorMessage } from '../../../services/shared/errors';
import { ApiError } from '../errors';

/** Where POST /v1/stream-tokens gets the key it signs with. */
export interface SigningKeySource {
  /** The key to sign with now (Secrets Manager's AWSCURRENT in AWS). */
  current(): Promise<string>;
}

/** 503 naming both variables: the route exists on every API, the key only where an operator configured one. */
export const streamTokensNotConfigured = (): ApiError =>
  new ApiError(
    503,
    'STREAM_TOKENS_NOT_CONFIGURED',
    `This API issues no stream tokens: no signing key is configured. Set GATEWAY_TOKEN_SECRET (at least ${TOKEN_SECRET_MIN_LENGTH} characters, the gateway's key) or GATEWAY_TOKEN_SECRET_ARN (its Secrets Manager secret)`,
  );

/** A fixed key (GATEWAY_TOKEN_SECRET, local runs and tests); checked once, here, not on every request. */
export function staticSigningKey(secret: string, variable = 'GATEWAY_TOKEN_SECRET'): SigningKeySource {
  if (secret.length < TOKEN_SECRET_MIN_LENGTH) throw new ConfigError(`${variable} must have at least ${TOKEN_SECRET_MIN_LENGTH} characters (it has ${secret.length})`);
  return { current: async () => secret };
}

/** One version of the secret as Secrets Manager returns it. */
export interface SecretVersion {
  value: string | undefined;
  /** When this version was created (GetSecretValue's CreatedDate). */
  createdAt?: Date;
}

export type SecretStage = 'AWSCURRENT' | 'AWSPREVIOUS';

export interface CachedSigningKeyOptions {
  secretArn: string;
  /** Reads one stage of the secret (GetSecretValue with VersionStage). */
  fetch: (secretArn: string, stage: SecretStage) => Promise<SecretVersion>;
  /**
   * How long a read key is used before it is read again. Default 5 minutes.
   */
  maxAgeMs?: number;
  /**
   * For this long after a rotation the API keeps signing with AWSPREVIOUS: the
   * gateways re-read the secret periodically, and one that has not yet seen the
   * new AWSCURRENT would refuse tokens signed with it as forged. Every gateway
   * accepts AWSPREVIOUS, before and after its refresh. Keep it above the
   * gateways' refresh interval. Default 10 minutes.
   */
  rotationGraceMs?: number;
  now?: () => number;
}

export const DEFAULT_SIGNING_KEY_MAX_AGE_MS = 300_000;
export const DEFAULT_ROTATION_GRACE_MS = 600_000;

const usable = (value: string | undefined): value is string => value !== undefined && value.length >= TOKEN_SECRET_MIN_LENGTH;

/**
 * The Secrets Manager key (GATEWAY_TOKEN_SECRET_ARN), cached in the warm
 * Lambda so a burst of token requests is one Secrets Manager call. Concurrent
 * reads share one fetch. Signs with AWSCURRENT, or with AWSPREVIOUS while
 * AWSCURRENT is younger than rotationGraceMs. A failed refresh keeps signing
 * with the cached key while it is younger than twice maxAgeMs; with no usable
 * key the route answers 503 and the next request tries again.
 */
export function cachedSigningKey(options: CachedSigningKeyOptions): SigningKeySource {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_SIGNING_KEY_MAX_AGE_MS;
  const graceMs = options.rotationGraceMs ?? DEFAULT_ROTATION_GRACE_MS;
  const now = options.now ?? Date.now;
  let cached: { key: string; readAt: number; validUntil: number } | undefined;
  let pending: Promise<string> | undefined;

  const read = async (): Promise<string> => {
    const current = await options.fetch(options.secretArn, 'AWSCURRENT');
    if (!usable(current.value)) {
      throw new ConfigError(`Secret ${options.secretArn} (GATEWAY_TOKEN_SECRET_ARN) holds no signing key of at least ${TOKEN_SECRET_MIN_LENGTH} characters; store it as text (the token-keys rotation writes one)`);
    }
    const readAt = now();
    const rotatedAt = current.createdAt?.getTime();
    if (rotatedAt !== undefined && readAt - rotatedAt < graceMs) {
      // No AWSPREVIOUS (the secret never rotated) or an unusable one: AWSCURRENT is all there is.
      const previous = await options.fetch(options.secretArn, 'AWSPREVIOUS').catch(() => undefined);
      if (usable(previous?.value)) {
        cached = { key: previous.value, readAt, validUntil: Math.min(readAt + maxAgeMs, rotatedAt + graceMs) };
        return previous.value;
      }
    }
    cached = { key: current.value, readAt, validUntil: readAt + maxAgeMs };
    return current.value;
  };

  return {
    current: async () => {
      if (cached && now() < cached.validUntil) return cached.key;
      pending ??= read().finally(() => {
        pending = undefined;
      });
      try {
        return await pending;
      } catch (error) {
        if (cached && now() - cached.readAt < 2 * maxAgeMs) return cached.key;
        throw new ApiError(503, 'SIGNING_KEY_UNAVAILABLE', `The stream token signing key could not be read (${errorMessage(error)}); retry shortly`, { cause: error });
      }
    },
  };
}
