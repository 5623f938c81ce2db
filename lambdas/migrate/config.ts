import { z } from 'zod';
import { databaseVariables } from '../../services/shared/db/env';
import { loadEnv } from '../../services/shared/load-env';
import { MIGRATIONS_DIR } from './paths';

/** The database `npm test` and `npm start` use, for `npm run migrate` without DATABASE_URL. */
export const LOCAL_DATABASE_URL = 'postgres://mdc:mdc@127.0.0.1:5432/mdc';

const password = z.string().min(16, 'at least 16 characters').optional();
const migrateSchema = z.object({
  ...databaseVariables,
  MIGRATIONS_DIR: z.string().min(1).default(MIGRATIONS_DIR),
  // The functions' logins (services/shared/db/roles.ts): a secret on AWS, a password locally.
  INGEST_DB_SECRET_ARN: z.string().startsWith('arn:').optional(),
  API_DB_SECRET_ARN: z.string().startsWith('arn:').optional(),
  MDC_INGEST_DB_PASSWORD: password,
  MDC_API_DB_PASSWORD: password,
});

export interface MigrateConfig {
  migrationsDir: string;
  /** DATABASE_URL when set; the Lambda resolves DB_SECRET_ARN instead. */
  databaseUrl: string | undefined;
}

/** The migrate Lambda's and CLI's environment; the error names every bad variable. */
export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): MigrateConfig {
  const e = loadEnv(migrateSchema, env, { component: 'migrate' });
  return { migrationsDir: e.MIGRATIONS_DIR, databaseUrl: e.DATABASE_URL };
}
