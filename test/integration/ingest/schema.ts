import { runMigrations } from '../../../services/shared/db';

/**
 * The ingest handler writes the tables of the project's migrations; tests and the
 * benchmark create them exactly as a deployment does (partitioned as this server
 * allows), so a partitioning problem shows up here and not first in production.
 */
export async function createIngestSchema(databaseUrl: string): Promise<void> {
  await runMigrations({ databaseUrl });
}
