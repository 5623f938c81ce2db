import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { LocalServiceError, MissingDependencyError } from './errors';
import type { EnsuredService } from './redis';
import { installDebianPackages, isRoot, postgresBinDirs, run } from './system';

type ProbeResult = { kind: 'ok' } | { kind: 'unreachable' } | { kind: 'rejected'; reason: string };

const LOCAL_HOSTS = ['127.0.0.1', 'localhost', '::1'];

async function probe(url: URL, database: string): Promise<ProbeResult> {
  const target = new URL(url);
  target.pathname = `/${database}`;
  const client = new Client({ connectionString: target.toString(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return { kind: 'ok' };
  } catch (error) {
    const err = error as { code?: string; message?: string };
    if (err.code === 'ECONNREFUSED' || err.code === 'ETIMEDOUT' || err.code === 'ENOTFOUND' || err.code === '57P03') return { kind: 'unreachable' };
    return { kind: 'rejected', reason: `${err.code ?? ''} ${err.message ?? String(error)}`.trim() };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

async function ensureDatabase(url: URL, database: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
  } finally {
    await client.end();
  }
}

function systemUserIds(name: string): { uid: number; gid: number } | undefined {
  try {
    return { uid: Number(run('id', ['-u', name]).trim()), gid: Number(run('id', ['-g', name]).trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Where the private cluster lives. PostgreSQL refuses to run as root, so as root
 * the cluster belongs to Debian's `postgres` user and sits in that user's home:
 * a checkout under a root-only folder would be out of its reach.
 */
export function privateClusterDir(stateDir: string): string {
  if (!isRoot()) return join(stateDir, 'postgres');
  const key = createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
  return join('/var/lib/postgresql', 'mdc-local', key);
}

/** Starts (creating when needed) a private cluster; returns how to stop it. */
function startPrivateCluster(url: URL, stateDir: string): () => Promise<void> {
  let binDirs = postgresBinDirs();
  if (binDirs.length === 0) {
    installDebianPackages(['postgresql'], 'PostgreSQL');
    binDirs = postgresBinDirs();
    if (binDirs.length === 0) throw new MissingDependencyError('PostgreSQL binaries are still missing under /usr/lib/postgresql after installing postgresql');
  }
  const bin = binDirs[0]!;
  const clusterDir = privateClusterDir(stateDir);
  const dataDir = join(clusterDir, 'data');
  const logFile = join(clusterDir, 'postgres.log');
  const owner = isRoot() ? systemUserIds('postgres') : undefined;
  if (isRoot() && !owner) throw new MissingDependencyError("Running as root needs the system user 'postgres' (created by the Debian package postgresql) to own the local cluster");
  const asUser = owner ? 'postgres' : undefined;
  mkdirSync(clusterDir, { recursive: true });
  if (owner) {
    chownSync(join(clusterDir, '..'), owner.uid, owner.gid);
    chownSync(clusterDir, owner.uid, owner.gid);
  }

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const user = decodeURIComponent(url.username || 'postgres');
    const passwordFile = join(clusterDir, 'initdb.pw');
    writeFileSync(passwordFile, `${decodeURIComponent(url.password || 'postgres')}\n`, { mode: 0o600 });
    if (owner) chownSync(passwordFile, owner.uid, owner.gid);
    run(join(bin, 'initdb'), ['-D', dataDir, '-U', user, `--pwfile=${passwordFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale'], { asUser });
  }
  const port = url.port || '5432';
  const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
  const serverOptions = `-p ${port} -c listen_addresses=${host} -k ${clusterDir}`;
  run(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start'], { asUser });
  return async () => {
    run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { asUser });
  };
}

/**
 * A server answers but refuses our role. As root on the same machine we can
 * create the role through Debian's local socket (peer auth as `postgres`);
 * anyone else gets the SQL to run.
 */
function createRoleThroughLocalSocket(url: URL, reason: string): void {
  const user = decodeURIComponent(url.username || 'postgres');
  const password = decodeURIComponent(url.password || '');
  const sql = `CREATE ROLE ${quoteIdent(user)} LOGIN SUPERUSER PASSWORD ${quoteLiteral(password)}`;
  const socketDir = '/var/run/postgresql';
  if (!isRoot() || !existsSync(socketDir)) {
    throw new LocalServiceError(
      `PostgreSQL at ${url.host} refused ${user} (${reason}). Either run as the database superuser: ${sql}; or set DATABASE_URL to a role that may create databases`,
    );
  }
  try {
    run('psql', ['-h', socketDir, '-p', url.port || '5432', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql], { asUser: 'postgres' });
  } catch (cause) {
    throw new LocalServiceError(`PostgreSQL at ${url.host} refused ${user} (${reason}) and creating the role failed; run as superuser: ${sql}`, { cause });
  }
}

/**
 * The migrations manage partitions with pg_partman when the server offers it, and
 * the test suite asserts that path, so a local server gets Debian's package for
 * its major version. Only as root and only when missing: anyone else keeps the
 * server as it is.
 */
async function ensurePartman(url: URL): Promise<void> {
  if (!isRoot() || !LOCAL_HOSTS.includes(url.hostname)) return;
  const client = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await client.connect();
  let major: number;
  try {
    const { rows } = await client.query<{ version: string }>("SELECT current_setting('server_version_num') AS version");
    major = Math.floor(Number(rows[0]!.version) / 10000);
  } finally {
    await client.end();
  }
  // Debian's packages only fit a Debian-packaged server of the same major.
  if (!existsSync(`/usr/lib/postgresql/${major}`) || existsSync(`/usr/share/postgresql/${major}/extension/pg_partman.control`)) return;
  installDebianPackages([`postgresql-${major}-partman`], 'The pg_partman partitioning path of the migrations');
}

export async function ensurePostgres(databaseUrl: string, stateDir: string): Promise<EnsuredService> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  let stop: (() => Promise<void>) | undefined;
  let origin = 'reused (already running)';
  let result = await probe(url, 'postgres');
  if (result.kind === 'unreachable') {
    if (!LOCAL_HOSTS.includes(url.hostname)) {
      throw new LocalServiceError(`PostgreSQL at ${url.host} (DATABASE_URL) does not answer, and it is not on this machine, so it cannot be started here`);
    }
    stop = startPrivateCluster(url, stateDir);
    origin = `started (data and log: ${privateClusterDir(stateDir)})`;
    result = await probe(url, 'postgres');
  }
  if (result.kind === 'rejected') {
    createRoleThroughLocalSocket(url, result.reason);
    result = await probe(url, 'postgres');
  }
  if (result.kind !== 'ok') {
    await stop?.();
    throw new LocalServiceError(`PostgreSQL at ${url.host} is still not usable with DATABASE_URL: ${result.kind === 'rejected' ? result.reason : 'unreachable'}`);
  }
  await ensureDatabase(url, database);
  await ensurePartman(url);
  return { name: 'postgres', url: databaseUrl, stop, origin };
}
