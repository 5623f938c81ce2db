import type { APIGatewayProxyEvent } from 'aws-lambda';
import { matchRoute } from '../../lambdas/api/routes';
import { buildProxyEvent, collectHeaders } from '../../localstack/api';

export const LOCAL_ACCOUNT = '000000000000';
export const READER_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:user/test-reader`;
export const ADMIN_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:user/test-admin`;

export interface ApiEventInput {
  method: string;
  /** Concrete path with its query, e.g. `/v1/rates?sort=change_5m`; must match a route. */
  path: string;
  /** Default the admin; `null` for a request without a caller identity. */
  caller?: string | null;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * The proxy event API Gateway sends after matching and authorising a request,
 * built by the local gateway's own builder, so handler tests see what the
 * gateway (and AWS) sends. Bodies that are not strings go as JSON with
 * Content-Type application/json.
 */
export function apiEvent(input: ApiEventInput): APIGatewayProxyEvent {
  const url = new URL(input.path, 'http://api.local');
  const matched = matchRoute(input.method, url.pathname);
  if (!matched || matched === 'method-not-allowed') throw new Error(`${input.method} ${url.pathname} matches no route`);
  const headerValues: Record<string, string> = { ...(input.body !== undefined && typeof input.body !== 'string' ? { 'Content-Type': 'application/json' } : {}), ...input.headers };
  const body = input.body === undefined ? '' : typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const callerArn = input.caller === undefined ? ADMIN_ARN : input.caller;
  const event = buildProxyEvent({
    gateway: { accountId: LOCAL_ACCOUNT, apiId: 'test', stage: 'test' },
    route: matched.route,
    pathParameters: matched.pathParameters,
    method: input.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers: collectHeaders(Object.entries(headerValues).flat()),
    body: Buffer.from(body, 'utf8'),
    caller: { accessKeyId: 'AKIATEST', principalArn: callerArn ?? ADMIN_ARN },
    sourceIp: '127.0.0.1',
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    extendedRequestId: 'test',
    receivedAt: Date.now(),
  });
  if (callerArn === null) event.requestContext.identity.userArn = null;
  return event;
}
