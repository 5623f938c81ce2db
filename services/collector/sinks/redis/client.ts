import Redis, { type RedisOptions } from 'ioredis';

export interface CollectorRedisSettings {
  url: string;
  /** Explicit AUTH token; overrides a password in the URL. */
  password?: string;
  tls: boolean;
  /** REDIS_COMMAND_TIMEOUT_MS: the longest a command may wait for its reply. */
  commandTimeoutMs: number;
}

/**
 * First TCP keepalive probe after this long idle. The config subscriber sends
 * nothing for minutes; without probes a peer that vanished would hold it open
 * until the kernel's two-hour default.
 */
export const REDIS_KEEPALIVE_MS = 5000;

/**
 * Which of the timeouts below an error comes from: a stuck connection rather than
 * a refused command. `command` also covers the socket timeout that follows it.
 */
export function redisTimeoutKind(error: unknown): 'command' | 'connect' | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'Command timed out' || message.startsWith('Socket timeout')) return 'command';
  if (message.includes('ETIMEDOUT')) return 'connect';
  return undefined;
}

/**
 * The collector's ioredis options. A primary that stops answering without closing
 * the socket (an AZ failure) must cost at most one command timeout, never minutes:
 * - `commandTimeout` rejects every command still unanswered after it, so a flush,
 *   a heartbeat or a config poll never hangs;
 * - `socketTimeout`, the same length, destroys a socket that received nothing that
 *   long while a command was outstanding, and ioredis reconnects: a timed-out
 *   connection may be dead for good (the old primary after a failover), and keeping
 *   it would fail every later command too. Destroying skips the graceful FIN a dead
 *   peer never acknowledges;
 * - `connectTimeout` bounds a TCP connect whose SYN goes unanswered; the handshake
 *   after it (HELLO, INFO) is bounded by `commandTimeout`, and a failed handshake
 *   reconnects as well;
 * - `disconnectTimeout`: such a reconnect first ends the socket gracefully, and a
 *   dead peer never answers the FIN; waiting the default 2 s would delay each attempt.
 * No offline queue: while Redis is away commands fail fast and the writer keeps
 * only the newest state per symbol, instead of ioredis buffering every command.
 */
export function collectorRedisOptions(settings: CollectorRedisSettings): RedisOptions {
  const timeout = settings.commandTimeoutMs;
  return {
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: {} } : {}),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(200 * attempt, 5000),
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    lazyConnect: true,
    commandTimeout: timeout,
    socketTimeout: timeout,
    connectTimeout: Math.max(1000, 2 * timeout),
    disconnectTimeout: timeout,
    keepAlive: REDIS_KEEPALIVE_MS,
  };
}

/** The collector's Redis connection; `duplicate()` of it (the config subscriber) inherits the timeouts. */
export function createCollectorRedis(settings: CollectorRedisSettings): Redis {
  return new Redis(settings.url, collectorRedisOptions(settings));
}
