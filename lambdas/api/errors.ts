import { CollectorError } from '../../services/shared/errors';

export interface ErrorDetail {
  /** Where the problem is: `body.enabled`, `query.limit`, `path.symbol`, `header.if-match`. */
  field: string;
  reason: string;
}

/**
 * An error the API answers with a status of its own. The `code` is stable for
 * clients to branch on; the message says what to change.
 */
export class ApiError extends CollectorError {
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;

  constructor(status: number, code: string, message: string, options: { details?: ErrorDetail[]; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.status = status;
    this.details = options.details;
  }
}

export const validationError = (details: ErrorDetail[]): ApiError =>
  new ApiError(400, 'VALIDATION_FAILED', `Invalid request: ${details.map((d) => `${d.field}: ${d.reason}`).join('; ')}`, { details });

export const notFound = (what: string): ApiError => new ApiError(404, 'NOT_FOUND', `${what} does not exist`);

export const preconditionFailed = (message: string): ApiError => new ApiError(412, 'PRECONDITION_FAILED', message);

/** A dependency (PostgreSQL, Redis) failed; the API answers 503 so clients retry. */
export class DependencyError extends CollectorError {
  constructor(
    readonly dependency: 'postgres' | 'redis',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(dependency === 'postgres' ? 'DATABASE_UNAVAILABLE' : 'REDIS_UNAVAILABLE', message, options);
  }
}

/**
 * A read route's statement ran past its statement timeout and PostgreSQL
 * cancelled it: 503 with its own code (counted as QueryTimeouts), so a client
 * can tell "ask for less" from a database that is down. The request's cost was
 * within the per-request bounds, so the database is busy; retrying later or
 * asking for a narrower page both help.
 */
export class QueryTimeoutError extends ApiError {
  constructor(
    readonly route: string,
    readonly timeoutMs: number,
    options: { cause?: unknown } = {},
  ) {
    super(503, 'QUERY_TIMEOUT', `The ${route} query ran past its ${timeoutMs} ms statement timeout and was cancelled; retry shortly, or ask for fewer rows (lower limit or a coarser interval)`, options);
  }
}

/** A request whose cost would exceed a per-request bound: refused before any database or Redis work. */
export const costLimitExceeded = (field: string, message: string): ApiError =>
  new ApiError(400, 'COST_LIMIT_EXCEEDED', message, { details: [{ field, reason: message }] });
