import { errorMessage } from '../../services/shared/errors';
import { resolveRoleLogins, runMigrations } from '../../services/shared/db';
import { LOCAL_DATABASE_URL, loadMigrateConfig } from './config';

/**
 * `npm run migrate`: applies the migrations to DATABASE_URL (default: the local
 * database `npm test`/`npm start` use) and prints what it did.
 */
async function main(): Promise<void> {
  const config = loadMigrateConfig();
  const databaseUrl = config.databaseUrl ?? LOCAL_DATABASE_URL;
  const target = new URL(databaseUrl);
  const where = `${target.hostname}:${target.port || 5432}${target.pathname}`;
  const result = await runMigrations({ databaseUrl, migrationsDir: config.migrationsDir, roleLogins: await resolveRoleLogins() });
  console.log(result.applied.length ? `Applied to ${where}: ${result.applied.join(', ')}` : `Nothing to apply to ${where}`);
  console.log(`Already applied: ${result.skipped}`);
  if (result.provisionedLogins.length > 0) console.log(`Logins provisioned: ${result.provisionedLogins.join(', ')}`);
  if (result.partitions) {
    const changes = result.partitions.actions.map((entry) => `${entry.action} ${entry.partition}`);
    console.log(`Partitioning: ${result.partitions.strategy}${changes.length ? ` (${changes.join(', ')})` : ''}`);
  }
}

main().catch((error: unknown) => {
  console.error(`Migration failed: ${errorMessage(error)}`);
  process.exitCode = 1;
});
