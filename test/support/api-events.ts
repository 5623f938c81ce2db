import type { APIGatewayProxyEvent } from 'aws-lambda';
import { matchRoute } from '../../lambdas/api/routes';

export const LOCAL_ACCOUNT = '000000000000';
export const READER_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:user/test-reader`;
export const ADMIN_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:user/test-admin`;

export interface ApiEventInput {
  method: string;
  /** Concrete path with its query, e.g. `/v1/rates?sort=change_5m`. */
  path: string;
  caller?: string | null;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A REST API proxy event as API Gateway builds it after matching the route:
 * `resource` is the route's template, `pathParameters` decoded. Bodies that are
 * not strings are sent as JSON with Content-Type application/json.
 */
export function apiEvent(input: ApiEventInput): APIGatewayProxyEvent {
  const url = new URL(input.path, 'http://api.local');
  const matched = matchRoute(input.method, url.pathname);
  const resource = matched && matched !== 'method-not-allowed' ? matched.route.path : url.pathname;
  const pathParameters = matched && matched !== 'method-not-allowed' && Object.keys(matched.pathParameters).length > 0 ? matched.pathParameters : null;
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (multiValueQuery[name] ??= []).push(value);
  const hasQuery = Object.keys(multiValueQuery).length > 0;
  const headers: Record<string, string> = { ...(input.body !== undefined && typeof input.body !== 'string' ? { 'Content-Type': 'application/json' } : {}), ...input.headers };
  const body = input.body === undefined ? null : typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  return {
    resource,
    path: url.pathname,
    httpMethod: input.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: hasQuery ? Object.fromEntries(Object.entries(multiValueQuery).map(([k, v]) => [k, v[v.length - 1]!])) : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'test',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: input.method,
      identity: {
        accessKey: 'AKIATEST',
        accountId: LOCAL_ACCOUNT,
        apiKey: null,
        apiKeyId: null,
        caller: input.caller ?? null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: input.caller ?? null,
        userAgent: 'jest',
        userArn: input.caller === undefined ? ADMIN_ARN : input.caller,
      },
      path: `/test${url.pathname}`,
      stage: 'test',
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'r',
      resourcePath: resource,
    },
  };
}
