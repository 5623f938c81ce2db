import { signStreamToken, TokenSecretError, tokenOfRequest, verifyStreamToken } from '../../../services/gateway/tokens';

const KEY = 'k'.repeat(32);
const OLD_KEY = 'o'.repeat(40);
const NOW = 1_700_000_000_000;

describe('stream tokens', () => {
  it('verifies a token it signed until it expires', () => {
    // Prepare
    const { token, expiresAt } = signStreamToken({ secret: KEY, ttlMs: 60_000, subject: 'reader', now: NOW });

    // Act
    const valid = verifyStreamToken(token, [KEY], NOW + 59_999);
    const expired = verifyStreamToken(token, [KEY], NOW + 60_000);

    // Assert
    expect(valid).toMatchObject({ ok: true, claims: { exp: NOW + 60_000, iat: NOW, sub: 'reader' } });
    expect(expired).toEqual({ ok: false, reason: 'expired' });
    expect(expiresAt).toBe(new Date(NOW + 60_000).toISOString());
  });

  it('accepts tokens of the previous key during a rotation, and refuses them once it is gone', () => {
    // Prepare
    const { token } = signStreamToken({ secret: OLD_KEY, ttlMs: 60_000, now: NOW });

    // Act
    const during = verifyStreamToken(token, [KEY, OLD_KEY], NOW);
    const after = verifyStreamToken(token, [KEY], NOW);

    // Assert
    expect(during.ok).toBe(true);
    expect(after).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses a token whose payload was changed (a later expiry)', () => {
    // Prepare
    const { token } = signStreamToken({ secret: KEY, ttlMs: 1000, now: NOW });
    const [version, , sig] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ exp: NOW + 1e9, iat: NOW, jti: 'x' })).toString('base64url');

    // Act
    const check = verifyStreamToken(`${version}.${payload}.${sig}`, [KEY], NOW);

    // Assert
    expect(check).toEqual({ ok: false, reason: 'forged' });
  });

  it.each([
    ['missing', undefined, 'missing'],
    ['empty', '', 'missing'],
    ['one part', 'abc', 'malformed'],
    ['another version', 'v2.abc.def', 'malformed'],
    ['not base64url', 'v1.a+b.c/d', 'malformed'],
    ['a short signature', 'v1.abc.def', 'forged'],
    ['far too long', `v1.${'a'.repeat(2000)}.b`, 'malformed'],
  ])('refuses a %s token', (_name, token, reason) => {
    // Act / Assert
    expect(verifyStreamToken(token, [KEY], NOW)).toEqual({ ok: false, reason });
  });

  it('refuses signing keys under 32 characters and lifetimes out of bounds', () => {
    // Act / Assert
    expect(() => signStreamToken({ secret: 'short', ttlMs: 60_000 })).toThrow(TokenSecretError);
    expect(() => signStreamToken({ secret: KEY, ttlMs: 48 * 3600_000 })).toThrow(TokenSecretError);
  });

  it('takes the token from ?token= or from Authorization: Bearer', () => {
    // Act
    const fromQuery = tokenOfRequest(new URL('http://x/v1/stream?token=abc'), 'Bearer other');
    const fromHeader = tokenOfRequest(new URL('http://x/v1/stream'), 'Bearer abc');
    const none = tokenOfRequest(new URL('http://x/v1/stream'), 'Basic abc');

    // Assert
    expect([fromQuery, fromHeader, none]).toEqual(['abc', 'abc', undefined]);
  });
});
