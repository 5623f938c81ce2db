import type Redis from 'ioredis';
import {
  CONFIG_SNAPSHOT_KEY,
  CONFIG_UPDATES_CHANNEL,
  configSnapshotSchema,
  configUpdateMessage,
  type ConfigCommit,
  type ConfigSnapshot,
} from '../../../services/shared/config-snapshot';

/**
 * Writes the snapshot only when its (epoch, version) is after the one Redis
 * holds, then announces it, in one script: two API containers publishing
 * versions 7 and 8 in either order leave 8 in Redis, and a reconciliation that
 * read PostgreSQL before a write committed cannot put an older snapshot back.
 * A later epoch wins whatever its version (its versions may be lower: a restored
 * database); a snapshot of an earlier epoch, published late by a write that
 * committed before the epoch moved on, never replaces it. A snapshot without an
 * epoch (an older API) is epoch 0.
 */
const PUBLISH_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded['version']) ~= nil then
    local epoch = tonumber(decoded['epoch']) or 0
    local nextEpoch = tonumber(ARGV[2])
    if epoch > nextEpoch or (epoch == nextEpoch and tonumber(decoded['version']) >= tonumber(ARGV[1])) then
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[4])
return 1`;

/**
 * `version`, then `epoch`, first, always: collectors poll the key's first 64
 * bytes to learn whether anything changed before reading the whole snapshot
 * (snapshotHeadPosition), and collectors older than epochs look for `version`
 * right at the start.
 */
export function serializeSnapshot(snapshot: ConfigSnapshot): string {
  const { version, epoch, ...rest } = snapshot;
  return JSON.stringify({ version, epoch, ...rest });
}

type RedisWithPublish = Redis & { publishConfigSnapshot(key: string, channel: string, version: string, epoch: string, json: string, message: string): Promise<number> };

export class SnapshotPublisher {
  private readonly redis: RedisWithPublish;

  constructor(redis: Redis) {
    if (typeof (redis as unknown as Partial<RedisWithPublish>).publishConfigSnapshot !== 'function') {
      redis.defineCommand('publishConfigSnapshot', { numberOfKeys: 2, lua: PUBLISH_IF_NEWER });
    }
    this.redis = redis as unknown as RedisWithPublish;
  }

  /** True when Redis took it; false when it already held this position or a later one. */
  async publish(snapshot: ConfigSnapshot): Promise<boolean> {
    const applied = await this.redis.publishConfigSnapshot(
      CONFIG_SNAPSHOT_KEY,
      CONFIG_UPDATES_CHANNEL,
      String(snapshot.version),
      String(snapshot.epoch),
      serializeSnapshot(snapshot),
      configUpdateMessage(snapshot),
    );
    return applied === 1;
  }

  /** The snapshot in Redis; `null` when there is none or it does not parse. */
  async publishedCommit(): Promise<ConfigCommit | null> {
    const raw = await this.redis.get(CONFIG_SNAPSHOT_KEY);
    if (raw === null) return null;
    try {
      const snapshot = configSnapshotSchema.parse(JSON.parse(raw));
      return snapshot.updatedAt === undefined ? { epoch: snapshot.epoch, version: snapshot.version } : { epoch: snapshot.epoch, version: snapshot.version, updatedAt: snapshot.updatedAt };
    } catch {
      // An unreadable snapshot counts as none: reconciliation overwrites it.
      return null;
    }
  }
}
