import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CollectorError } from '../errors';

/**
 * Short-lived stream tokens: `v1.<payload>.<signature>`, the payload base64url
 * JSON `{"exp","iat","jti","sub"?}` (epoch ms), the signature base64url
 * HMAC-SHA256 of `v1.<payload>` with a signing key. The config API signs
 * (`POST /v1/stream-tokens`), the gateway verifies; both hold the key, so no
 * round trip per connection. Verification accepts a list of keys (current,
 * previous): during a rotation tokens signed with the previous key stay valid
 * until they expire, and connections are never dropped for it.
 */
export const TOKEN_SECRET_MIN_LENGTH = 32;
/** Longest lifetime sign accepts: a stream token is short-lived by design. */
export const MAX_TOKEN_TTL_MS = 24 * 3600_000;
/** Anything longer is not a token this module made; refused before any decoding. */
const MAX_TOKEN_LENGTH = 1024;
const VERSION = 'v1';

export class TokenSecretError extends CollectorError {
  constructor(message: string) {
    super('TOKEN_SECRET_INVALID', message);
  }
}

export interface StreamTokenClaims {
  /** Expiry, epoch ms. */
  exp: number;
  /** Issue time, epoch ms. */
  iat: number;
  /** Random id, for logs. */
  jti: string;
  /** Who asked for it (the API caller), when known. */
  sub?: string;
}

export type TokenRefusal = 'missing' | 'malformed' | 'forged' | 'expired';
export type TokenCheck = { ok: true; claims: StreamTokenClaims } | { ok: false; reason: TokenRefusal };

function checkSecret(secret: string): Buffer {
  if (secret.length < TOKEN_SECRET_MIN_LENGTH) throw new TokenSecretError(`a stream token signing key must have at least ${TOKEN_SECRET_MIN_LENGTH} characters`);
  return Buffer.from(secret, 'utf8');
}

const signature = (key: Buffer, signed: string) => createHmac('sha256', key).update(signed).digest();

export interface SignOptions {
  secret: string;
  ttlMs: number;
  subject?: string;
  now?: number;
}

/** Signs a token valid for `ttlMs`; returns it with its expiry as ISO-8601 (the route's `expiresAt`). */
export function signStreamToken(options: SignOptions): { token: string; expiresAt: string; claims: StreamTokenClaims } {
  const key = checkSecret(options.secret);
  if (!Number.isInteger(options.ttlMs) || options.ttlMs < 1000 || options.ttlMs > MAX_TOKEN_TTL_MS) throw new TokenSecretError(`a stream token lives from 1 s to ${MAX_TOKEN_TTL_MS / 3600_000} h; got ${options.ttlMs} ms`);
  const now = options.now ?? Date.now();
  const claims: StreamTokenClaims = { exp: now + options.ttlMs, iat: now, jti: randomBytes(9).toString('base64url'), ...(options.subject ? { sub: options.subject } : {}) };
  const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  const signed = `${VERSION}.${payload}`;
  return { token: `${signed}.${signature(key, signed).toString('base64url')}`, expiresAt: new Date(claims.exp).toISOString(), claims };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a token against every key in `secrets` (current first). The signature
 * is compared with timingSafeEqual, and checked before the payload is parsed,
 * so nothing an attacker sends is interpreted unless one of the keys signed it.
 */
export function verifyStreamToken(token: string | undefined, secrets: readonly string[], now = Date.now()): TokenCheck {
  if (token === undefined || token === '') return { ok: false, reason: 'missing' };
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !BASE64URL.test(parts[1]!) || !BASE64URL.test(parts[2]!)) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(parts[2]!, 'base64url');
  const signed = `${parts[0]}.${parts[1]}`;
  let valid = false;
  for (const secret of secrets) {
    const expected = signature(checkSecret(secret), signed);
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  if (!valid) return { ok: false, reason: 'forged' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const c = claims as Partial<StreamTokenClaims> | null;
  if (typeof c !== 'object' || c === null || typeof c.exp !== 'number' || typeof c.iat !== 'number' || typeof c.jti !== 'string') return { ok: false, reason: 'malformed' };
  if (now >= c.exp) return { ok: false, reason: 'expired' };
  return { ok: true, claims: c as StreamTokenClaims };
}

/** The token of a request: `?token=` (browsers cannot set headers on a WebSocket) or `Authorization: Bearer`. */
export function tokenOfRequest(url: URL, authorization: string | undefined): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match?.[1];
}
