import { z } from 'zod';
import { urlVariable as url } from '../../services/shared/env-schema';
import { ConfigError } from '../../services/shared/errors';
import { keyPairProblems, localKeysFrom, localKeyVariablesSchema, type LocalKeys } from './keys';


/**
 * Every variable `npm run api` reads. The endpoint defaults are those of
 * localstack/env `localDefaults`, so `npm run api` finds what `npm start` set up.
 */
const environmentSchema = z
  .object({
    API_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    // Loopback only unless asked: anyone who can connect and read the printed keys could write the config.
    API_HOST: z.string().min(1).default('127.0.0.1'),
    DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://mdc:mdc@127.0.0.1:5432/mdc'),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
    AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1').default('us-east-1'),
    ...localKeyVariablesSchema.shape,
  })
  .superRefine((env, ctx) => {
    for (const problem of keyPairProblems(env)) ctx.addIssue({ code: 'custom', path: [problem.variable], message: problem.message });
  });

export interface LocalApiConfig {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string;
  region: string;
  keys: LocalKeys;
}

/** Parses the environment once; throws ConfigError naming every bad variable and why. Unset key pairs are generated. */
export function loadLocalApiConfig(env: NodeJS.ProcessEnv = process.env): LocalApiConfig {
  // Empty strings come from templates and compose files; treat them as unset.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      // Secrets are not echoed back.
      const shown = variable.endsWith('_SECRET') ? '' : `=${JSON.stringify(present[variable] ?? '')}`;
      return `${variable}${shown}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid local API configuration; fix these environment variables: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return { port: e.API_PORT, host: e.API_HOST, databaseUrl: e.DATABASE_URL, redisUrl: e.REDIS_URL, region: e.AWS_REGION, keys: localKeysFrom(e) };
}
