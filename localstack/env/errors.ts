import { CollectorError } from '../../services/shared';

/** A program the local environment needs is absent and cannot be installed here. */
export class MissingDependencyError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LOCAL_DEPENDENCY_MISSING', message, options);
  }
}

/** A service answered, but not in a way the project can use (wrong credentials, not ready in time). */
export class LocalServiceError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LOCAL_SERVICE_UNUSABLE', message, options);
  }
}
