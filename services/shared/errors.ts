/**
 * Base class for every error the project throws on purpose. A stable `code` lets
 * callers and metrics branch on the kind of failure without parsing messages, and
 * `cause` keeps the underlying error for logs.
 */
export class CollectorError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is missing or invalid; the message names the variable. */
export class ConfigError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}

/** One environment variable and what is wrong with it. */
export interface EnvironmentProblem {
  variable: string;
  problem: string;
}

/** Environment variables failed validation; `problems` lists every one, the message names each. */
export class EnvironmentError extends ConfigError {
  readonly problems: EnvironmentProblem[];

  constructor(message: string, problems: EnvironmentProblem[], options?: { cause?: unknown }) {
    super(message, options);
    this.problems = problems;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
