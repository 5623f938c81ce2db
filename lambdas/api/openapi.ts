import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { z } from 'zod';
import { ROUTES, type RouteDefinition } from './routes';
import { errorResponseSchema } from './schemas';

export const API_VERSION = '1.0.0';

const STATUS_TEXT: Record<number, string> = {
  201: 'Created',
  304: 'Not modified (If-None-Match matched the ETag)',
  400: 'Invalid input: `details` names each field and the reason',
  403: 'Unsigned, wrongly signed or expired request, or the caller may not use this route',
  404: 'Not found',
  409: 'Conflict with the pair\'s state: enabling a pair trading_pairs lists as not TRADING',
  412: 'Precondition failed: the resource changed since the ETag sent in If-Match (or exists, with If-None-Match: *)',
  413: 'Body too large',
  415: 'Body is not application/json',
  422: 'Well-formed but refused (e.g. a pair the exchange does not list)',
  500: 'Internal error; the request id is in the message',
  503: 'A backing service or the signing key is unavailable (retry), or the route is not configured on this API (the message names the variable)',
};

function responsesOf(route: RouteDefinition): ZodOpenApiResponsesObject {
  const etagHeader = route.etag ? { headers: z.object({ ETag: z.string().meta({ description: 'Version of what was returned, quoted' }) }) } : {};
  const ok =
    route.response === 'openapi'
      ? { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }
      : { description: 'OK', content: { 'application/json': { schema: route.response } }, ...etagHeader };
  const responses: Record<string, unknown> = route.okStatus === undefined ? { '200': ok } : {};
  for (const status of [...(route.extraStatuses ?? []), 400, 403, 500].sort((a, b) => a - b)) {
    if (status === 201) responses['201'] = { ...ok, description: STATUS_TEXT[201]! };
    else if (status === 304) responses['304'] = { description: STATUS_TEXT[304]! };
    else responses[String(status)] = { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/json': { schema: errorResponseSchema } } };
  }
  return responses as unknown as ZodOpenApiResponsesObject;
}

function operationOf(route: RouteDefinition): ZodOpenApiOperationObject {
  const headers: Record<string, z.ZodType> = {};
  if (route.etag && route.method === 'GET') headers['If-None-Match'] = z.string().optional().meta({ description: 'An ETag; 304 when it is still current' });
  if (route.etag && route.method !== 'GET') headers['If-Match'] = z.string().optional().meta({ description: 'The ETag the change is based on' });
  if (route.operationId === 'putSymbol') headers['If-None-Match'] = z.literal('*').optional().meta({ description: 'Create only' });
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.path.split('/')[2]!],
    'x-access': route.access,
    requestParams: {
      ...(route.pathParams ? { path: route.pathParams as z.ZodObject } : {}),
      ...(route.query ? { query: route.query as z.ZodObject } : {}),
      ...(Object.keys(headers).length > 0 ? { header: z.object(headers) } : {}),
    },
    ...(route.body ? { requestBody: { required: route.bodyOptional !== true, content: { 'application/json': { schema: route.body } } } } : {}),
    responses: responsesOf(route),
  };
}

/** The OpenAPI 3.1 document of the config API, generated from the route table and its zod schemas. */
export function createOpenApiDocument(options: { serverUrl?: string } = {}): Record<string, unknown> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES) {
    const item = (paths[route.path] ??= {});
    (item as Record<string, ZodOpenApiOperationObject>)[route.method.toLowerCase()] = operationOf(route);
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Market data collector: config API',
      version: API_VERSION,
      description:
        'Configures what the collector collects and serves the latest rates and their history. ' +
        'Every request is signed with AWS Signature Version 4 (service `execute-api`); readers may GET and ask for stream tokens, admins may also write. ' +
        'Errors are `{"error": {"code", "message", "details"}}`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ sigv4: [] }],
    components: {
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4, service execute-api', 'x-amazon-apigateway-authtype': 'awsSigv4' },
      },
    },
    paths,
  }) as unknown as Record<string, unknown>;
}
