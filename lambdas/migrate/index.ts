import { resolveDatabaseUrl, resolveRoleLogins, runMigrations } from '../../services/shared/db';
import { createLogger } from '../../services/shared/logger';
import { loadMigrateConfig } from './config';

/**
 * The subset of a CloudFormation custom resource event this handler reads; the
 * CDK Provider framework (custom-resources.Provider) delivers it as onEvent and
 * turns the return value or a thrown error into the CloudFormation response.
 */
export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
  ResourceProperties?: Record<string, unknown>;
}

export interface CustomResourceResponse {
  PhysicalResourceId: string;
  Data?: Record<string, string | number>;
}

// Stable, so an Update never makes CloudFormation think the resource was
// replaced (which would send a Delete for the "old" one).
const PHYSICAL_RESOURCE_ID = 'mdc-schema-migrations';

const logger = createLogger({ serviceName: 'migrate' });

/**
 * Create and Update apply pending migrations (the stack passes a property that
 * changes with the SQL, e.g. a hash of the files, so each deploy with new
 * migrations sends an Update). Delete leaves the schema alone: removing the stack
 * must never drop history.
 */
export async function handler(event: CustomResourceEvent): Promise<CustomResourceResponse> {
  logger.info('custom resource event', { requestType: event.RequestType });
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID };
  const config = loadMigrateConfig();
  const databaseUrl = await resolveDatabaseUrl();
  const roleLogins = await resolveRoleLogins();
  const result = await runMigrations({ databaseUrl, logger, migrationsDir: config.migrationsDir, roleLogins });
  return {
    PhysicalResourceId: PHYSICAL_RESOURCE_ID,
    Data: { Applied: result.applied.join(','), AppliedCount: result.applied.length, Skipped: result.skipped, Partitioning: result.partitions?.strategy ?? 'none', Logins: result.provisionedLogins.join(',') },
  };
}
