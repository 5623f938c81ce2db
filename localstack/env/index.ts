import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePostgres } from './postgres';
import { ensureRedis, type EnsuredService } from './redis';
import { ensureSqsEndpoint } from './sqs';

export { ManagedProcess } from './process';
export type { EnsuredService } from './redis';
export { MissingDependencyError, LocalServiceError } from './errors';
export { httpOk, isPortOpen } from './probe';
export { ensurePromtool, PROMTOOL_PACKAGE } from './promtool';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const STATE_DIR = join(REPO_ROOT, '.local');

/** Endpoints of the local pipeline; each can be overridden by the variable the services themselves read. */
export const localDefaults = {
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://mdc:mdc@127.0.0.1:5432/mdc',
  sqsEndpoint: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
  awsRegion: process.env.AWS_REGION ?? 'us-east-1',
};

export interface LocalServices {
  redis: EnsuredService;
  postgres: EnsuredService;
  sqs: EnsuredService;
  /** Stops, in reverse order, exactly the services this process started. */
  stop(): Promise<void>;
}

export interface EnsureOptions {
  /** Overrides REDIS_URL (npm test uses a Redis of its own; see localstack/test.ts). */
  redisUrl?: string;
}

export async function ensureLocalServices(options: EnsureOptions = {}): Promise<LocalServices> {
  mkdirSync(STATE_DIR, { recursive: true });
  const started: EnsuredService[] = [];
  const stop = async () => {
    for (const service of started.reverse()) {
      try {
        await service.stop?.();
      } catch (error) {
        console.error(`[env] stopping ${service.name} failed:`, error);
      }
    }
  };
  try {
    const redis = await ensureRedis(options.redisUrl ?? localDefaults.redisUrl, STATE_DIR);
    started.push(redis);
    const postgres = await ensurePostgres(localDefaults.databaseUrl, STATE_DIR);
    started.push(postgres);
    const sqs = await ensureSqsEndpoint(localDefaults.sqsEndpoint, REPO_ROOT, STATE_DIR);
    started.push(sqs);
    return { redis, postgres, sqs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
