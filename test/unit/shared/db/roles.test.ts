import type { Pool } from 'pg';
import { provisionRoleLogins, resolveRoleLogins, RoleProvisioningError } from '../../../../services/shared/db';

const PASSWORD = 'a-password-of-32-characters-xxxx';

/** A pool that answers the existence check and the format() call, and fails ALTER ROLE with the given errors first. */
function fakePool(alterFailures: unknown[]): { pool: Pool; statements: string[] } {
  const statements: string[] = [];
  const query = jest.fn(async (sql: string, params?: unknown[]) => {
    if (sql.includes('pg_roles')) return { rows: [{ present: true }] };
    if (sql.startsWith('SELECT format(')) return { rows: [{ statement: `ALTER ROLE ${String(params?.[0])} WITH LOGIN PASSWORD '${String(params?.[1])}'` }] };
    statements.push(sql);
    const failure = alterFailures.shift();
    if (failure) throw failure;
    return { rows: [] };
  });
  return { pool: { query } as unknown as Pool, statements };
}

const race = () => Object.assign(new Error('tuple concurrently updated'), { code: 'XX000' });
const noWait = { attempts: 5, maxDelayMs: 0 };

describe('provisionRoleLogins', () => {
  it('retries ALTER ROLE when another session altered the role at the same moment', async () => {
    // Prepare
    const { pool, statements } = fakePool([race(), race()]);

    // Act
    await provisionRoleLogins(pool, [{ role: 'mdc_api', username: 'mdc_api', password: PASSWORD }], undefined, noWait);

    // Assert
    expect(statements).toHaveLength(3);
  });

  it('gives up after the attempts, naming the login and the SQLSTATE but never the password', async () => {
    // Prepare
    const { pool } = fakePool(Array.from({ length: 5 }, race));

    // Act
    const run = provisionRoleLogins(pool, [{ role: 'mdc_api', username: 'mdc_api', password: PASSWORD }], undefined, noWait);

    // Assert
    await expect(run).rejects.toBeInstanceOf(RoleProvisioningError);
    await expect(run).rejects.toThrow(/mdc_api failed \(SQLSTATE XX000\); another session kept altering the role \(5 attempts\)/);
    await expect(run).rejects.not.toThrow(PASSWORD);
  });

  it('does not retry a refusal, and says the migration login lacks CREATEROLE', async () => {
    // Prepare
    const refusal = Object.assign(new Error(`permission denied; query ALTER ROLE ... '${PASSWORD}'`), { code: '42501' });
    const { pool, statements } = fakePool([refusal]);

    // Act
    const run = provisionRoleLogins(pool, [{ role: 'mdc_ingest', username: 'mdc_ingest', password: PASSWORD }], undefined, noWait);

    // Assert
    await expect(run).rejects.toThrow(/SQLSTATE 42501\); the migration login needs CREATEROLE$/);
    expect(statements).toHaveLength(1);
  });

  it.each([
    ['a secret naming another user', { role: 'mdc_api' as const, username: 'postgres', password: PASSWORD }, /must be mdc_api or mdc_api_clone/],
    ['a short password', { role: 'mdc_api' as const, username: 'mdc_api', password: 'short' }, /shorter than 16 characters/],
  ])('refuses %s before touching the server', async (_case, login, message) => {
    // Prepare
    const { pool, statements } = fakePool([]);

    // Act
    const run = provisionRoleLogins(pool, [login], undefined, noWait);

    // Assert
    await expect(run).rejects.toThrow(message);
    expect(statements).toEqual([]);
  });
});

describe('resolveRoleLogins', () => {
  it('reads the login of a secret ARN and a local password, and skips a role with neither', async () => {
    // Prepare
    const env = { INGEST_DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:ingest', MDC_API_DB_PASSWORD: PASSWORD };
    const fetchSecret = jest.fn(async () => JSON.stringify({ username: 'mdc_ingest_clone', password: PASSWORD, engine: 'postgres' }));

    // Act
    const logins = await resolveRoleLogins(env, fetchSecret);
    const none = await resolveRoleLogins({}, fetchSecret);

    // Assert
    expect(logins).toEqual([
      { role: 'mdc_ingest', username: 'mdc_ingest_clone', password: PASSWORD },
      { role: 'mdc_api', username: 'mdc_api', password: PASSWORD },
    ]);
    expect(fetchSecret).toHaveBeenCalledTimes(1);
    expect(none).toEqual([]);
  });

  it('names the variable of a secret that is not an RDS secret', async () => {
    // Act
    const run = resolveRoleLogins({ API_DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:api' }, async () => 'not json');

    // Assert
    await expect(run).rejects.toThrow(/API_DB_SECRET_ARN: the secret is not JSON/);
  });
});
