export { cachedSigningKey, DEFAULT_ROTATION_GRACE_MS, DEFAULT_SIGNING_KEY_MAX_AGE_MS, staticSigningKey, streamTokensNotConfigured } from './signing-key';
export type { CachedSigningKeyOptions, SecretStage, SecretVersion, SigningKeySource } from './signing-key';
