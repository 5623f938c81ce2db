import type { z } from 'zod';
import {
  deletedSymbolSchema,
  historyQuerySchema,
  historyResponseSchema,
  listRatesQuerySchema,
  listSymbolsQuerySchema,
  pairPathSchema,
  patchSettingsBodySchema,
  putSymbolBodySchema,
  rateListSchema,
  rateSchema,
  settingsSchema,
  statusResponseSchema,
  streamTokenBodySchema,
  streamTokenSchema,
  symbolConfigSchema,
  symbolListSchema,
} from './schemas';

/**
 * The one route table. The handler dispatches on it, the OpenAPI document is
 * generated from it, the CDK builds the API Gateway resources and the reader /
 * admin IAM policies from it, and the local gateway matches requests with it, so
 * none of those can drift from the others (test/unit/lambdas/api/routes.test.ts).
 *
 * This module must stay free of I/O imports: the CDK app imports it.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * `read` routes are open to readers and admins; `write` routes to admins only.
 * A route is `read` when it changes nothing the API stores: every GET, and
 * POST /v1/stream-tokens, which signs a token and stores nothing.
 */
export type RouteAccess = 'read' | 'write';

export type OperationId =
  | 'listSymbols'
  | 'getSymbol'
  | 'putSymbol'
  | 'deleteSymbol'
  | 'getSettings'
  | 'patchSettings'
  | 'getStatus'
  | 'listRates'
  | 'getRate'
  | 'getHistory'
  | 'createStreamToken'
  | 'getOpenApi';

export interface RouteDefinition {
  operationId: OperationId;
  method: HttpMethod;
  /** API Gateway resource path with `{param}` placeholders; also `event.resource`. */
  path: string;
  access: RouteAccess;
  summary: string;
  description?: string;
  pathParams?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The body may be absent (an empty body is parsed as `{}`, so the schema's defaults apply). */
  bodyOptional?: boolean;
  /** The success status when it is not 200 (the OpenAPI document then lists no 200). */
  okStatus?: 201;
  /** Schema of the 200 (or 201) body. */
  response: z.ZodType | 'openapi';
  /** Responds with an `ETag` and honours `If-None-Match` (GET) / `If-Match` (writes). */
  etag?: boolean;
  /** Status codes beyond 200, 400, 403, 500 that this route may answer. */
  extraStatuses?: number[];
}

export const API_PREFIX = '/v1';

export const ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'listSymbols',
    method: 'GET',
    path: '/v1/symbols',
    access: 'read',
    summary: 'What is collected',
    description: 'Rows of collection_config. The ETag is the current config version.',
    query: listSymbolsQuerySchema,
    response: symbolListSchema,
    etag: true,
    extraStatuses: [304],
  },
  {
    operationId: 'getSymbol',
    method: 'GET',
    path: '/v1/symbols/{exchange}/{symbol}',
    access: 'read',
    summary: 'One symbol of the collection config',
    description: 'The ETag is the version of the symbol\'s last change; send it as If-Match when changing the symbol.',
    pathParams: pairPathSchema,
    response: symbolConfigSchema,
    etag: true,
    extraStatuses: [304, 404],
  },
  {
    operationId: 'putSymbol',
    method: 'PUT',
    path: '/v1/symbols/{exchange}/{symbol}',
    access: 'write',
    summary: 'Collect a symbol, or change how',
    description:
      'Creates or replaces the symbol\'s row. The running collectors subscribe or unsubscribe it within seconds. ' +
      'If-Match: the symbol\'s ETag (412 when it changed since); If-None-Match: * creates only (412 when it exists). ' +
      'Where trading_pairs lists the exchange\'s pairs, the symbol must be one of them (422 otherwise); ' +
      'a pair listed with a status other than TRADING cannot be enabled (409 PAIR_NOT_TRADING), only disabled. ' +
      'The same holds against the instrument list the exchange\'s collector last loaded (Redis `instruments:<exchange>`), for exchanges trading_pairs does not list (OKX, Bybit).',
    pathParams: pairPathSchema,
    body: putSymbolBodySchema,
    response: symbolConfigSchema,
    etag: true,
    extraStatuses: [201, 409, 412, 413, 415, 422],
  },
  {
    operationId: 'deleteSymbol',
    method: 'DELETE',
    path: '/v1/symbols/{exchange}/{symbol}',
    access: 'write',
    summary: 'Stop collecting a symbol and forget its config',
    description: 'If-Match: the symbol\'s ETag (412 when it changed since).',
    pathParams: pairPathSchema,
    response: deletedSymbolSchema,
    etag: true,
    extraStatuses: [404, 412],
  },
  {
    operationId: 'getSettings',
    method: 'GET',
    path: '/v1/settings',
    access: 'read',
    summary: 'Collector settings that change at run time',
    description: 'null means the collector\'s own default (its environment). The ETag is the settings version.',
    response: settingsSchema,
    etag: true,
    extraStatuses: [304],
  },
  {
    operationId: 'patchSettings',
    method: 'PATCH',
    path: '/v1/settings',
    access: 'write',
    summary: 'Change collector settings',
    description: 'Only the fields given change; null resets one to the collector default. If-Match: the settings ETag (412 when they changed since).',
    body: patchSettingsBodySchema,
    response: settingsSchema,
    etag: true,
    extraStatuses: [412, 413, 415],
  },
  {
    operationId: 'getStatus',
    method: 'GET',
    path: '/v1/status',
    access: 'read',
    summary: 'Collectors, their connections, and whether they run the current config',
    description: 'From the collectors\' Redis heartbeats and the collection_status table, with the age of each.',
    response: statusResponseSchema,
  },
  {
    operationId: 'listRates',
    method: 'GET',
    path: '/v1/rates',
    access: 'read',
    summary: 'Latest change rates',
    description: 'Every symbol with a live value, or with `sort` the top movers from the rank sets.',
    query: listRatesQuerySchema,
    response: rateListSchema,
  },
  {
    operationId: 'getRate',
    method: 'GET',
    path: '/v1/rates/{exchange}/{symbol}',
    access: 'read',
    summary: 'Latest change rates of one symbol',
    pathParams: pairPathSchema,
    response: rateSchema,
    extraStatuses: [404],
  },
  {
    operationId: 'getHistory',
    method: 'GET',
    path: '/v1/history/{exchange}/{symbol}',
    access: 'read',
    summary: 'Stored change-rate history',
    description:
      'Rows of price_change_rates in [from, to), oldest first, in pages; with `interval`, aggregated per bucket in SQL ' +
      '(last price and changes of the bucket, plus open / high / low and the row count).',
    pathParams: pairPathSchema,
    query: historyQuerySchema,
    response: historyResponseSchema,
  },
  {
    operationId: 'createStreamToken',
    method: 'POST',
    path: '/v1/stream-tokens',
    access: 'read',
    summary: 'A short-lived token for the stream gateway',
    description:
      'Signs a token the stream gateway accepts when it runs with GATEWAY_AUTH=token (docs/stream.md "Tokens"). ' +
      'A frontend\'s backend calls this IAM-signed route and hands the token to the browser, which never holds AWS credentials. ' +
      'The gateway verifies the signature itself (no call back here); the token names the caller as `sub`. ' +
      '503 STREAM_TOKENS_NOT_CONFIGURED when the API has no signing key (GATEWAY_TOKEN_SECRET or GATEWAY_TOKEN_SECRET_ARN).',
    body: streamTokenBodySchema,
    bodyOptional: true,
    response: streamTokenSchema,
    okStatus: 201,
    extraStatuses: [201, 413, 415, 503],
  },
  {
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/v1/openapi.json',
    access: 'read',
    summary: 'This document',
    response: 'openapi',
  },
];

/** `/v1/symbols/{exchange}/{symbol}` -> `/v1/symbols/*\/*`: the path part of an execute-api resource ARN. */
export function routeArnPath(path: string): string {
  return path.replace(/\{[^}]+\}/g, '*');
}

const routesByKey = new Map(ROUTES.map((route) => [`${route.method} ${route.path}`, route]));

/** The route API Gateway matched (`event.httpMethod`, `event.resource`). */
export function findRoute(method: string, resource: string): RouteDefinition | undefined {
  return routesByKey.get(`${method.toUpperCase()} ${resource}`);
}

export interface MatchedRoute {
  route: RouteDefinition;
  pathParameters: Record<string, string>;
}

/**
 * Matches a concrete path the way API Gateway does for explicit resources:
 * literal segments equal, `{param}` segments any one non-empty segment
 * (URL-decoded). Used by the local gateway.
 */
export function matchRoute(method: string, path: string): MatchedRoute | 'method-not-allowed' | undefined {
  const segments = path.split('/').slice(1);
  let pathMatched = false;
  for (const route of ROUTES) {
    const routeSegments = route.path.split('/').slice(1);
    if (routeSegments.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    let matches = true;
    for (let i = 0; i < routeSegments.length; i += 1) {
      const expected = routeSegments[i]!;
      const actual = segments[i]!;
      if (expected.startsWith('{')) {
        if (actual.length === 0) {
          matches = false;
          break;
        }
        let decoded: string;
        try {
          decoded = decodeURIComponent(actual);
        } catch {
          matches = false;
          break;
        }
        pathParameters[expected.slice(1, -1)] = decoded;
      } else if (expected !== actual) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    pathMatched = true;
    if (route.method === method.toUpperCase()) return { route, pathParameters };
  }
  return pathMatched ? 'method-not-allowed' : undefined;
}
