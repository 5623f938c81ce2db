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
