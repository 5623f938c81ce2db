import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { getCanonicalHeaders, prepareRequest, SignatureV4 } from '@smithy/signature-v4';
import { GatewayError } from './errors';
import { parseQuery, type Headers } from './request';

/**
 * Verifies AWS Signature Version 4 header signatures the way API Gateway does
 * for AWS_IAM methods, by signing the request again with the AWS SDK's own
 * signer (`@smithy/signature-v4`) and comparing. Only header-signed requests
 * (an `Authorization` header) are supported; presigned URLs are not.
 */

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const EXECUTE_API_SERVICE = 'execute-api';
/** API Gateway accepts request times up to 5 minutes away from its clock, either way. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

/** Why a signature was refused; the client only sees `code` and the message, logs and tests see this too. */
export type SignatureFailure =
  | 'missing'
  | 'malformed'
  | 'unknown-key'
  | 'security-token'
  | 'scope'
  | 'unsigned-header'
  | 'expired'
  | 'not-yet-valid'
  | 'payload-hash'
  | 'mismatch';

export interface SignatureDiagnostics {
  /** What the gateway signed; compare it with the client's canonical request to find the difference. */
  canonicalRequest: string;
  stringToSign: string;
}

export class SignatureError extends GatewayError {
  declare readonly code: 'MISSING_AUTHENTICATION_TOKEN' | 'INVALID_SIGNATURE';
  readonly reason: SignatureFailure;
  readonly diagnostics?: SignatureDiagnostics;

  constructor(reason: SignatureFailure, message: string, options?: { cause?: unknown; diagnostics?: SignatureDiagnostics }) {
    super(reason === 'missing' ? 'MISSING_AUTHENTICATION_TOKEN' : 'INVALID_SIGNATURE', message, options);
    this.reason = reason;
    this.diagnostics = options?.diagnostics;
  }
}

export interface VerifierKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A request as received, before anything decoded or normalised it. */
export interface SignedRequest {
  method: string;
  /** The path as sent, percent-escapes intact, without the query. */
  path: string;
  /** The query as sent, without `?`; empty when none. */
  query: string;
  headers: Headers;
  body: Uint8Array;
}

export interface SigV4VerifierOptions<K extends VerifierKey> {
  keys: readonly K[];
  region: string;
  service?: string;
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
}

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  signedHeaders: string[];
  signature: string;
}

type SignableRequest = Parameters<SignatureV4['presign']>[0];

/** Exposes the canonical strings of a signing for diagnostics; the signature itself comes from `sign`. */
class DiagnosableSigner extends SignatureV4 {
  async diagnose(request: SignableRequest, signableHeaders: Set<string>, payloadHash: string, longDate: string, scope: string): Promise<SignatureDiagnostics> {
    // The same preparation as signing: generated headers dropped, then X-Amz-Date set from the signing date.
    const prepared = prepareRequest(request);
    prepared.headers['x-amz-date'] = longDate;
    const canonicalRequest = this.createCanonicalRequest(prepared, getCanonicalHeaders(prepared, undefined, signableHeaders), payloadHash);
    return { canonicalRequest, stringToSign: await this.createStringToSign(longDate, scope, canonicalRequest, SIGV4_ALGORITHM) };
  }
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `yyyyMMddTHHmmssZ` to a Date, or undefined when it is not one. */
export function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 20240231 over to March; a real timestamp survives the round trip.
  return formatAmzDate(date) === value ? date : undefined;
}

export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const space = header.indexOf(' ');
  const algorithm = space === -1 ? header : header.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new SignatureError('malformed', `Authorization header requires the '${SIGV4_ALGORITHM}' algorithm, got '${algorithm.slice(0, 40)}'.`);
  }
  const params = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const text = part.trim();
    if (text.length === 0) continue;
    const eq = text.indexOf('=');
    if (eq === -1) throw new SignatureError('malformed', `Invalid key=value pair (missing equal-sign) in Authorization header: '${text.slice(0, 60)}'.`);
    params.set(text.slice(0, eq).trim(), text.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((name) => !params.get(name));
  if (missing.length > 0) {
    throw new SignatureError('malformed', missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  }
  const credential = params.get('Credential')!.split('/');
  if (credential.length !== 5 || credential.some((part) => part.length === 0)) {
    throw new SignatureError('malformed', `Credential must have the form KEY/yyyyMMdd/REGION/SERVICE/aws4_request, got '${params.get('Credential')!.slice(0, 120)}'.`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = credential as [string, string, string, string, string];
  if (terminator !== 'aws4_request') {
    throw new SignatureError('scope', `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  }
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    signedHeaders: params.get('SignedHeaders')!.split(';'),
    signature: params.get('Signature')!,
  };
}

function canonicalQueryInput(rawQuery: string): Record<string, string | string[]> {
  // The signer encodes and sorts names and values itself, so it gets them decoded; repeated names stay lists.
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of parseQuery(rawQuery)) {
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[name] = [existing, value];
  }
  return query;
}

function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  // timingSafeEqual needs equal lengths; compare against itself to spend the same time.
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

export class SigV4Verifier<K extends VerifierKey> {
  private readonly keys: Map<string, K>;
  private readonly region: string;
  private readonly service: string;
  private readonly now: () => number;

  constructor(options: SigV4VerifierOptions<K>) {
    this.keys = new Map(options.keys.map((key) => [key.accessKeyId, key]));
    this.region = options.region;
    this.service = options.service ?? EXECUTE_API_SERVICE;
    this.now = options.now ?? Date.now;
  }

  /** Resolves to the key that signed the request; rejects with SignatureError. */
  async verify(request: SignedRequest): Promise<K> {
    const authorization = request.headers.get('authorization')?.values;
    if (!authorization) throw new SignatureError('missing', 'Missing Authentication Token');
    if (authorization.length !== 1) throw new SignatureError('malformed', 'Only one Authorization header is allowed.');
    const auth = parseAuthorization(authorization[0]!);

    const amzDate = request.headers.get('x-amz-date')?.values[0];
    if (amzDate === undefined) {
      throw new SignatureError('malformed', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    const signingDate = parseAmzDate(amzDate);
    if (!signingDate) throw new SignatureError('malformed', `X-Amz-Date must be in the ISO-8601 basic format yyyyMMdd'T'HHmmss'Z', got '${amzDate.slice(0, 40)}'.`);
    this.checkScope(auth, amzDate);
    this.checkSignedHeaders(auth.signedHeaders, request.headers);
    this.checkTime(signingDate, amzDate);

    if (request.headers.has('x-amz-security-token')) throw new SignatureError('security-token', INVALID_TOKEN);
    const key = this.keys.get(auth.accessKeyId);
    if (!key) throw new SignatureError('unknown-key', INVALID_TOKEN);

    const payloadHash = sha256Hex(request.body);
    const declaredHash = request.headers.get('x-amz-content-sha256')?.values[0];
    if (declaredHash !== undefined && declaredHash !== payloadHash) {
      // The signer would take the header's word for the body; API Gateway always hashes what arrived.
      throw new SignatureError('payload-hash', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }

    const signable = this.signableRequest(request, auth.signedHeaders);
    const signableHeaders = new Set(auth.signedHeaders);
    const signer = new DiagnosableSigner({
      service: this.service,
      region: this.region,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      sha256: Sha256,
      // The client chose whether to send x-amz-content-sha256; adding it here would sign a header it never signed.
      applyChecksum: false,
    });
    const signed = await signer.sign(signable, { signingDate, signableHeaders });
    const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
    if (!signaturesEqual(expected, auth.signature)) {
      const scope = `${auth.scopeDate}/${this.region}/${this.service}/aws4_request`;
      const diagnostics = await signer.diagnose(signable, signableHeaders, payloadHash, amzDate, scope);
      throw new SignatureError('mismatch', SIGNATURE_MISMATCH, { diagnostics });
    }
    return key;
  }

  private checkScope(auth: ParsedAuthorization, amzDate: string): void {
    if (auth.scopeDate !== amzDate.slice(0, 8)) {
      throw new SignatureError(
        'scope',
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      );
    }
    if (auth.scopeRegion !== this.region) throw new SignatureError('scope', `Credential should be scoped to a valid region, not '${auth.scopeRegion}'.`);
    if (auth.scopeService !== this.service) throw new SignatureError('scope', `Credential should be scoped to correct service: '${this.service}'.`);
  }

  private checkSignedHeaders(signedHeaders: string[], headers: Headers): void {
    if (!signedHeaders.includes('host')) throw new SignatureError('unsigned-header', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    // The signer always signs X-Amz-Date; a client that did not cannot be verified by re-signing.
    if (!signedHeaders.includes('x-amz-date')) throw new SignatureError('unsigned-header', "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
    const absent = signedHeaders.filter((name) => !headers.has(name));
    if (absent.length > 0) throw new SignatureError('unsigned-header', `Signed headers are missing from the request: ${absent.join(', ')}.`);
  }

  private checkTime(signingDate: Date, amzDate: string): void {
    const now = this.now();
    const nowText = formatAmzDate(new Date(now));
    if (signingDate.getTime() < now - MAX_CLOCK_SKEW_MS) {
      throw new SignatureError('expired', `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(new Date(now - MAX_CLOCK_SKEW_MS))} (${nowText} - 5 min.)`);
    }
    if (signingDate.getTime() > now + MAX_CLOCK_SKEW_MS) {
      throw new SignatureError('not-yet-valid', `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(new Date(now + MAX_CLOCK_SKEW_MS))} (${nowText} + 5 min.)`);
    }
  }

  /** The request as the client signed it: only its signed headers, the path and query as sent, the body as received. */
  private signableRequest(request: SignedRequest, signedHeaders: readonly string[]): SignableRequest {
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      // SigV4 joins repeated headers with commas, each value trimmed.
      headers[name] = request.headers.get(name)!.values.map((value) => value.trim()).join(',');
    }
    const host = headers.host ?? '';
    return {
      method: request.method.toUpperCase(),
      protocol: 'http:',
      hostname: host.replace(/:\d+$/, ''),
      path: request.path,
      query: canonicalQueryInput(request.query),
      headers,
      body: request.body,
    };
  }
}
