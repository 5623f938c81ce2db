import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DATABASE_ROLES, type DatabaseRole, type RoleLogin } from '../../services/shared/db/roles';
import { ensurePostgres } from './postgres';
import { ensureRedis, type EnsuredService } from './redis';
import { stopInOrder, type ShutdownStep } from './shutdown';
import { ensureSqsEndpoint } from './sqs';

export { ManagedProcess } from './process';
export type { EnsuredService } from './redis';
export { redisAnswers } from './redis';
export { MissingDependencyError, LocalServiceError } from './errors';
export { httpOk, isPortOpen } from './probe';
export { CHROMIUM_PACKAGE, ensureChromium } from './chromium';
export { ensurePromtool, PROMTOOL_PACKAGE } from './promtool';
export { waitForQueueDrained } from './sqs';
export { orderShutdown, SHUTDOWN_ORDER, stopInOrder, type PipelinePart, type ShutdownStep, type StopReporter } from './shutdown';

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Logs, data and results of the local services; MDC_STATE_DIR gives a second set (test:clock-shift runs beside npm test). */
export const STATE_DIR = process.env.MDC_STATE_DIR ?? join(REPO_ROOT, '.local');

/** Endpoints of the local pipeline; each can be overridden by the variable the services themselves read. */
export const localDefaults = {
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  /** The migration login (owner of every object): migrations and operator tasks only. */
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://mdc:mdc@127.0.0.1:5432/mdc',
  sqsEndpoint: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
  awsRegion: process.env.AWS_REGION ?? 'us-east-1',
  /**
   * Passwords of the functions' logins on this machine's server (roles are
   * server-wide, so `npm start` and `npm test` share them). Local only: AWS
   * generates and rotates them in Secrets Manager.
   */
  /**
   * The stream-token signing key the local config API signs with and the
   * gateway verifies with when GATEWAY_AUTH=token (AWS: a rotated Secrets
   * Manager secret). Local only.
   */
  gatewayTokenSecret: process.env.GATEWAY_TOKEN_SECRET ?? 'local-stream-token-signing-key-0123456789',
  gatewayPort: process.env.GATEWAY_PORT ?? '8090',
  rolePasswords: {
    mdc_ingest: process.env.MDC_INGEST_DB_PASSWORD ?? 'mdc_ingest_local_password',
    mdc_api: process.env.MDC_API_DB_PASSWORD ?? 'mdc_api_local_password',
  } satisfies Record<DatabaseRole, string>,
};

/** The logins migrate provisions on this machine. */
export const localRoleLogins = (): RoleLogin[] => DATABASE_ROLES.map((role) => ({ role, username: role, password: localDefaults.rolePasswords[role] }));

/** `databaseUrl` with a function's login instead of the owner's (same server and database). */
export function roleDatabaseUrl(databaseUrl: string, role: DatabaseRole): string {
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = encodeURIComponent(localDefaults.rolePasswords[role]);
  return url.toString();
}

export interface LocalServices {
  redis: EnsuredService;
  postgres: EnsuredService;
  sqs: EnsuredService;
  /** Stops exactly the services this process started, in SHUTDOWN_ORDER, each awaited. */
  stop(): Promise<void>;
}

export interface EnsureOptions {
  /** Overrides REDIS_URL (npm test uses a Redis of its own; see localstack/test.ts). */
  redisUrl?: string;
  /**
   * Called as each service this process starts is up, with how to stop it. The
   * services run in process groups of their own (ManagedProcess), so a Ctrl-C
   * while the rest is still being ensured reaches only the caller, which must
   * be able to stop what is already up.
   */
  onStarted?: (step: ShutdownStep) => void;
}

export async function ensureLocalServices(options: EnsureOptions = {}): Promise<LocalServices> {
  mkdirSync(STATE_DIR, { recursive: true });
  const steps: ShutdownStep[] = [];
  const track = (part: 'redis' | 'postgres' | 'sqs', service: EnsuredService): EnsuredService => {
    const stopService = service.stop;
    if (!stopService) return service;
    // Once, whoever asks first (this function on a failed start, or the caller).
    let stopped: Promise<void> | undefined;
    const step: ShutdownStep = { part, name: service.name, stop: () => (stopped ??= stopService()) };
    steps.push(step);
    options.onStarted?.(step);
    return service;
  };
  // Each step stops once: pg_ctl refuses to stop a cluster twice, and an interrupt may race the normal end.
  const stop = () => stopInOrder(steps, { failed: (step, error) => console.error(`[env] stopping ${step.name} failed:`, error) });
  try {
    const redis = track('redis', await ensureRedis(options.redisUrl ?? localDefaults.redisUrl, STATE_DIR));
    const postgres = track('postgres', await ensurePostgres(localDefaults.databaseUrl, STATE_DIR));
    const sqs = track('sqs', await ensureSqsEndpoint(localDefaults.sqsEndpoint, REPO_ROOT, STATE_DIR));
    return { redis, postgres, sqs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
