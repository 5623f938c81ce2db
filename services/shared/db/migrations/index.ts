export { MigrationChangedError, MigrationConnectionLostError, MigrationFailedError, MigrationFileError, MigrationLockError, MigrationOrderError } from './errors';
export { loadMigrationsFromDir, migrationChecksum, parseMigrationVersion, prepareMigrations } from './files';
export type { Migration } from './files';
export { MIGRATION_LOCK_KEY, planMigrations, REPOSITORY_MIGRATIONS_DIR, runMigrations } from './runner';
export type { MigrationResult, RunMigrationsOptions } from './runner';
