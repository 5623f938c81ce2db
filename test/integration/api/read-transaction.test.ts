import { Pool } from 'pg';
import { QueryTimeoutError } from '../../../lambdas/api/errors';
import { withReadTransaction } from '../../../lambdas/api/store';
import { createTestDatabase, type TestDatabase } from '../../support';

let database: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase('mdc_api_read_tx');
  pool = new Pool({ connectionString: database.url, max: 1 });
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

describe('withReadTransaction', () => {
  it('cancels a statement past the route timeout and answers QueryTimeoutError naming it', async () => {
    // Act: the statement sleeps 10 times longer than its timeout.
    const error = await withReadTransaction(pool, { timeoutMs: 50, route: 'GET /v1/history' }, (client) => client.query('SELECT pg_sleep(0.5)')).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect((error as QueryTimeoutError).status).toBe(503);
    expect((error as QueryTimeoutError).code).toBe('QUERY_TIMEOUT');
    expect((error as QueryTimeoutError).message).toContain('GET /v1/history query ran past its 50 ms statement timeout');
  });

  it('sets the timeout for its own transaction only and reads read-only', async () => {
    // Act
    const inside = await withReadTransaction(pool, { timeoutMs: 1234, route: 'test' }, async (client) => {
      const { rows } = await client.query<{ timeout: string; readOnly: string }>("SELECT current_setting('statement_timeout') AS timeout, current_setting('transaction_read_only') AS \"readOnly\"");
      return rows[0]!;
    });
    const after = await pool.query<{ timeout: string }>("SELECT current_setting('statement_timeout') AS timeout");
    const write = await withReadTransaction(pool, { timeoutMs: 1000, route: 'test' }, (client) => client.query('CREATE TABLE forbidden (id int)')).catch((e: unknown) => e);

    // Assert
    expect(inside).toEqual({ timeout: '1234ms', readOnly: 'on' });
    expect(after.rows[0]!.timeout).toBe('0');
    expect((write as { code?: string }).code).toBe('25006');
  });

  it('hands the connection back usable after a cancelled statement', async () => {
    // Prepare
    await withReadTransaction(pool, { timeoutMs: 20, route: 'test' }, (client) => client.query('SELECT pg_sleep(0.3)')).catch(() => undefined);

    // Act
    const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');

    // Assert
    expect(rows[0]!.one).toBe(1);
  });
});
