import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { testRedisUrl } from './services';

/**
 * Redis pub/sub channels are shared by every db index of a server, so two test
 * files that publish or watch the same `rates:<exchange>` channel would hear each
 * other whatever their db. Such files hold this lock (a key in the db below the
 * workers' ones, which no test flushes) for as long as they use the channels.
 */
export async function lockChannels(name: string, timeoutMs = 240_000): Promise<() => Promise<void>> {
  const url = new URL(testRedisUrl());
  url.pathname = `/${Number(process.env.TEST_REDIS_DB_BASE ?? 8)}`;
  const redis = new Redis(url.toString(), { maxRetriesPerRequest: 1 });
  const key = `test:channel-lock:${name}`;
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + timeoutMs;
  // The TTL frees the lock of a test process that died holding it.
  while ((await redis.set(key, token, 'PX', timeoutMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) {
      redis.disconnect();
      throw new Error(`the ${name} channels stayed locked by another test file for ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return async () => {
    // Only our own token is deleted: a lock that expired and was taken by another file stays.
    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key, token);
    redis.disconnect();
  };
}
