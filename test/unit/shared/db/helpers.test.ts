import { ConfigError } from '../../../../services/shared/errors';
import { databaseUrlFromSecret, lineOfPosition } from '../../../../services/shared/db';

describe('databaseUrlFromSecret', () => {
  it('builds a URL from an RDS secret, escaping the password', () => {
    // Prepare
    const secret = JSON.stringify({ username: 'mdc', password: 'p@ss/w:rd', host: 'db.example', port: 5433, dbname: 'market' });

    // Act
    const url = new URL(databaseUrlFromSecret(secret, { sslmode: 'verify-full' }));

    // Assert
    expect(url.hostname).toBe('db.example');
    expect(url.port).toBe('5433');
    expect(url.pathname).toBe('/market');
    expect(decodeURIComponent(url.password)).toBe('p@ss/w:rd');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
  });

  it('takes host and database from fallbacks for a credentials-only secret', () => {
    // Prepare
    const secret = JSON.stringify({ username: 'mdc', password: 'x' });

    // Act
    const url = new URL(databaseUrlFromSecret(secret, { host: 'proxy.example', database: 'mdc' }));

    // Assert
    expect(url.host).toBe('proxy.example:5432');
    expect(url.pathname).toBe('/mdc');
  });

  it('refuses a secret without a host and says what to set', () => {
    // Prepare
    const secret = JSON.stringify({ username: 'mdc', password: 'x' });

    // Act
    const act = () => databaseUrlFromSecret(secret);

    // Assert
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/DB_HOST/);
  });
});

describe('lineOfPosition', () => {
  it('maps a 1-based character position to its line', () => {
    // Prepare
    const sql = 'SELECT 1;\nSELECT 2;\nSELEKT 3;';

    // Act
    const [line, none] = [lineOfPosition(sql, String(sql.indexOf('SELEKT') + 1)), lineOfPosition(sql, undefined)];

    // Assert
    expect(line).toBe(3);
    expect(none).toBeUndefined();
  });
});
