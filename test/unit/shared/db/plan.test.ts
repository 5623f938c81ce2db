import { MigrationChangedError, MigrationOrderError, planMigrations, prepareMigrations } from '../../../../services/shared/db';

const migrations = prepareMigrations([
  { fileName: '0001_a.sql', sql: 'SELECT 1;' },
  { fileName: '0002_b.sql', sql: 'SELECT 2;' },
  { fileName: '0003_c.sql', sql: 'SELECT 3;' },
]);
const row = (index: number) => ({ version: migrations[index]!.version, file_name: migrations[index]!.fileName, checksum: migrations[index]!.checksum });

describe('planMigrations', () => {
  it('returns the migrations not yet applied', () => {
    // Prepare
    const applied = [row(0)];

    // Act
    const { pending, missing } = planMigrations(migrations, applied);

    // Assert
    expect(pending.map((migration) => migration.fileName)).toEqual(['0002_b.sql', '0003_c.sql']);
    expect(missing).toEqual([]);
  });

  it('refuses an applied file whose checksum changed, naming it and the way out', () => {
    // Prepare
    const applied = [row(0), { ...row(1), checksum: 'f'.repeat(64) }];

    // Act
    const act = () => planMigrations(migrations, applied);

    // Assert
    expect(act).toThrow(MigrationChangedError);
    expect(act).toThrow(/0002_b\.sql.*new migration/);
  });

  it('refuses a pending migration numbered below an applied one', () => {
    // Prepare
    const applied = [row(0), row(2)];

    // Act
    const act = () => planMigrations(migrations, applied);

    // Assert
    expect(act).toThrow(MigrationOrderError);
    expect(act).toThrow(/0002_b\.sql.*renumber it above 3/);
  });

  it('reports applied versions that have no file (a newer deploy migrated first)', () => {
    // Prepare
    const applied = [row(0), row(1), row(2), { version: 4, file_name: '0004_d.sql', checksum: 'a'.repeat(64) }];

    // Act
    const { pending, missing } = planMigrations(migrations, applied);

    // Assert
    expect(pending).toEqual([]);
    expect(missing.map((entry) => entry.file_name)).toEqual(['0004_d.sql']);
  });
});
