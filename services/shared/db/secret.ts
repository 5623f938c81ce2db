import { ConfigError } from '../errors';

/**
 * The JSON of an RDS database secret. Secrets attached to an instance by the
 * CDK/RDS carry host, port and dbname; an RDS-managed master password secret
 * holds only username and password.
 */
interface RdsSecret {
  username?: string;
  password?: string;
  host?: string;
  port?: number | string;
  dbname?: string;
}

/** DB_HOST / DB_PORT / DB_NAME / DB_SSLMODE: they win over the secret's fields. */
export interface SecretOverrides {
  /** The RDS Proxy endpoint: the secret names the instance, the Lambdas must go through the proxy. */
  host?: string;
  port?: string;
  database?: string;
  /** libpq sslmode appended to the URL, e.g. `verify-full` for RDS. */
  sslmode?: string;
}

export type SecretFetcher = (secretArn: string) => Promise<string>;

/** Builds a postgres:// URL from a Secrets Manager secret string (RDS JSON, or a URL as is). */
export function databaseUrlFromSecret(secretString: string, overrides: SecretOverrides = {}): string {
  const trimmed = secretString.trim();
  if (/^postgres(ql)?:\/\//.test(trimmed)) return trimmed;
  let secret: RdsSecret;
  try {
    secret = JSON.parse(trimmed) as RdsSecret;
  } catch (cause) {
    throw new ConfigError('The database secret is neither JSON nor a postgres:// URL; store it in the RDS format {"username","password","host","port","dbname"}', { cause });
  }
  const host = overrides.host ?? secret.host;
  if (!secret.username || !secret.password || !host) {
    throw new ConfigError('The database secret lacks username, password or host (set DB_HOST when the secret holds only credentials)');
  }
  const url = new URL('postgres://placeholder');
  url.username = encodeURIComponent(secret.username);
  url.password = encodeURIComponent(secret.password);
  url.hostname = host;
  url.port = String(overrides.port ?? secret.port ?? 5432);
  url.pathname = `/${encodeURIComponent(overrides.database ?? secret.dbname ?? 'postgres')}`;
  if (overrides.sslmode) url.searchParams.set('sslmode', overrides.sslmode);
  return url.toString();
}

/** Reads a secret's string with the SDK. */
export async function fetchSecretString(secretArn: string): Promise<string> {
  // Loaded only when a secret is configured, so DATABASE_URL setups pay nothing at cold start.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString) throw new ConfigError(`Secret ${secretArn} has no SecretString; store the database credentials as JSON text`);
    return SecretString;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`Cannot read the database secret ${secretArn}: ${(error as Error).message}; check the ARN and that the role may secretsmanager:GetSecretValue`, { cause: error });
  } finally {
    client.destroy();
  }
}

/**
 * The database URL for a Lambda or script: DATABASE_URL when set (local runs,
 * tests), else the Secrets Manager secret named by DB_SECRET_ARN, read with the
 * SDK (no layer to pin per region; it works the same against LocalStack; callers
 * read it once per container). TLS defaults to verify-full for a secret's URL.
 */
export async function resolveDatabaseUrl(env: NodeJS.ProcessEnv = process.env, fetchSecret: SecretFetcher = fetchSecretString): Promise<string> {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const secretArn = env.DB_SECRET_ARN;
  if (!secretArn) throw new ConfigError('Set DATABASE_URL, or DB_SECRET_ARN to the ARN of the database secret');
  const raw = await fetchSecret(secretArn);
  return databaseUrlFromSecret(raw, { host: env.DB_HOST, port: env.DB_PORT, database: env.DB_NAME, sslmode: env.DB_SSLMODE ?? 'verify-full' });
}
