import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrationsFromDir, migrationChecksum, MigrationFileError, parseMigrationVersion, prepareMigrations, REPOSITORY_MIGRATIONS_DIR } from '../../../../services/shared/db';

describe('parseMigrationVersion', () => {
  it('reads the numeric prefix of a well-formed name', () => {
    // Prepare
    const names = ['0001_trading_pairs.sql', '0042_add_index.sql', '10000_later.sql'];

    // Act
    const versions = names.map(parseMigrationVersion);

    // Assert
    expect(versions).toEqual([1, 42, 10000]);
  });

  it('rejects names without prefix, with upper case or another extension', () => {
    // Prepare
    const names = ['trading_pairs.sql', '001_short.sql', '0001_Trading.sql', '0001_x.sql.bak', '0001-x.sql'];

    // Act
    const versions = names.map(parseMigrationVersion);

    // Assert
    expect(versions).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('migrationChecksum', () => {
  it('is the SHA-256 hex digest and ignores CRLF versus LF', () => {
    // Prepare
    const lf = 'CREATE TABLE a (id int);\nSELECT 1;\n';
    const crlf = lf.replace(/\n/g, '\r\n');

    // Act
    const [fromLf, fromCrlf, edited] = [migrationChecksum(lf), migrationChecksum(crlf), migrationChecksum(`${lf}-- edit\n`)];

    // Assert
    expect(fromLf).toMatch(/^[0-9a-f]{64}$/);
    expect(fromCrlf).toBe(fromLf);
    expect(edited).not.toBe(fromLf);
  });
});

describe('prepareMigrations', () => {
  it('orders by number, not by string', () => {
    // Prepare
    const files = [
      { fileName: '10000_c.sql', sql: 'SELECT 3;' },
      { fileName: '0002_b.sql', sql: 'SELECT 2;' },
      { fileName: '9999_a.sql', sql: 'SELECT 1;' },
    ];

    // Act
    const ordered = prepareMigrations(files).map((migration) => migration.fileName);

    // Assert
    expect(ordered).toEqual(['0002_b.sql', '9999_a.sql', '10000_c.sql']);
  });

  it('refuses two files with the same version, naming both', () => {
    // Prepare
    const files = [
      { fileName: '0003_a.sql', sql: 'SELECT 1;' },
      { fileName: '0003_b.sql', sql: 'SELECT 2;' },
    ];

    // Act
    const act = () => prepareMigrations(files);

    // Assert
    expect(act).toThrow(MigrationFileError);
    expect(act).toThrow(/0003_a\.sql.*0003_b\.sql/);
  });

  it('refuses transaction control but accepts PL/pgSQL blocks', () => {
    // Prepare
    const withCommit = [{ fileName: '0001_a.sql', sql: 'CREATE TABLE a (id int);\nCOMMIT;\n' }];
    const withDoBlock = [{ fileName: '0001_a.sql', sql: 'DO $$\nBEGIN\n  BEGIN\n    PERFORM 1;\n  END;\nEND\n$$;\n' }];

    // Act
    const refused = () => prepareMigrations(withCommit);
    const accepted = prepareMigrations(withDoBlock);

    // Assert
    expect(refused).toThrow(/'0001_a\.sql' contains a transaction statement/);
    expect(accepted).toHaveLength(1);
  });
});

describe('loadMigrationsFromDir', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdc-migrations-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a misnamed .sql file instead of skipping it', () => {
    // Prepare
    writeFileSync(join(dir, '0001_ok.sql'), 'SELECT 1;');
    writeFileSync(join(dir, 'add_column.sql'), 'SELECT 2;');

    // Act
    const act = () => loadMigrationsFromDir(dir);

    // Assert
    expect(act).toThrow(/'add_column\.sql' is not named/);
  });

  it('loads the repository migrations in order, 0001 first', () => {
    // Prepare
    const directory = REPOSITORY_MIGRATIONS_DIR;

    // Act
    const migrations = loadMigrationsFromDir(directory);

    // Assert
    expect(migrations[0]?.fileName).toBe('0001_trading_pairs.sql');
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, index) => index + 1));
  });
});
