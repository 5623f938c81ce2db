import type Redis from 'ioredis';
import type { ConfigCommit } from '../../../services/shared/config-snapshot';
import { STATUS_KEY_PREFIX } from '../../../services/shared/rates';


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
    // Another kind of key under the prefix is not a heartbeat; it must not stop the status page or reconciliation.
    if (error && /^WRONGTYPE/.test(error.message)) return;
    if (error) throw error;
    const fields = hash as Record<string, string>;
    if (Object.keys(fields).length > 0) heartbeats.set(keys[i]!.slice(STATUS_KEY_PREFIX.length), fields);
  });
  return heartbeats;
}

/**
 * The configuration a collector reports it applied; `undefined` while it collects
 * its SYMBOLS variable (no snapshot applied) or the fields do not parse. A
 * collector older than epochs reports no `configEpoch`: epoch 0, like its
 * snapshots; nor `configUpdatedAt`: unknown.
 */
export function appliedCommit(heartbeat: Record<string, string>): ConfigCommit | undefined {
  const version = parseCount(heartbeat.configVersion);
  if (version === undefined) return undefined;
  const epoch = heartbeat.configEpoch === undefined || heartbeat.configEpoch === '' ? 0 : parseCount(heartbeat.configEpoch);
  if (epoch === undefined) return undefined;
  return heartbeat.configUpdatedAt ? { epoch, version, updatedAt: heartbeat.configUpdatedAt } : { epoch, version };
}

const parseCount = (text: string | undefined): number | undefined => (text !== undefined && /^[0-9]{1,15}$/.test(text) ? Number(text) : undefined);

/** Every collector with a heartbeat in Redis and the configuration it applied (see appliedCommit). */
export async function readAppliedCommits(redis: Redis): Promise<Map<string, ConfigCommit>> {
  const commits = new Map<string, ConfigCommit>();
  for (const [collectorId, heartbeat] of await readHeartbeats(redis)) {
    const commit = appliedCommit(heartbeat);
    if (commit) commits.set(collectorId, commit);
  }
  return commits;
}
