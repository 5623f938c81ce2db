import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { ApiError, validationError, type ErrorDetail } from './errors';

/** Request headers by lower-case name; a repeated header keeps its values joined by ", " (RFC 9110). */
export function normalizeHeaders(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>): Map<string, string> {
  const headers = new Map<string, string>();
  if (event.multiValueHeaders) {
    for (const [name, values] of Object.entries(event.multiValueHeaders)) if (values && values.length > 0) headers.set(name.toLowerCase(), values.join(', '));
  }
  if (event.headers) {
    for (const [name, value] of Object.entries(event.headers)) if (value !== undefined && !headers.has(name.toLowerCase())) headers.set(name.toLowerCase(), value);
  }
  return headers;
}

/** The query as single values; a parameter given twice is refused rather than silently picking one. */
export function singleValueQuery(event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>): Record<string, string> {
  const query: Record<string, string> = {};
  const repeated: ErrorDetail[] = [];
  if (event.multiValueQueryStringParameters) {
    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters)) {
      if (!values || values.length === 0) continue;
      if (values.length > 1) repeated.push({ field: `query.${name}`, reason: 'given more than once' });
      query[name] = values[0]!;
    }
  } else if (event.queryStringParameters) {
    for (const [name, value] of Object.entries(event.queryStringParameters)) if (value !== undefined) query[name] = value;
  }
  if (repeated.length > 0) throw validationError(repeated);
  return query;
}

/** zod issues as `{ field, reason }`, one per unknown key too, so a client can point at each. */
export function issuesToDetails(location: 'body' | 'query' | 'path', error: z.ZodError): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    const base = [location, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ field: `${base}.${key}`, reason: 'unknown field' });
    } else {
      details.push({ field: base, reason: issue.message });
    }
  }
  return details;
}

export function parseWith<S extends z.ZodType>(schema: S, location: 'body' | 'query' | 'path', input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(issuesToDetails(location, result.error));
  return result.data;
}

/** The JSON body, within `maxBytes`, as `application/json`. */
export function readJsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, headers: Map<string, string>, maxBytes: number): unknown {
  if (event.body === null || event.body === undefined || event.body === '') {
    throw validationError([{ field: 'body', reason: 'a JSON body is required' }]);
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > maxBytes) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The body is ${raw.length} bytes; at most ${maxBytes} are accepted`);
  const contentType = headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the body as Content-Type: application/json (got '${contentType || 'none'}')`);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (cause) {
    throw new ApiError(400, 'INVALID_JSON', 'The body is not valid JSON', { details: [{ field: 'body', reason: 'not valid JSON' }], cause });
  }
}

/** `"12"`, `W/"12"` and lists of them as versions; `*` as any. */
export function parseEntityTags(header: string | undefined, name: 'if-match' | 'if-none-match'): number[] | '*' | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '*') return '*';
  const versions: number[] = [];
  for (const part of trimmed.split(',')) {
    const match = /^(?:W\/)?"([0-9]{1,18})"$/.exec(part.trim());
    if (!match) throw validationError([{ field: `header.${name}`, reason: 'an ETag this API returned, e.g. "42" (quotes included), or *' }]);
    versions.push(Number(match[1]));
  }
  return versions;
}

export const etagOf = (version: number): string => `"${version}"`;

const BASE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  // Configuration and live rates must not be served stale from a cache in between.
  'Cache-Control': 'no-store',
};

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A CSV body (history exports): no JSON envelope, the metadata in headers. */
export function csvResponse(body: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: 200, headers: { ...BASE_HEADERS, 'Content-Type': 'text/csv; charset=utf-8', ...headers }, body };
}

export function notModified(etag: string): APIGatewayProxyResult {
  return { statusCode: 304, headers: { ETag: etag, 'Cache-Control': 'no-store' }, body: '' };
}

export function errorResponse(error: ApiError, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return jsonResponse(error.status, { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } }, headers);
}
