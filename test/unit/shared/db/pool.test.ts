import { createPool, describeServer } from '../../../../services/shared/db';
import type { Logger } from '../../../../services/shared/logger';

describe('createPool', () => {
  it('bounds every wait and names the application', async () => {
    // Prepare
    const options = { connectionString: 'postgres://u:p@127.0.0.1:1/db', applicationName: 'mdc-test', max: 3, connectionTimeoutMillis: 1_000, statementTimeoutMillis: 2_000 };

    // Act
    const pool = createPool(options);

    // Assert
    expect(pool.options).toMatchObject({
      max: 3,
      connectionTimeoutMillis: 1_000,
      idleTimeoutMillis: 60_000,
      statement_timeout: 2_000,
      query_timeout: 7_000,
      application_name: 'mdc-test',
    });
    await pool.end();
  });

  it('applies bounded defaults', async () => {
    // Act
    const pool = createPool({ connectionString: 'postgres://u:p@127.0.0.1:1/db', applicationName: 'mdc-test' });

    // Assert
    expect(pool.options).toMatchObject({ max: 2, connectionTimeoutMillis: 5_000, statement_timeout: 15_000, query_timeout: 20_000 });
    await pool.end();
  });

  it('logs an idle connection error instead of crashing the process', async () => {
    // Prepare
    const warn = jest.fn();
    const pool = createPool({ connectionString: 'postgres://u:p@127.0.0.1:1/db', applicationName: 'mdc-test', logger: { warn } as unknown as Logger });

    // Act
    pool.emit('error', new Error('terminating connection due to administrator command'));

    // Assert
    expect(warn).toHaveBeenCalledWith('idle database connection failed', { applicationName: 'mdc-test', error: 'terminating connection due to administrator command' });
    await pool.end();
  });
});

describe('describeServer', () => {
  it('names host, port and database of a URL, never the credentials', async () => {
    // Prepare
    const pool = createPool({ connectionString: 'postgres://someone:s3cret@db.example.internal:6543/history', applicationName: 'test' });

    // Act
    const server = describeServer(pool);

    // Assert
    expect(server).toBe('db.example.internal:6543/history');
    await pool.end();
  });

  it('fills in the default port', async () => {
    // Prepare
    const pool = createPool({ connectionString: 'postgres://someone:s3cret@db.example.internal/history', applicationName: 'test' });

    // Act
    const server = describeServer(pool);

    // Assert
    expect(server).toBe('db.example.internal:5432/history');
    await pool.end();
  });
});
