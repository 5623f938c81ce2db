import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, ScheduledEvent } from 'aws-lambda';
import { errorMessage } from '../../services/shared/errors';
import type { Logger } from '../../services/shared/logger';
import { z } from 'zod';
import { roleOf, type Principals } from './auth';
import { ApiError, DependencyError } from './errors';
import { errorResponse, normalizeHeaders, parseWith, readJsonBody, singleValueQuery } from './http';
import { OPERATIONS, type ApiDependencies } from './operations';
import { reconcileSnapshot, type ReconcileResult } from './reconcile';
import { findRoute } from './routes';

/** Routes without query parameters refuse any, like the others refuse unknown ones. */
const NO_QUERY = z.strictObject({});

export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export interface ApiHandlerOptions {
  /** Built on first use (the Lambda resolves secrets then); a rejected promise is retried by the next request. */
  dependencies: () => Promise<ApiDependencies>;
  principals: Principals;
  maxBodyBytes: number;
  logger: Logger;
}

/** Lambda / node-postgres / ioredis errors that mean "a dependency is unavailable", answered 503 so clients retry. */
function isDependencyFailure(error: unknown): boolean {
  if (error instanceof DependencyError) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // 57014 statement timeout, 55P03 lock timeout, 28P01/28000 refused credentials (a rotated secret).
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|57P01|57P03|57014|55P03|53300|08000|08001|08003|08006|28P01|28000)$/.test(code)) return true;
  const message = errorMessage(error);
  return /Connection is closed|connect ETIMEDOUT|Command timed out|Stream isn't writeable|timeout exceeded when trying to connect|Connection terminated|Query read timeout|MaxRetriesPerRequestError/i.test(message);
}

/** The database refused the credentials: after a secret rotation the container must read the secret again. */
function isCredentialFailure(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === '28P01' || code === '28000';
}

/**
 * API Gateway proxy event -> route -> authorization -> validated input ->
 * operation -> response. API Gateway has already verified the SigV4 signature
 * and the caller's IAM permission for this method and path; the handler checks
 * the caller against the reader and admin principals too, so a policy drift in
 * IAM can widen nothing.
 */
export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const { logger } = options;
  let dependencies: Promise<ApiDependencies> | undefined;
  const getDependencies = (): Promise<ApiDependencies> => {
    dependencies ??= options.dependencies();
    dependencies.catch(() => (dependencies = undefined));
    return dependencies;
  };

  return async (event) => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const caller = event.requestContext?.identity?.userArn ?? undefined;
    const route = findRoute(event.httpMethod, event.resource);
    let response: APIGatewayProxyResult;
    let deps: ApiDependencies | undefined;
    try {
      if (!route) throw new ApiError(404, 'ROUTE_NOT_FOUND', `No route ${event.httpMethod} ${event.resource}; see GET /v1/openapi.json`);
      const role = roleOf(caller, options.principals);
      if (!role) {
        throw new ApiError(403, 'ACCESS_DENIED', `${caller ?? 'An unauthenticated caller'} is neither a reader nor an admin of this API; ask an operator to let you assume the reader or admin role`);
      }
      if (route.access === 'write' && role !== 'admin') {
        throw new ApiError(403, 'ACCESS_DENIED', `${caller} is a reader; ${route.method} ${route.path} needs the admin role`);
      }
      const headers = normalizeHeaders(event);
      const pathParams = route.pathParams ? parseWith(route.pathParams, 'path', event.pathParameters ?? {}) : {};
      const rawQuery = singleValueQuery(event);
      const query = parseWith(route.query ?? NO_QUERY, 'query', rawQuery);
      const body = route.body ? parseWith(route.body, 'body', readJsonBody(event, headers, options.maxBodyBytes)) : undefined;
      deps = await getDependencies();
      response = await OPERATIONS[route.operationId]({ pathParams: pathParams as Record<string, string>, query: query as Record<string, unknown>, body, headers, caller: caller!, requestId }, deps);
    } catch (error) {
      if (error instanceof ApiError) {
        response = errorResponse(error);
      } else if (isDependencyFailure(error)) {
        logger.error('a dependency failed', { requestId, error: errorMessage(error) });
        if (isCredentialFailure(error)) {
          // Rebuilt, with the secret read again, by the next request.
          const stale = dependencies;
          dependencies = undefined;
          void stale?.then((d) => d.close?.()).catch((closeError: unknown) => logger.warn('closing the stale connections failed', { error: errorMessage(closeError) }));
        }
        deps?.metrics.addMetric('DependencyFailures', 'Count', 1);
        response = errorResponse(new ApiError(503, 'SERVICE_UNAVAILABLE', `A backing service is unavailable; retry shortly (request ${requestId})`, { cause: error }), { 'Retry-After': '1' });
      } else {
        logger.error('request failed', { requestId, error: errorMessage(error), stack: error instanceof Error ? error.stack : undefined });
        response = errorResponse(new ApiError(500, 'INTERNAL_ERROR', `Internal error; quote request ${requestId} when reporting it`, { cause: error }));
      }
    }
    response.headers = { ...response.headers, 'X-Request-Id': requestId };
    const latencyMs = performance.now() - started;
    deps?.metrics.addMetric('Requests', 'Count', 1);
    deps?.metrics.addMetric('Latency', 'Milliseconds', latencyMs);
    if (response.statusCode >= 500) deps?.metrics.addMetric('ServerErrors', 'Count', 1);
    logger.info('request', {
      requestId,
      method: event.httpMethod,
      resource: event.resource,
      path: event.path,
      status: response.statusCode,
      latencyMs: Math.round(latencyMs * 10) / 10,
      caller,
    });
    return response;
  };
}

export interface ReconcilerOptions {
  dependencies: () => Promise<ApiDependencies>;
  logger: Logger;
}

/** The scheduled half of the Lambda (and a timer in the local gateway): publish the committed config when Redis lacks it. */
export function createReconciler(options: ReconcilerOptions): () => Promise<ReconcileResult> {
  return async () => {
    const deps = await options.dependencies();
    try {
      const result = await reconcileSnapshot(deps.configStore, deps.publisher, options.logger);
      if (result.diverged) deps.metrics.addMetric('ConfigVersionDivergence', 'Count', 1);
      if (result.republished) {
        deps.metrics.addMetric('ConfigRepublished', 'Count', 1);
        options.logger.warn('Redis lacked the committed config; published it', { ...result });
      }
      return result;
    } catch (error) {
      deps.metrics.addMetric('ConfigReconcileFailures', 'Count', 1);
      options.logger.error('reconciling the config snapshot failed; the next run retries', { error: errorMessage(error) });
      throw error;
    }
  };
}

export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  return typeof event === 'object' && event !== null && (event as { 'detail-type'?: unknown })['detail-type'] === 'Scheduled Event';
}
