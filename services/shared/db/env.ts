import { z } from 'zod';
import { urlVariable } from '../env-schema';

/**
 * The variables resolveDatabaseUrl reads, for the schemas of the components
 * that connect (ingest, migrate, the config API): validated with the rest of
 * their environment at start, rather than failing on the first connection.
 */
export const databaseVariables = {
  DATABASE_URL: urlVariable(['postgres:', 'postgresql:']).optional(),
  DB_SECRET_ARN: z.string().startsWith('arn:', 'must be a Secrets Manager secret ARN').optional(),
  /** The RDS Proxy endpoint when the secret names the instance. */
  DB_HOST: z.string().min(1).optional(),
  DB_PORT: z.string().regex(/^[0-9]{1,5}$/, 'must be a port number').optional(),
  DB_NAME: z.string().min(1).optional(),
  DB_SSLMODE: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
};

