import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GatewayError, gatewayErrorBody } from './errors';
import { SignatureError } from './sigv4';

/** What API Gateway makes of a Lambda proxy result: status, merged headers, body bytes. */
export interface ProxyResponse {
  statusCode: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

// Framing is the gateway's job; a handler's values for these would be wrong for the bytes actually sent.
const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

function malformed(reason: string): GatewayError {
  // API Gateway answers a malformed proxy result with a plain 502 and logs "Malformed Lambda proxy response".
  return new GatewayError('INTERNAL_ERROR', 'Internal server error', { cause: new Error(`Malformed Lambda proxy response: ${reason}`) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isScalar = (value: unknown): value is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof value);

/**
 * Validates a handler's result and turns it into a response the way the REST
 * proxy integration does: `multiValueHeaders` and `headers` merged (the
 * multi-value list wins for a name in both), a base64 body decoded,
 * `Content-Type: application/json` when the handler set none.
 * Throws GatewayError INTERNAL_ERROR (502) for a malformed result.
 */
export function toProxyResponse(result: unknown): ProxyResponse {
  if (!isRecord(result)) throw malformed('the result is not an object');
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) throw malformed(`statusCode ${String(statusCode)}`);
  if (body !== undefined && body !== null && typeof body !== 'string') throw malformed('body is not a string');
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== 'boolean') throw malformed('isBase64Encoded is not a boolean');

  const merged = new Map<string, { name: string; values: string[] }>();
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (!isRecord(multiValueHeaders)) throw malformed('multiValueHeaders is not an object');
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (!Array.isArray(values) || !values.every(isScalar)) throw malformed(`multiValueHeaders.${name} is not a list of strings`);
      merged.set(name.toLowerCase(), { name, values: values.map(String) });
    }
  }
  if (headers !== undefined && headers !== null) {
    if (!isRecord(headers)) throw malformed('headers is not an object');
    for (const [name, value] of Object.entries(headers)) {
      if (!isScalar(value)) throw malformed(`headers.${name} is not a string`);
      if (!merged.has(name.toLowerCase())) merged.set(name.toLowerCase(), { name, values: [String(value)] });
    }
  }

  const out: OutgoingHttpHeaders = {};
  for (const [key, { name, values }] of merged) {
    if (HOP_BY_HOP.has(key)) continue;
    out[name] = values.length === 1 ? values[0] : values;
  }
  if (!merged.has('content-type')) out['Content-Type'] = 'application/json';
  const text = typeof body === 'string' ? body : '';
  return { statusCode, headers: out, body: isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') };
}

/** Headers API Gateway adds to every response, its own and the integration's. */
export function gatewayHeaders(requestId: string, extendedRequestId: string): OutgoingHttpHeaders {
  return { 'x-amzn-RequestId': requestId, 'x-amz-apigw-id': extendedRequestId };
}

export function gatewayErrorResponse(error: GatewayError): ProxyResponse {
  return { statusCode: error.statusCode, headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorTypeOf(error) }, body: Buffer.from(gatewayErrorBody(error), 'utf8') };
}

/** The `x-amzn-ErrorType` API Gateway sends with its own errors. */
function errorTypeOf(error: GatewayError): string {
  switch (error.code) {
    case 'MISSING_AUTHENTICATION_TOKEN':
      return 'MissingAuthenticationTokenException';
    case 'INVALID_SIGNATURE':
      if (!(error instanceof SignatureError)) return 'InvalidSignatureException';
      if (error.reason === 'unknown-key' || error.reason === 'security-token') return 'UnrecognizedClientException';
      return error.reason === 'malformed' ? 'IncompleteSignatureException' : 'InvalidSignatureException';
    case 'ACCESS_DENIED':
      return 'AccessDeniedException';
    case 'REQUEST_TOO_LARGE':
      return 'RequestTooLargeException';
    case 'INTEGRATION_TIMEOUT':
      return 'IntegrationTimeoutException';
    default:
      return 'InternalServerErrorException';
  }
}

/** Writes a response once; a response that can no longer be written (client gone, headers sent) is left alone. */
export function writeResponse(res: ServerResponse, response: ProxyResponse, extraHeaders: OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(response.statusCode, { ...response.headers, ...extraHeaders });
  res.end(response.body);
}
