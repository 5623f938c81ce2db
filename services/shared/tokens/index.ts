export { MAX_TOKEN_TTL_MS, signStreamToken, TOKEN_SECRET_MIN_LENGTH, TokenSecretError, tokenOfRequest, verifyStreamToken } from './stream-tokens';
export type { SignOptions, StreamTokenClaims, TokenCheck, TokenRefusal } from './stream-tokens';
