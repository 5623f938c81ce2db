import { Pool } from 'pg';
import { localRoleLogins, roleDatabaseUrl } from '../../localstack/env';
import { runMigrations, type DatabaseRole, type MigrationResult } from '../../services/shared/db';
import { createLogger } from '../../services/shared/logger';
import type { TestDatabase } from './services';

/**
 * The functions connect as their own roles (migration 0011), so tests of what
 * a function may do open their pools as that role, on the test's database, with
 * the local passwords migrate gave the logins.
 */

const silent = createLogger({ serviceName: 'test-db-roles', logLevel: 'SILENT' });

/** Migrates a test database as a deployment does: schema, grants, and the functions' logins. */
export function migrateWithRoles(db: TestDatabase | string): Promise<MigrationResult> {
  return runMigrations({ databaseUrl: typeof db === 'string' ? db : db.url, logger: silent, roleLogins: localRoleLogins() });
}

/** The test database's URL for a function's login. */
export const roleUrl = (db: TestDatabase | string, role: DatabaseRole): string => roleDatabaseUrl(typeof db === 'string' ? db : db.url, role);

/** A pool on the test database logged in as `role` (migrateWithRoles first); the caller ends it. */
export function openRolePool(db: TestDatabase | string, role: DatabaseRole, max = 1): Pool {
  return new Pool({ connectionString: roleUrl(db, role), max });
}
