export { cachedSigningKey, DEFAULT_SIGNING_KEY_MAX_AGE_MS, staticSigningKey, streamTokensNotConfigured } from './signing-key';
export type { CachedSigningKeyOptions, SigningKeySource } from './signing-key';
