import { localRoleLogins, roleDatabaseUrl } from '../../../localstack/env';
import { runMigrations } from '../../../services/shared/db';

/**
 * The ingest handler writes the tables of the project's migrations; tests and the
 * benchmark create them exactly as a deployment does (partitioned as this server
 * allows, with the database roles and their local logins), so a partitioning or
 * privilege problem shows up here and not first in production.
 */
export async function createIngestSchema(databaseUrl: string): Promise<void> {
  await runMigrations({ databaseUrl, roleLogins: localRoleLogins() });
}

/** The test database's URL for the ingest function's own login (mdc_ingest), as deployed. */
export const ingestRoleUrl = (databaseUrl: string): string => roleDatabaseUrl(databaseUrl, 'mdc_ingest');
