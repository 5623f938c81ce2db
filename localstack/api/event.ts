import { createHash, randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { RouteDefinition } from '../../lambdas/api/routes';
import { parseQuery, type Headers } from './request';

/**
 * Builds the REST API (payload version 1.0) Lambda proxy event API Gateway would
 * send for a request it has matched and authorised, so the handler sees locally
 * exactly the shape it sees in AWS.
 */

export interface GatewayIdentity {
  /** Where the API lives, as the execute-api ARN would say. */
  accountId: string;
  apiId: string;
  stage: string;
}

export interface Caller {
  accessKeyId: string;
  principalArn: string;
}

export interface ProxyEventInput {
  gateway: GatewayIdentity;
  route: RouteDefinition;
  /** Decoded values of the route's `{param}` segments. */
  pathParameters: Record<string, string>;
  method: string;
  /** The path as sent (without the stage, as `event.path` has it). */
  path: string;
  /** The query as sent, without `?`. */
  query: string;
  headers: Headers;
  body: Buffer;
  caller: Caller;
  sourceIp: string;
  requestId: string;
  /** API Gateway's `x-amz-apigw-id`. */
  extendedRequestId: string;
  /** Milliseconds since the epoch when the gateway received the request. */
  receivedAt: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime`: `09/Apr/2015:12:34:56 +0000`. */
export function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A stable 6-character resource id per route path, like API Gateway's. */
export function resourceIdOf(resourcePath: string): string {
  return digest(resourcePath).toString('hex').slice(0, 6);
}

/** A stable IAM unique id (`AIDA` + 17) for a principal: `identity.caller` / `identity.user` of an IAM user. */
export function iamUserIdOf(principalArn: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = 'AIDA';
  for (const byte of digest(principalArn).subarray(0, 17)) id += alphabet[byte % 32];
  return id;
}

/** `X-Amzn-Trace-Id` root: `1-<epoch seconds hex>-<24 hex>`. */
export function traceIdOf(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as a string, or base64 when it is not valid UTF-8 (what binary media types get in AWS). */
export function encodeBody(body: Buffer): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  try {
    return { body: utf8.decode(body), isBase64Encoded: false };
  } catch {
    return { body: body.toString('base64'), isBase64Encoded: true };
  }
}

/**
 * Single- and multi-value maps as API Gateway fills them: the single-value map
 * keeps the last value of a repeated name, the multi-value map every value in
 * order; both null when there is nothing.
 */
export function valueMaps(entries: ReadonlyArray<readonly [string, string]>): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  if (entries.length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of entries) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

function forwardedHeaders(input: ProxyEventInput): Array<[string, string]> {
  // API Gateway adds these before calling the integration; handlers that log or rate-limit by them see the same names.
  const entries: Array<[string, string]> = [];
  for (const field of input.headers.values()) for (const value of field.values) entries.push([field.name, value]);
  const without = (name: string) => {
    for (let i = entries.length - 1; i >= 0; i -= 1) if (entries[i]![0].toLowerCase() === name) entries.splice(i, 1);
  };
  const forwardedFor = input.headers.get('x-forwarded-for')?.values.join(', ');
  without('x-forwarded-for');
  entries.push(['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${input.sourceIp}` : input.sourceIp]);
  without('x-forwarded-proto');
  entries.push(['X-Forwarded-Proto', 'http']);
  if (!input.headers.has('x-amzn-trace-id')) entries.push(['X-Amzn-Trace-Id', traceIdOf(input.receivedAt)]);
  return entries;
}

export function buildProxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const headers = valueMaps(forwardedHeaders(input));
  const query = valueMaps(parseQuery(input.query));
  const host = input.headers.get('host')?.values[0] ?? 'localhost';
  const userId = iamUserIdOf(input.caller.principalArn);
  const { body, isBase64Encoded } = encodeBody(input.body);
  const hasPathParameters = Object.keys(input.pathParameters).length > 0;
  return {
    resource: input.route.path,
    path: input.path,
    httpMethod: input.method,
    headers: headers.single ?? {},
    multiValueHeaders: headers.multi ?? {},
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: hasPathParameters ? { ...input.pathParameters } : null,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: input.gateway.accountId,
      apiId: input.gateway.apiId,
      authorizer: null,
      domainName: host,
      domainPrefix: host.split(/[.:]/)[0],
      extendedRequestId: input.extendedRequestId,
      httpMethod: input.method,
      identity: {
        accessKey: input.caller.accessKeyId,
        accountId: input.gateway.accountId,
        apiKey: null,
        apiKeyId: null,
        caller: userId,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp,
        user: userId,
        userAgent: input.headers.get('user-agent')?.values[0] ?? null,
        userArn: input.caller.principalArn,
      },
      path: `/${input.gateway.stage}${input.path}`,
      protocol: 'HTTP/1.1',
      requestId: input.requestId,
      requestTime: formatRequestTime(input.receivedAt),
      requestTimeEpoch: input.receivedAt,
      resourceId: resourceIdOf(input.route.path),
      resourcePath: input.route.path,
      stage: input.gateway.stage,
    },
  };
}

/** A Lambda context for the handler; the deadline is the gateway's integration timeout. */
export function buildLambdaContext(requestId: string, functionName: string, region: string, accountId: string, deadline: number, now: () => number): Context {
  const fail = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
