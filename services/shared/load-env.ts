import type { z } from 'zod';
import { EnvironmentError, type EnvironmentProblem } from './errors';

export interface LoadEnvOptions {
  /** Named in the message: "Invalid ingest configuration". */
  component?: string;
  /** Treat `VAR=` as unset, for templates and compose files that write every variable. */
  emptyAsUnset?: boolean;
}

/** Values that are credentials are never echoed into logs. */
const SECRET_NAME = /PASSWORD|TOKEN|SECRET(?!_ARN)/i;

function shown(variable: string, value: string | undefined): string {
  if (value === undefined) return `${variable} (unset)`;
  if (SECRET_NAME.test(variable)) return `${variable} (value hidden)`;
  // A URL may carry a password (postgres://user:password@host).
  return `${variable}=${JSON.stringify(value.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@'))}`;
}

/**
 * Parses the environment with `schema` (a zod object of variable names) and
 * returns its output. A bad environment fails with one EnvironmentError naming
 * every bad variable, its value and the problem, so a deployment is fixed in
 * one round instead of one variable per restart.
 */
export function loadEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env, options: LoadEnvOptions = {}): z.output<S> {
  const input = options.emptyAsUnset ? Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')) : { ...env };
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const byVariable = new Map<string, string[]>();
  for (const issue of parsed.error.issues) {
    const variable = issue.path.length > 0 ? String(issue.path[0]) : 'environment';
    byVariable.set(variable, [...(byVariable.get(variable) ?? []), issue.message]);
  }
  const problems: EnvironmentProblem[] = [...byVariable].map(([variable, messages]) => ({ variable, problem: [...new Set(messages)].join(', ') }));
  const listed = problems.map(({ variable, problem }) => `${variable === 'environment' ? variable : shown(variable, input[variable])}: ${problem}`);
  const what = options.component ? `${options.component} configuration` : 'configuration';
  throw new EnvironmentError(`Invalid ${what}; fix these environment variables: ${listed.join('; ')}`, problems, { cause: parsed.error });
}
