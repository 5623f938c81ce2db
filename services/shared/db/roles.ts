import type { Pool } from 'pg';
import { CollectorError, ConfigError } from '../errors';
import type { Logger } from '../logger';
import { fetchSecretString, type SecretFetcher } from './secret';

/** The login roles of the functions (migration 0011); the migration login owns everything. */
export const DATABASE_ROLES = ['mdc_ingest', 'mdc_api'] as const;
export type DatabaseRole = (typeof DATABASE_ROLES)[number];

/** What a role's secret holds: the login (the role, or the `_clone` RDS multi-user rotation alternates with) and its password. */
export interface RoleLogin {
  role: DatabaseRole;
  username: string;
  password: string;
}

export class RoleProvisioningError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ROLE_PROVISIONING_FAILED', message, options);
  }
}

const CLONE_SUFFIX = '_clone';

/**
 * Roles live in a catalog shared by every database of the server, and two
 * sessions altering the same role at once make the later one fail with
 * `tuple concurrently updated` (XX000) instead of waiting: migrate runs on
 * several databases of one server at once in the test suite, and a deployment
 * may overlap `npm run migrate`. No lock spans databases (advisory locks are
 * per database), so the loser retries; the statement sets an absolute value, so
 * repeating it is harmless.
 */
export interface RoleRaceRetry {
  attempts: number;
  /** Upper bound of the random wait before each retry. */
  maxDelayMs: number;
}
export const DEFAULT_ROLE_RACE_RETRY: RoleRaceRetry = { attempts: 20, maxDelayMs: 50 };

const isCatalogRace = (cause: unknown): boolean => {
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  return code === 'XX000' && typeof message === 'string' && /tuple concurrently (updated|deleted)/.test(message);
};

async function alterRoleRetryingRaces(pool: Pool, statement: string, username: string, retry: RoleRaceRetry): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await pool.query(statement);
      return;
    } catch (cause) {
      if (isCatalogRace(cause) && attempt < retry.attempts) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * retry.maxDelayMs));
        continue;
      }
      // The cause's message would not hold the password, but its query would: keep only the code.
      const code = (cause as { code?: string }).code;
      const hint = code === '42501' ? '; the migration login needs CREATEROLE' : isCatalogRace(cause) ? `; another session kept altering the role (${attempt} attempts)` : '';
      throw new RoleProvisioningError(`Setting the password of ${username} failed (SQLSTATE ${code ?? 'unknown'})${hint}`);
    }
  }
}

/**
 * Gives each role's login the password of its secret. The role itself gets
 * LOGIN and the password; a `_clone` login (created by the rotation function as
 * a member of the role) only the password. The statement is built by
 * PostgreSQL's format(%L) so the password never passes through string
 * concatenation here, and nothing about it is logged.
 */
export async function provisionRoleLogins(pool: Pool, logins: readonly RoleLogin[], logger?: Logger, retry: RoleRaceRetry = DEFAULT_ROLE_RACE_RETRY): Promise<void> {
  for (const login of logins) {
    if (login.username !== login.role && login.username !== `${login.role}${CLONE_SUFFIX}`) {
      throw new RoleProvisioningError(`The secret for ${login.role} names the user '${login.username}'; it must be ${login.role} or ${login.role}${CLONE_SUFFIX}`);
    }
    if (login.password.length < 16) {
      throw new RoleProvisioningError(`The password for ${login.username} is shorter than 16 characters; generate a longer one in its secret`);
    }
    const { rows: exists } = await pool.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS present', [login.username]);
    if (!exists[0]?.present) {
      throw new RoleProvisioningError(
        login.username === login.role
          ? `Role ${login.role} does not exist; run the migrations first (0011 creates it)`
          : `Login ${login.username} does not exist; the secret was rotated on another server? Restore the secret's username to ${login.role}`,
      );
    }
    const attributes = login.username === login.role ? 'LOGIN PASSWORD' : 'PASSWORD';
    const { rows } = await pool.query<{ statement: string }>(`SELECT format('ALTER ROLE %I WITH ${attributes} %L', $1::text, $2::text) AS statement`, [login.username, login.password]);
    await alterRoleRetryingRaces(pool, rows[0]!.statement, login.username, retry);
    logger?.info('database login provisioned', { role: login.role, username: login.username });
  }
}

/** Per role: the Secrets Manager secret (AWS) or the password itself (local runs). */
export const ROLE_CREDENTIAL_VARIABLES: Record<DatabaseRole, { secretArn: string; password: string }> = {
  mdc_ingest: { secretArn: 'INGEST_DB_SECRET_ARN', password: 'MDC_INGEST_DB_PASSWORD' },
  mdc_api: { secretArn: 'API_DB_SECRET_ARN', password: 'MDC_API_DB_PASSWORD' },
};

/**
 * The logins migrate should provision, from the environment. A role with
 * neither variable set is left as it is (NOLOGIN on a fresh server).
 */
export async function resolveRoleLogins(env: NodeJS.ProcessEnv = process.env, fetchSecret: SecretFetcher = fetchSecretString): Promise<RoleLogin[]> {
  const logins: RoleLogin[] = [];
  for (const role of DATABASE_ROLES) {
    const variables = ROLE_CREDENTIAL_VARIABLES[role];
    const secretArn = env[variables.secretArn];
    const password = env[variables.password];
    if (secretArn) {
      const raw = await fetchSecret(secretArn);
      let secret: { username?: unknown; password?: unknown };
      try {
        secret = JSON.parse(raw) as typeof secret;
      } catch (cause) {
        throw new ConfigError(`${variables.secretArn}: the secret is not JSON; store it in the RDS format {"username","password",...}`, { cause });
      }
      if (typeof secret.username !== 'string' || typeof secret.password !== 'string') {
        throw new ConfigError(`${variables.secretArn}: the secret lacks username or password`);
      }
      logins.push({ role, username: secret.username, password: secret.password });
    } else if (password) {
      logins.push({ role, username: role, password });
    }
  }
  return logins;
}
