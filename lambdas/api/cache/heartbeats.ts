import type Redis from 'ioredis';

const STATUS_KEY_PREFIX = 'status:collector:';

/** The `status:collector:{id}` hashes the collectors refresh every few seconds (they expire when a collector stops). */
export async function readHeartbeats(redis: Redis): Promise<Map<string, Record<string, string>>> {
  const keys: string[] = [];
  const stream = redis.scanStream({ match: `${STATUS_KEY_PREFIX}*`, count: 1000 });
  for await (const batch of stream as AsyncIterable<string[]>) keys.push(...batch);
  const heartbeats = new Map<string, Record<string, string>>();
  if (keys.length === 0) return heartbeats;
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const replies = (await pipeline.exec()) ?? [];
  replies.forEach(([error, hash], i) => {
    if (error) throw error;
    const fields = hash as Record<string, string>;
    if (Object.keys(fields).length > 0) heartbeats.set(keys[i]!.slice(STATUS_KEY_PREFIX.length), fields);
  });
  return heartbeats;
}
