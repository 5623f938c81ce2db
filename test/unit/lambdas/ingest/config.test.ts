import { loadIngestConfig } from '../../../../lambdas/ingest';
import { EnvironmentError } from '../../../../services/shared/errors';

function thrown(action: () => unknown): EnvironmentError {
  try {
    action();
  } catch (error) {
    if (error instanceof EnvironmentError) return error;
    throw error;
  }
  throw new Error('expected an EnvironmentError, but nothing was thrown');
}

describe('loadIngestConfig', () => {
  it('applies the defaults', () => {
    // Act
    const config = loadIngestConfig({ DATABASE_URL: 'postgres://mdc:mdc@127.0.0.1:5432/mdc' });

    // Assert
    expect(config).toEqual({ poolMax: 2, connectTimeoutMs: 5_000, statementTimeoutMs: 15_000, metricsNamespace: 'MarketDataCollector' });
  });

  it('reads its variables', () => {
    // Act
    const config = loadIngestConfig({ DB_POOL_MAX: '4', DB_CONNECT_TIMEOUT_MS: '1500', DB_STATEMENT_TIMEOUT_MS: '30000', POWERTOOLS_METRICS_NAMESPACE: 'Mdc' });

    // Assert
    expect(config).toEqual({ poolMax: 4, connectTimeoutMs: 1_500, statementTimeoutMs: 30_000, metricsNamespace: 'Mdc' });
  });

  it('refuses DB_POOL_MAX=abc, naming the variable, instead of a NaN pool size', () => {
    // Act
    const error = thrown(() => loadIngestConfig({ DB_POOL_MAX: 'abc' }));

    // Assert
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems.map((p) => p.variable)).toEqual(['DB_POOL_MAX']);
    expect(error.message).toContain('DB_POOL_MAX="abc"');
  });

  it('names both of two bad variables', () => {
    // Act
    const error = thrown(() => loadIngestConfig({ DB_POOL_MAX: '0', DB_STATEMENT_TIMEOUT_MS: 'soon', DB_SSLMODE: 'verify-full' }));

    // Assert
    expect(error.problems.map((p) => p.variable)).toEqual(['DB_POOL_MAX', 'DB_STATEMENT_TIMEOUT_MS']);
    expect(error.message).toMatch(/DB_POOL_MAX="0": .+; DB_STATEMENT_TIMEOUT_MS="soon": /);
  });
});

describe('the ingest Lambda entry point', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  it('fails the invocation with the variable named when DB_POOL_MAX is not a number', async () => {
    // Prepare
    process.env = { ...saved, DATABASE_URL: 'postgres://mdc:mdc@127.0.0.1:1/mdc', DB_POOL_MAX: 'abc', POWERTOOLS_METRICS_DISABLED: 'true' };
    let entry: typeof import('../../../../lambdas/ingest/handler').handler | undefined;
    jest.isolateModules(() => {
      entry = (jest.requireActual('../../../../lambdas/ingest/handler') as typeof import('../../../../lambdas/ingest/handler')).handler;
    });

    // Act
    const outcome = entry!({ Records: [] });

    // Assert
    await expect(outcome).rejects.toThrow(/DB_POOL_MAX="abc"/);
  });
});
