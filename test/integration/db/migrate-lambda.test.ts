import { Client } from 'pg';
import { handler } from '../../../lambdas/migrate';
import { MIGRATIONS_DIR } from '../../../lambdas/migrate/paths';
import { loadMigrationsFromDir } from '../../../services/shared/db';
import { createTestDatabase, type TestDatabase } from '../../support';

const fileCount = loadMigrationsFromDir(MIGRATIONS_DIR).length;

describe('lambdas/migrate custom resource handler', () => {
  let db: TestDatabase;
  const previousUrl = process.env.DATABASE_URL;

  beforeEach(async () => {
    db = await createTestDatabase('mdc_migrate_lambda');
    process.env.DATABASE_URL = db.url;
  });

  afterEach(async () => {
    process.env.DATABASE_URL = previousUrl;
    await db.drop();
  });

  async function appliedCount(): Promise<number> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>("SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE (SELECT count(*) FROM schema_migrations) END AS n");
      return Number(rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  it('migrates on Create, finds nothing on Update, and leaves the schema alone on Delete', async () => {
    // Prepare
    const base = { ResourceProperties: {} };

    // Act
    const created = await handler({ ...base, RequestType: 'Create' });
    const updated = await handler({ ...base, RequestType: 'Update', PhysicalResourceId: created.PhysicalResourceId });
    const deleted = await handler({ ...base, RequestType: 'Delete', PhysicalResourceId: created.PhysicalResourceId });

    // Assert
    expect(created.Data).toMatchObject({ AppliedCount: fileCount, Skipped: 0 });
    expect(updated).toMatchObject({ PhysicalResourceId: created.PhysicalResourceId, Data: { AppliedCount: 0, Skipped: fileCount } });
    expect(deleted).toEqual({ PhysicalResourceId: created.PhysicalResourceId });
    expect(await appliedCount()).toBe(fileCount);
  });
});
