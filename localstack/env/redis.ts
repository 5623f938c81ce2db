import Redis from 'ioredis';
import { join } from 'node:path';
import { LocalServiceError } from './errors';
import { ManagedProcess } from './process';
import { isPortOpen } from './probe';
import { findExecutable, installDebianPackages } from './system';

export interface EnsuredService {
  name: string;
  url: string;
  /** Set when this command started the service and must stop it on exit. */
  stop?: () => Promise<void>;
  /** What the summary prints: "reused" or "started (log: ...)". */
  origin: string;
}

/** True when a Redis at `url` answers PING; never throws (refused or starting is a plain false). */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined); // the probe's result is the answer; errors are expected while it starts
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Uses the Redis at `url` when it answers; otherwise starts a throw-away
 * redis-server on that port (no persistence: it only holds latest values and
 * config, which the pipeline rewrites) and installs it first when absent.
 */
export async function ensureRedis(url: string, stateDir: string): Promise<EnsuredService> {
  if (await redisAnswers(url)) return { name: 'redis', url, origin: 'reused (already running)' };
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  if (await isPortOpen(host, port)) {
    throw new LocalServiceError(`Something listens on ${host}:${port} but does not answer Redis PING with the credentials of REDIS_URL (${url}); fix REDIS_URL or free the port`);
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new LocalServiceError(`Redis at ${url} (REDIS_URL) does not answer, and it is not on this machine, so it cannot be started here`);
  }
  let binary = findExecutable('redis-server', ['/usr/bin', '/usr/sbin']);
  if (!binary) {
    installDebianPackages(['redis-server'], 'Redis');
    // Debian's postinst may start its own server; use it when it does.
    if (await redisAnswers(url)) return { name: 'redis', url, origin: 'installed (Debian service)' };
    binary = findExecutable('redis-server', ['/usr/bin', '/usr/sbin']);
    if (!binary) throw new LocalServiceError('redis-server is still not on PATH after installing redis-server');
  }
  const logFile = join(stateDir, 'redis.log');
  const args = ['--port', String(port), '--bind', host === 'localhost' ? '127.0.0.1' : host, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--databases', '32'];
  if (parsed.password) args.push('--requirepass', decodeURIComponent(parsed.password));
  const process = new ManagedProcess({ name: 'redis', command: binary, args, logFile });
  await process.waitUntilReady(() => redisAnswers(url), 15_000, logFile);
  return { name: 'redis', url, stop: () => process.stop(), origin: `started (log: ${logFile})` };
}
