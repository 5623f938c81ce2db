import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationFileError } from './errors';

export interface Migration {
  /** Numeric prefix of the file name; the order of application. */
  version: number;
  /** File name, e.g. `0001_trading_pairs.sql`; what operators see in messages. */
  fileName: string;
  sql: string;
  /** SHA-256 (hex) of the SQL with line endings normalised. */
  checksum: string;
  /**
   * Checksums of earlier revisions of this file that an applied database may
   * carry, declared in the file as `-- supersedes-checksum: <hex>` lines. Only
   * for fixes that change nothing where the earlier revision succeeded (e.g. a
   * decision that used to kill the connection on some servers), so those
   * databases need nothing re-applied.
   */
  supersedes: string[];
}

const FILE_NAME = /^(\d{4,})_([a-z0-9][a-z0-9_]*)\.sql$/;
const SUPERSEDES = /^--\s*supersedes-checksum:\s*([0-9a-f]{64})\b/gm;

/**
 * The version of a migration file name (`0001_trading_pairs.sql` -> 1), or
 * undefined when the name does not follow `<digits>_<lowercase_name>.sql`.
 */
export function parseMigrationVersion(fileName: string): number | undefined {
  const match = FILE_NAME.exec(fileName);
  return match ? Number(match[1]) : undefined;
}

/**
 * Line endings are normalised first so a checkout with CRLF conversion (Windows,
 * core.autocrlf) does not look like an edited migration.
 */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

// The runner wraps each file in its own transaction; a COMMIT inside a file would
// end that transaction early and leave the rest of the file unrecorded. `END;` is
// not matched: it also closes PL/pgSQL blocks.
const TRANSACTION_CONTROL = /^\s*(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK)\s*;/im;

/**
 * Validates and orders migration sources. Versions are compared as numbers, not
 * strings, so `10000_x` sorts after `9999_y` once four digits run out.
 */
export function prepareMigrations(files: ReadonlyArray<{ fileName: string; sql: string }>): Migration[] {
  const byVersion = new Map<number, Migration>();
  for (const { fileName, sql } of files) {
    const version = parseMigrationVersion(fileName);
    if (version === undefined) {
      throw new MigrationFileError(`Migration file '${fileName}' is not named <number>_<lowercase_name>.sql (e.g. 0007_add_index.sql); rename it`);
    }
    const clash = byVersion.get(version);
    if (clash) {
      throw new MigrationFileError(`Migration files '${clash.fileName}' and '${fileName}' share version ${version}; give one of them the next free number`);
    }
    if (TRANSACTION_CONTROL.test(sql)) {
      throw new MigrationFileError(
        `Migration file '${fileName}' contains a transaction statement (BEGIN/COMMIT/ROLLBACK); remove it: the runner applies each file in a transaction of its own`,
      );
    }
    byVersion.set(version, { version, fileName, sql, checksum: migrationChecksum(sql), supersedes: [...sql.matchAll(SUPERSEDES)].map((match) => match[1]!) });
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

/**
 * Reads every `.sql` file of a directory. Any other `.sql` name is an error
 * rather than skipped, so a misnamed migration cannot silently never run.
 */
export function loadMigrationsFromDir(dir: string): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.sql'));
  } catch (cause) {
    throw new MigrationFileError(`Cannot read the migrations directory ${dir}; set MIGRATIONS_DIR or pass migrationsDir`, { cause });
  }
  if (names.length === 0) throw new MigrationFileError(`The migrations directory ${dir} holds no .sql files; is it the right directory?`);
  return prepareMigrations(names.map((fileName) => ({ fileName, sql: readFileSync(join(dir, fileName), 'utf8') })));
}
