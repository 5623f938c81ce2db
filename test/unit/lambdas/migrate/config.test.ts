import { loadMigrateConfig } from '../../../../lambdas/migrate/config';
import { MIGRATIONS_DIR } from '../../../../lambdas/migrate/paths';
import { EnvironmentError } from '../../../../services/shared/errors';

describe('loadMigrateConfig', () => {
  it('defaults to the migrations beside the handler', () => {
    // Act
    const config = loadMigrateConfig({ DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db' });

    // Assert
    expect(config).toEqual({ migrationsDir: MIGRATIONS_DIR, databaseUrl: undefined });
  });

  it('names every bad database variable', () => {
    // Act
    const load = () => loadMigrateConfig({ DATABASE_URL: 'mysql://db/mdc', DB_PORT: 'fifty', MIGRATIONS_DIR: '' });

    // Assert
    expect(load).toThrow(EnvironmentError);
    expect(load).toThrow(/DATABASE_URL="mysql:\/\/db\/mdc": .+; DB_PORT="fifty": must be a port number; MIGRATIONS_DIR="": /);
  });
});
