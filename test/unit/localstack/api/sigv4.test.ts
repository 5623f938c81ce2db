import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { collectHeaders, formatAmzDate, parseAmzDate, SignatureError, signRequest, SigV4Verifier, splitTarget, type SignedRequest, type VerifierKey } from '../../../../localstack/api';

const REGION = 'us-east-1';
const HOST = '127.0.0.1:3000';
const SIGNED_AT = new Date('2026-01-15T10:20:30Z');
const reader: VerifierKey & { name: string } = { name: 'reader', accessKeyId: 'AKIALOCALREADER00001', secretAccessKey: 'reader-secret-reader-secret-reader-secret' };
const admin: VerifierKey & { name: string } = { name: 'admin', accessKeyId: 'AKIALOCALADMIN000001', secretAccessKey: 'admin/secret+admin/secret+admin/secret+00' };

interface Signed {
  method: string;
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

async function sign(input: { method?: string; target: string; body?: string; headers?: Record<string, string>; key?: VerifierKey; region?: string; service?: string; at?: Date; applyChecksum?: boolean }): Promise<Signed> {
  const method = input.method ?? 'GET';
  const body = input.body === undefined ? undefined : Buffer.from(input.body);
  const headers = await signRequest({
    method,
    url: `http://${HOST}${input.target}`,
    headers: input.headers,
    body,
    credentials: input.key ?? reader,
    region: input.region ?? REGION,
    service: input.service,
    signingDate: input.at ?? SIGNED_AT,
    applyChecksum: input.applyChecksum,
  });
  return { method, target: input.target, headers, body: body ?? Buffer.alloc(0) };
}

/** What the gateway reads off the wire for a request. */
function received(request: Signed): SignedRequest {
  const raw = Object.entries(request.headers).flatMap(([name, value]) => [name, value]);
  const { path, query } = splitTarget(request.target);
  return { method: request.method, path, query, headers: collectHeaders(raw), body: request.body };
}

function verifier(now: number = SIGNED_AT.getTime()) {
  return new SigV4Verifier({ keys: [reader, admin], region: REGION, now: () => now });
}

async function refusal(promise: Promise<unknown>): Promise<SignatureError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignatureError) return error;
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('SigV4Verifier', () => {
  describe('accepts', () => {
    it('a GET signed by the AWS SDK signer and returns the key that signed it', async () => {
      // Prepare
      const request = await sign({ target: '/v1/symbols/binance/BTCUSDT', key: admin });

      // Act
      const key = await verifier().verify(received(request));

      // Assert
      expect(key).toBe(admin);
    });

    it('a PUT with a JSON body and x-amz-content-sha256, as the SDK sends it', async () => {
      // Prepare
      const request = await sign({ method: 'PUT', target: '/v1/symbols/binance/BTCUSDT', body: '{"enabled":true}', headers: { 'content-type': 'application/json' }, key: admin });

      // Act
      const key = await verifier().verify(received(request));

      // Assert
      expect(request.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(key).toBe(admin);
    });

    it('a body signed without x-amz-content-sha256 (curl does not send it)', async () => {
      // Prepare
      const request = await sign({ method: 'PATCH', target: '/v1/settings', body: '{"persistIntervalMs":500}', applyChecksum: false });

      // Act
      const key = await verifier().verify(received(request));

      // Assert
      expect(request.headers['x-amz-content-sha256']).toBeUndefined();
      expect(key).toBe(reader);
    });

    it('a query in any order on the wire, with repeated names and escaped values', async () => {
      // Prepare: the signer sorts; the wire keeps the client's order.
      const target = '/v1/history/binance/BTCUSDT?to=2026-01-15T10%3A00%3A00Z&from=2026-01-15T09%3A00%3A00Z&x=b&x=a&empty=';
      const request = await sign({ target });

      // Act
      const key = await verifier().verify(received(request));

      // Assert
      expect(key).toBe(reader);
    });

    it('a request made exactly 5 minutes before or after the gateway clock', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates' });

      // Act
      const late = await verifier(SIGNED_AT.getTime() + 5 * 60_000).verify(received(request));
      const early = await verifier(SIGNED_AT.getTime() - 5 * 60_000).verify(received(request));

      // Assert
      expect([late, early]).toEqual([reader, reader]);
    });

    it('changes to headers that were not signed', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates' });
      request.headers['user-agent'] = 'changed/1.0';

      // Act
      const key = await verifier().verify(received(request));

      // Assert
      expect(key).toBe(reader);
    });

    it('a path with percent-escapes signed as the AWS SDKs sign it (each segment encoded once more)', async () => {
      // Prepare
      const request = await sign({ target: '/v1/symbols/binance/BTC%2DUSDT' });

      // Act
      const key = await verifier().verify(received(request));

      // Assert
      expect(key).toBe(reader);
    });
  });

  describe('refuses', () => {
    it.each([
      ['body', (r: Signed) => ({ ...r, body: Buffer.from('{"enabled":false}') })],
      ['path', (r: Signed) => ({ ...r, target: '/v1/symbols/binance/ETHUSDT' })],
      ['query', (r: Signed) => ({ ...r, target: '/v1/symbols/binance/BTCUSDT?x=2' })],
      ['method', (r: Signed) => ({ ...r, method: 'DELETE' })],
      ['signed header', (r: Signed) => ({ ...r, headers: { ...r.headers, 'content-type': 'text/plain' } })],
    ])('a request whose %s changed after signing', async (_what, tamper) => {
      // Prepare
      const request = await sign({ method: 'PUT', target: '/v1/symbols/binance/BTCUSDT?x=1', body: '{"enabled":true}', headers: { 'content-type': 'application/json' }, applyChecksum: false });

      // Act
      const error = await refusal(verifier().verify(received(tamper(request))));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'mismatch', statusCode: 403 });
      expect(error.message).toBe(
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
      expect(error.diagnostics?.canonicalRequest).toContain('host;');
      expect(error.diagnostics?.stringToSign).toMatch(/^AWS4-HMAC-SHA256\n20260115T102030Z\n20260115\/us-east-1\/execute-api\/aws4_request\n[0-9a-f]{64}$/);
    });

    it('a body that does not match its signed x-amz-content-sha256', async () => {
      // Prepare
      const request = await sign({ method: 'PUT', target: '/v1/symbols/binance/BTCUSDT', body: '{"enabled":true}' });

      // Act
      const error = await refusal(verifier().verify(received({ ...request, body: Buffer.from('{"enabled":false}') })));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'payload-hash' });
    });

    it('a request signed with the wrong secret', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates', key: { accessKeyId: reader.accessKeyId, secretAccessKey: 'not-the-secret-not-the-secret-not-the-se' } });

      // Act
      const error = await refusal(verifier().verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'mismatch' });
    });

    it('an unknown access key, in API Gateway words', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates', key: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: reader.secretAccessKey } });

      // Act
      const error = await refusal(verifier().verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'unknown-key', message: 'The security token included in the request is invalid.' });
    });

    it('a session token, which no local key has', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates', key: { ...reader, sessionToken: 'token' } as VerifierKey });

      // Act
      const error = await refusal(verifier().verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'security-token', message: 'The security token included in the request is invalid.' });
    });

    it('a credential scoped to another region', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates', region: 'eu-west-1' });

      // Act
      const error = await refusal(verifier().verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'scope', message: "Credential should be scoped to a valid region, not 'eu-west-1'." });
    });

    it('a credential scoped to another service', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates', service: 'lambda' });

      // Act
      const error = await refusal(verifier().verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'scope', message: "Credential should be scoped to correct service: 'execute-api'." });
    });

    it('a credential scope date other than the X-Amz-Date day', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates' });
      request.headers['x-amz-date'] = '20260116T102030Z';

      // Act
      const error = await refusal(verifier(Date.parse('2026-01-16T10:20:30Z')).verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'scope' });
      expect(error.message).toBe("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260115' != '20260116', from '20260116T102030Z'.");
    });

    it('a request signed more than 5 minutes ago', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates' });

      // Act
      const error = await refusal(verifier(SIGNED_AT.getTime() + 5 * 60_000 + 1000).verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'expired' });
      expect(error.message).toBe('Signature expired: 20260115T102030Z is now earlier than 20260115T102031Z (20260115T102531Z - 5 min.)');
    });

    it('a request dated more than 5 minutes ahead', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates' });

      // Act
      const error = await refusal(verifier(SIGNED_AT.getTime() - 5 * 60_000 - 1000).verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'not-yet-valid' });
      expect(error.message).toBe('Signature not yet current: 20260115T102030Z is still later than 20260115T102029Z (20260115T101529Z + 5 min.)');
    });

    it('a request without Authorization as unauthenticated, not as badly signed', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates' });
      delete request.headers.authorization;

      // Act
      const error = await refusal(verifier().verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'MISSING_AUTHENTICATION_TOKEN', reason: 'missing', message: 'Missing Authentication Token', statusCode: 403 });
    });

    it.each([
      ['another scheme', 'Bearer abc'],
      ['no Signature', 'AWS4-HMAC-SHA256 Credential=AKIALOCALREADER00001/20260115/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date'],
      ['a pair without =', 'AWS4-HMAC-SHA256 Credential'],
      ['a short Credential', 'AWS4-HMAC-SHA256 Credential=AKIALOCALREADER00001/20260115/us-east-1, SignedHeaders=host;x-amz-date, Signature=00'],
    ])('a malformed Authorization header: %s', async (_what, authorization) => {
      // Prepare
      const request = await sign({ target: '/v1/rates' });
      request.headers.authorization = authorization;

      // Act
      const error = await refusal(verifier().verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'malformed' });
    });

    it('a request without X-Amz-Date', async () => {
      // Prepare
      const request = await sign({ target: '/v1/rates' });
      delete request.headers['x-amz-date'];

      // Act
      const error = await refusal(verifier().verify(received(request)));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'malformed' });
    });

    it('a signature that does not cover the host header', async () => {
      // Prepare: sign with the SDK signer directly, without a host header.
      const signer = new SignatureV4({ service: 'execute-api', region: REGION, credentials: reader, sha256: Sha256 });
      const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', path: '/v1/rates', headers: {} }, { signingDate: SIGNED_AT });
      const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, String(v)]));

      // Act
      const error = await refusal(verifier().verify(received({ method: 'GET', target: '/v1/rates', headers: { ...headers, host: HOST }, body: Buffer.alloc(0) })));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'unsigned-header', message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." });
    });

    it('a path signed without the second encoding of its escapes', async () => {
      // Prepare: a signer that does not re-encode the path, as curl 7.88 does not.
      const signer = new SignatureV4({ service: 'execute-api', region: REGION, credentials: reader, sha256: Sha256, uriEscapePath: false });
      const path = '/v1/symbols/binance/BTC%2DUSDT';
      const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', path, headers: { host: HOST } }, { signingDate: SIGNED_AT });
      const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, String(v)]));

      // Act
      const error = await refusal(verifier().verify(received({ method: 'GET', target: path, headers, body: Buffer.alloc(0) })));

      // Assert
      expect(error).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'mismatch' });
      expect(error.diagnostics?.canonicalRequest).toContain('/v1/symbols/binance/BTC%252DUSDT');
    });
  });
});

describe('X-Amz-Date', () => {
  it('round-trips the ISO-8601 basic format', () => {
    // Act
    const parsed = parseAmzDate('20260115T102030Z');

    // Assert
    expect(parsed?.toISOString()).toBe('2026-01-15T10:20:30.000Z');
    expect(formatAmzDate(parsed!)).toBe('20260115T102030Z');
  });

  it.each(['2026-01-15T10:20:30Z', '20260231T000000Z', '20260115T102030', ''])('rejects %j', (value) => {
    // Act
    const parsed = parseAmzDate(value);

    // Assert
    expect(parsed).toBeUndefined();
  });
});
