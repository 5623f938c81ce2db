import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { PoolClient } from 'pg';
import { errorMessage } from '../../errors';
import { lineOfPosition, openDatabase, withTransaction, type DatabaseTarget } from '../connection';
import { runPartitionMaintenanceOn, type PartitionMaintenanceResult } from '../partitions';
import { isConnectionLost } from '../pg-errors';
import { describeServer } from '../pool';
import { provisionRoleLogins, type RoleLogin } from '../roles';
import { MigrationChangedError, MigrationConnectionLostError, MigrationFailedError, MigrationLockError, MigrationOrderError } from './errors';
import { loadMigrationsFromDir, type Migration } from './files';

export interface RunMigrationsOptions extends DatabaseTarget {
  /** Migrations to apply; default: the files of `migrationsDir`. */
  migrations?: readonly Migration[];
  /** Default: MIGRATIONS_DIR, else the repository's lambdas/migrate/migrations. */
  migrationsDir?: string;
  /** How long to wait for another runner's lock before giving up (default 5 minutes). */
  lockTimeoutMs?: number;
  /** Run partition maintenance after migrating when the schema has it (default true). */
  partitionMaintenance?: boolean;
  /** Logins to give their passwords after migrating (resolveRoleLogins); none by default. */
  roleLogins?: readonly RoleLogin[];
}

export interface MigrationResult {
  /** File names applied by this run, in order. */
  applied: string[];
  /** Migrations already applied before this run. */
  skipped: number;
  /** Present when partition maintenance ran. */
  partitions?: PartitionMaintenanceResult;
  /** Logins whose password was set. */
  provisionedLogins: string[];
}

/** Resolved from this file so it works from any working directory (tsx, jest). */
export const REPOSITORY_MIGRATIONS_DIR = resolve(__dirname, '../../../../lambdas/migrate/migrations');

// A fixed key derived from a name, so it cannot collide with small integers other
// software on the same database tends to pick for its own advisory locks.
export const MIGRATION_LOCK_KEY = createHash('sha256').update('market-data-collector:schema_migrations').digest().readBigInt64BE(0).toString();

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer     PRIMARY KEY,
    file_name   text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer     NOT NULL
  )`;

interface AppliedRow {
  version: number;
  file_name: string;
  checksum: string;
}

/** What to apply, after refusing edited files and out-of-order additions. */
export function planMigrations(available: readonly Migration[], applied: readonly AppliedRow[]): { pending: Migration[]; missing: AppliedRow[] } {
  const byVersion = new Map(available.map((migration) => [migration.version, migration]));
  const missing: AppliedRow[] = [];
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (!file) {
      missing.push(row);
      continue;
    }
    if (file.checksum !== row.checksum && !file.supersedes.includes(row.checksum)) {
      throw new MigrationChangedError(
        file.fileName,
        `Migration ${file.fileName} was applied as '${row.file_name}' with checksum ${row.checksum.slice(0, 12)}…, but the file now has ${file.checksum.slice(0, 12)}…. ` +
          'Applied migrations must not change: restore the file (git checkout it) and put the change in a new migration with the next number.',
      );
    }
  }
  const appliedVersions = new Set(applied.map((row) => row.version));
  const highest = Math.max(0, ...appliedVersions);
  const pending = available.filter((migration) => !appliedVersions.has(migration.version));
  const early = pending.find((migration) => migration.version < highest);
  if (early) {
    throw new MigrationOrderError(
      `Migration ${early.fileName} is not applied, but a later version (${highest}) already is; ` +
        `renumber it above ${highest} so every database applies migrations in the same order.`,
    );
  }
  return { pending, missing };
}

async function acquireLock(client: PoolClient, timeoutMs: number): Promise<void> {
  // lock_timeout bounds the wait for advisory locks too; a second runner blocks
  // here until the first finishes, then finds nothing left to do.
  await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  } catch (cause) {
    throw new MigrationLockError(
      `Another migration run has held the lock for over ${Math.round(timeoutMs / 1000)} s; wait for it, or find the holder with ` +
        `SELECT pid, application_name FROM pg_locks JOIN pg_stat_activity USING (pid) WHERE locktype = 'advisory'`,
      { cause },
    );
  } finally {
    await client.query('RESET lock_timeout');
  }
}

function connectionLost(server: string, fileName: string | undefined, cause: unknown): MigrationConnectionLostError {
  return new MigrationConnectionLostError(
    server,
    fileName,
    `The PostgreSQL server ${server} terminated the migration's connection${fileName ? ` while applying ${fileName} (rolled back, not applied)` : ''}: ${errorMessage(cause)}. ` +
      "Read that server's log for the FATAL that ended the session (for example an extension that must be in shared_preload_libraries), fix the server, and run the migrations again.",
    { cause },
  );
}

async function applyOne(client: PoolClient, migration: Migration, server: string): Promise<number> {
  const started = Date.now();
  try {
    await withTransaction(client, async () => {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, file_name, checksum, duration_ms) VALUES ($1, $2, $3, $4)', [
        migration.version,
        migration.fileName,
        migration.checksum,
        Date.now() - started,
      ]);
    });
  } catch (cause) {
    if (isConnectionLost(cause)) throw connectionLost(server, migration.fileName, cause);
    const line = lineOfPosition(migration.sql, (cause as { position?: string }).position);
    throw new MigrationFailedError(
      migration.fileName,
      `Migration ${migration.fileName} failed${line ? ` at line ${line}` : ''} and was rolled back: ${errorMessage(cause)}. ` +
        'Fix the file (it was not applied) and run the migrations again.',
      { cause },
    );
  }
  return Date.now() - started;
}

/**
 * Applies pending migrations in order, each in its own transaction and recorded in
 * schema_migrations with its checksum, under a session advisory lock held for the
 * whole run. Then runs partition maintenance when the schema provides it.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<MigrationResult> {
  const migrations = options.migrations ?? loadMigrationsFromDir(options.migrationsDir ?? process.env.MIGRATIONS_DIR ?? REPOSITORY_MIGRATIONS_DIR);
  const db = openDatabase(options, 'migrate');
  const { logger } = db;
  const server = describeServer(db.pool);
  try {
    const client = await db.pool.connect();
    let applied: string[];
    let skipped: number;
    try {
      await acquireLock(client, options.lockTimeoutMs ?? 300_000);
      try {
        await client.query(CREATE_TABLE);
        const { rows } = await client.query<AppliedRow>('SELECT version, file_name, checksum FROM schema_migrations ORDER BY version');
        const { pending, missing } = planMigrations(migrations, rows);
        for (const row of missing) {
          // Newer code migrated this database (e.g. a rolled-back deploy); the
          // schema is ahead of these files, which is safe for additive changes.
          logger.warn('applied migration has no file here', { version: row.version, fileName: row.file_name });
        }
        applied = [];
        for (const migration of pending) {
          const durationMs = await applyOne(client, migration, server);
          applied.push(migration.fileName);
          logger.info('migration applied', { fileName: migration.fileName, durationMs });
        }
        skipped = migrations.length - pending.length;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch((unlockError: unknown) => {
          // A lost connection took its session lock with it; the error that
          // ended the session is the one to report, not this follow-up.
          if (!isConnectionLost(unlockError)) throw unlockError;
        });
      }
    } catch (error) {
      // Destroy rather than return the connection: after a failure its state
      // (an open transaction, the lock if unlocking failed) is unknown.
      client.release(true);
      if (error instanceof MigrationConnectionLostError || !isConnectionLost(error)) throw error;
      throw connectionLost(server, undefined, error);
    }
    client.release();

    const result: MigrationResult = { applied, skipped, provisionedLogins: [] };
    if (options.roleLogins && options.roleLogins.length > 0) {
      await provisionRoleLogins(db.pool, options.roleLogins, logger);
      result.provisionedLogins = options.roleLogins.map((login) => login.username);
    }
    if (options.partitionMaintenance !== false) {
      const partitions = await runPartitionMaintenanceOn(db.pool, logger);
      if (partitions) result.partitions = partitions;
    }
    logger.info('migrations done', { applied: applied.length, skipped });
    return result;
  } finally {
    await db.close();
  }
}
