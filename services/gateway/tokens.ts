/**
 * The stream token format lives in services/shared/tokens: the config API signs
 * with it and must not bundle the gateway. Re-exported here so the gateway's
 * imports stay as they were.
 */
export { MAX_TOKEN_TTL_MS, signStreamToken, TOKEN_SECRET_MIN_LENGTH, TokenSecretError, tokenOfRequest, verifyStreamToken } from '../shared/tokens';
export type { SignOptions, StreamTokenClaims, TokenCheck, TokenRefusal } from '../shared/tokens';
