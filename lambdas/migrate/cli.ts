import { errorMessage } from '../../services/shared/errors';
import { runMigrations } from '../../services/shared/db';
import { MIGRATIONS_DIR } from './paths';

/**
 * `npm run migrate`: applies the migrations to DATABASE_URL (default: the local
 * database `npm test`/`npm start` use) and prints what it did.
 */
async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://mdc:mdc@127.0.0.1:5432/mdc';
  const target = new URL(databaseUrl);
  const where = `${target.hostname}:${target.port || 5432}${target.pathname}`;
  const result = await runMigrations({ databaseUrl, migrationsDir: process.env.MIGRATIONS_DIR ?? MIGRATIONS_DIR });
  console.log(result.applied.length ? `Applied to ${where}: ${result.applied.join(', ')}` : `Nothing to apply to ${where}`);
  console.log(`Already applied: ${result.skipped}`);
  if (result.partitions) {
    const changes = result.partitions.actions.map((entry) => `${entry.action} ${entry.partition}`);
    console.log(`Partitioning: ${result.partitions.strategy}${changes.length ? ` (${changes.join(', ')})` : ''}`);
  }
}

main().catch((error: unknown) => {
  console.error(`Migration failed: ${errorMessage(error)}`);
  process.exitCode = 1;
});
