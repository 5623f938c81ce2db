import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, ScheduledEvent } from 'aws-lambda';
import { classifyPgError } from '../../services/shared/db';
import { errorMessage } from '../../services/shared/errors';
import type { DependencySource, Lease } from '../../services/shared/lifecycle';
import type { Logger } from '../../services/shared/logger';
import { z } from 'zod';
import { roleOf, type Principals } from './auth';
import { ApiError, DependencyError, QueryTimeoutError } from './errors';
import { errorResponse, normalizeHeaders, parseWith, readJsonBody, singleValueQuery } from './http';
import { OPERATIONS, reconcileSourcesOf, type ApiDependencies } from './operations';
import { reconcileSnapshot, type ReconcileResult } from './reconcile';
import { findRoute } from './routes';

/** Routes without query parameters refuse any, like the others refuse unknown ones. */
const NO_QUERY = z.strictObject({});

export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export interface ApiHandlerOptions {
  /**
   * The owner of the connections, shared with the reconciler: built on first use
   * (the Lambda resolves secrets then), and invalidated here when the database
   * refuses the credentials, so the next request reads the secret again.
   */
  dependencies: DependencySource<ApiDependencies>;
  principals: Principals;
  maxBodyBytes: number;
  logger: Logger;
}

/** ioredis reports a lost or overloaded connection by message and class name only. */
const REDIS_UNAVAILABLE = /Connection is closed|Command timed out|Stream isn't writeable|max retries per request/i;

/** A dependency is unavailable (down, timed out, refusing our credentials): answered 503 so clients retry. */
function isDependencyFailure(error: unknown): boolean {
  if (error instanceof DependencyError) return true;
  const kind = classifyPgError(error);
  if (kind === 'credentials' || kind === 'timeout' || kind === 'retryable') return true;
  if (error instanceof Error) return error.name === 'MaxRetriesPerRequestError' || REDIS_UNAVAILABLE.test(error.message);
  return false;
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

  return async (event) => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const caller = event.requestContext?.identity?.userArn ?? undefined;
    const route = findRoute(event.httpMethod, event.resource);
    let response: APIGatewayProxyResult;
    let deps: ApiDependencies | undefined;
    let lease: Lease<ApiDependencies> | undefined;
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
      const noBody = event.body === null || event.body === undefined || event.body === '';
      const body = route.body ? parseWith(route.body, 'body', route.bodyOptional && noBody ? {} : readJsonBody(event, headers, options.maxBodyBytes)) : undefined;
      lease = await options.dependencies.acquire();
      deps = lease.value;
      response = await OPERATIONS[route.operationId]({ pathParams: pathParams as Record<string, string>, query: query as Record<string, unknown>, body, headers, caller: caller!, requestId }, deps);
    } catch (error) {
      if (error instanceof QueryTimeoutError) {
        // A read cancelled at its statement timeout: counted, and retryable like any 503.
        logger.warn('a read ran past its statement timeout', { requestId, route: error.route, timeoutMs: error.timeoutMs });
        deps?.metrics.addMetric('QueryTimeouts', 'Count', 1);
        response = errorResponse(error, { 'Retry-After': '1' });
      } else if (error instanceof ApiError) {
        response = errorResponse(error);
      } else if (isDependencyFailure(error)) {
        logger.error('a dependency failed', { requestId, error: errorMessage(error) });
        // Rebuilt, with the secret read again, by the next request; a generation another request already replaced stays replaced.
        if (lease && classifyPgError(error) === 'credentials') await options.dependencies.invalidate(lease.generation);
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
  /** The same owner the handler uses: one connection set per container. */
  dependencies: DependencySource<ApiDependencies>;
  logger: Logger;
}

/** The scheduled half of the Lambda (and a timer in the local gateway): publish the committed config when Redis lacks it. */
export function createReconciler(options: ReconcilerOptions): () => Promise<ReconcileResult> {
  return async () => {
    const lease = await options.dependencies.acquire();
    const deps = lease.value;
    try {
      const result = await reconcileSnapshot({ ...reconcileSourcesOf(deps), logger: options.logger });
      if (result.diverged) deps.metrics.addMetric('ConfigVersionDivergence', 'Count', 1);
      if (result.republished) {
        deps.metrics.addMetric('ConfigRepublished', 'Count', 1);
        options.logger.warn('Redis lacked the committed config; published it', { ...result });
      }
      return result;
    } catch (error) {
      deps.metrics.addMetric('ConfigReconcileFailures', 'Count', 1);
      options.logger.error('reconciling the config snapshot failed; the next run retries', { error: errorMessage(error) });
      // A rotated secret: the next run (or request) connects with the secret read again.
      if (classifyPgError(error) === 'credentials') await options.dependencies.invalidate(lease.generation);
      throw error;
    }
  };
}

export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  return typeof event === 'object' && event !== null && (event as { 'detail-type'?: unknown })['detail-type'] === 'Scheduled Event';
}
