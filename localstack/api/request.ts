import type { IncomingMessage } from 'node:http';
import { GatewayError } from './errors';

/** API Gateway REST APIs refuse payloads above 10 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** One request header as received: the client's spelling of the name and every value, in order. */
export interface HeaderField {
  name: string;
  values: string[];
}

/** Request headers keyed by lower-case name. */
export type Headers = Map<string, HeaderField>;

/**
 * Groups Node's raw header list by name. `req.headers` is not usable for
 * signatures: Node drops duplicates of some headers and lower-cases names, while
 * SigV4 signs every value and API Gateway passes the client's spelling on.
 */
export function collectHeaders(rawHeaders: readonly string[]): Headers {
  const headers: Headers = new Map();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const key = name.toLowerCase();
    const field = headers.get(key);
    if (field) field.values.push(rawHeaders[i + 1]!);
    else headers.set(key, { name, values: [rawHeaders[i + 1]!] });
  }
  return headers;
}

export function headerValue(headers: Headers, name: string): string | undefined {
  return headers.get(name)?.values[0];
}

/** Splits a request target into its raw path and raw query, both as sent. */
export function splitTarget(target: string): { path: string; query: string } {
  const mark = target.indexOf('?');
  return mark === -1 ? { path: target, query: '' } : { path: target.slice(0, mark), query: target.slice(mark + 1) };
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A stray `%` is kept as sent rather than failing the request here.
    return text;
  }
}

/**
 * Decoded `[name, value]` pairs in the order sent, repeated names kept. `+` stays
 * a plus sign: SigV4 clients encode a space as `%20`, and the signature is
 * computed over the decoded values, so reading `+` as a space would change them.
 */
export function parseQuery(raw: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const piece of raw.split('&')) {
    if (piece.length === 0) continue;
    const eq = piece.indexOf('=');
    const name = decodeComponent(eq === -1 ? piece : piece.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(piece.slice(eq + 1));
    if (name.length > 0) pairs.push([name, value]);
  }
  return pairs;
}

export function payloadTooLarge(): GatewayError {
  return new GatewayError('REQUEST_TOO_LARGE', 'Request Too Long');
}

/** True when the declared Content-Length alone is above the cap, so the body need not be read at all. */
export function declaresTooLargeBody(req: IncomingMessage, maxBytes: number): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > maxBytes;
}

/**
 * Reads the whole body, never holding more than `maxBytes`: past the cap it
 * rejects with REQUEST_TOO_LARGE and drops whatever else arrives.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        settle(() => reject(payloadTooLarge()));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => settle(() => resolve(Buffer.concat(chunks, size))));
    req.once('error', (error) => settle(() => reject(error)));
    req.once('close', () => settle(() => reject(new Error('client closed the connection before the body was complete'))));
  });
}
