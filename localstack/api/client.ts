import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseQuery } from './request';
import { EXECUTE_API_SERVICE } from './sigv4';

/**
 * Client side of the local gateway, for tests and scripts: signs a request with
 * the AWS SDK's signer exactly as an SDK client calling the real API would.
 */

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RequestToSign {
  method: string;
  url: string | URL;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  credentials: SigningCredentials;
  region: string;
  service?: string;
  /** Default now; tests sign in the past or future to exercise the clock check. */
  signingDate?: Date;
  /** Default true: send x-amz-content-sha256, as the SDK does. */
  applyChecksum?: boolean;
}

/** The headers to send: the given ones plus host, x-amz-date, authorization (and x-amz-content-sha256). */
export async function signRequest(input: RequestToSign): Promise<Record<string, string>> {
  const url = new URL(input.url);
  // The query is signed as the gateway will read it off the wire (`+` is a plus), not as URLSearchParams would.
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of parseQuery(url.search.slice(1))) {
    const existing = query[name];
    query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const signer = new SignatureV4({
    service: input.service ?? EXECUTE_API_SERVICE,
    region: input.region,
    credentials: input.credentials,
    sha256: Sha256,
    applyChecksum: input.applyChecksum ?? true,
  });
  const signed = await signer.sign(
    {
      method: input.method.toUpperCase(),
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { host: url.host, ...input.headers },
      body: input.body,
    },
    { signingDate: input.signingDate },
  );
  return Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name, String(value)]));
}

/** `fetch` with a SigV4 signature; `url` keeps its query exactly as given. */
export async function signedFetch(
  url: string | URL,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array },
  signing: { credentials: SigningCredentials; region: string; signingDate?: Date },
): Promise<Response> {
  const method = init.method ?? 'GET';
  const headers = await signRequest({ method, url, headers: init.headers, body: init.body, ...signing });
  // fetch sets Host from the URL itself and refuses to be told.
  delete headers.host;
  return fetch(url, { method, headers, body: init.body });
}
