import type Redis from 'ioredis';
import { CONFIG_SNAPSHOT_KEY, CONFIG_UPDATES_CHANNEL, configSnapshotSchema, type ConfigSnapshot } from '../../../services/shared/config-snapshot';

/**
 * Writes the snapshot only when it is newer than the one Redis holds, then
 * announces its version, in one script: two API containers publishing versions
 * 7 and 8 in either order leave 8 in Redis, and a reconciliation that read
 * PostgreSQL before a write committed cannot put an older snapshot back.
 */
const PUBLISH_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded['version']) ~= nil and tonumber(decoded['version']) >= tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', KEYS[2], ARGV[1])
return 1`;

/**
 * `version` first, always: collectors poll the key's first 64 bytes to learn
 * whether anything changed before reading the whole snapshot.
 */
export function serializeSnapshot(snapshot: ConfigSnapshot): string {
  const { version, ...rest } = snapshot;
  return JSON.stringify({ version, ...rest });
}

type RedisWithPublish = Redis & { publishConfigSnapshot(key: string, channel: string, version: string, json: string): Promise<number> };

export class SnapshotPublisher {
  private readonly redis: RedisWithPublish;

  constructor(redis: Redis) {
    if (typeof (redis as unknown as Partial<RedisWithPublish>).publishConfigSnapshot !== 'function') {
      redis.defineCommand('publishConfigSnapshot', { numberOfKeys: 2, lua: PUBLISH_IF_NEWER });
    }
    this.redis = redis as unknown as RedisWithPublish;
  }

  /** True when Redis took it; false when it already held this version or a newer one. */
  async publish(snapshot: ConfigSnapshot): Promise<boolean> {
    const applied = await this.redis.publishConfigSnapshot(CONFIG_SNAPSHOT_KEY, CONFIG_UPDATES_CHANNEL, String(snapshot.version), serializeSnapshot(snapshot));
    return applied === 1;
  }

  /** The version of the snapshot in Redis; `null` when there is none or it does not parse. */
  async publishedVersion(): Promise<number | null> {
    const raw = await this.redis.get(CONFIG_SNAPSHOT_KEY);
    if (raw === null) return null;
    try {
      return configSnapshotSchema.parse(JSON.parse(raw)).version;
    } catch {
      // An unreadable snapshot counts as none: reconciliation overwrites it.
      return null;
    }
  }
}
