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

export interface CachedSigningKeyOptions {
  secretArn: string;
  /** Reads the secret's AWSCURRENT SecretString. */
  fetch: (secretArn: string) => Promise<string | undefined>;
  /**
   * How long a read key is used before it is read again. After a rotation the
   * API signs with the previous key for at most this long; the gateways accept
   * AWSPREVIOUS too, so those tokens verify. Default 5 minutes.
   */
  maxAgeMs?: number;
  now?: () => number;
}

export const DEFAULT_SIGNING_KEY_MAX_AGE_MS = 300_000;

/**
 * The Secrets Manager key (GATEWAY_TOKEN_SECRET_ARN), cached in the warm
 * Lambda so a burst of token requests is one Secrets Manager call. Concurrent
 * first reads share one fetch. A failed refresh keeps signing with the cached
 * key while it is younger than twice maxAgeMs (still AWSCURRENT or AWSPREVIOUS
 * unless two rotations happened in that time); with no usable key the route
 * answers 503 and the next request tries again.
 */
export function cachedSigningKey(options: CachedSigningKeyOptions): SigningKeySource {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_SIGNING_KEY_MAX_AGE_MS;
  const now = options.now ?? Date.now;
  let cached: { key: string; readAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const read = async (): Promise<string> => {
    const key = await options.fetch(options.secretArn);
    if (key === undefined || key.length < TOKEN_SECRET_MIN_LENGTH) {
      throw new ConfigError(`Secret ${options.secretArn} (GATEWAY_TOKEN_SECRET_ARN) holds no signing key of at least ${TOKEN_SECRET_MIN_LENGTH} characters; store it as text (the token-keys rotation writes one)`);
    }
    cached = { key, readAt: now() };
    return key;
  };

  return {
    current: async () => {
      if (cached && now() - cached.readAt < maxAgeMs) return cached.key;
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
