import { DependencyCache } from '../../../../services/shared/lifecycle';
import type { Logger } from '../../../../services/shared/logger';
import { ApiError } from '../../../../lambdas/api/errors';

/** The ApiError `action` throws; fails the test when it throws nothing or something else. */
export function thrownApiError(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError, but nothing was thrown');
}

export interface FakeLogger {
  logger: Logger;
  info: jest.Mock;
  warn: jest.Mock;
  error: jest.Mock;
  debug: jest.Mock;
}

/** A Powertools-shaped logger whose methods are jest fns (nothing is printed). */
export function fakeLogger(): FakeLogger {
  const info = jest.fn();
  const warn = jest.fn();
  const error = jest.fn();
  const debug = jest.fn();
  return { logger: { info, warn, error, debug } as unknown as Logger, info, warn, error, debug };
}

/** The dependency owner the Lambda uses, over `create`; closing does nothing unless told. */
export function dependencyCache<T>(create: () => Promise<T>, close: (value: T) => Promise<void> = async () => undefined): DependencyCache<T> {
  return new DependencyCache<T>({ create, close });
}
