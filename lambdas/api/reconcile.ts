import type { SnapshotPublisher } from './cache/snapshot-publisher';
import type { ConfigStore } from './store/config-store';

export interface ReconcileResult {
  databaseVersion: number;
  /** What Redis held before; `null` when nothing (or something unreadable). */
  publishedVersion: number | null;
  republished: boolean;
}

/**
 * Makes Redis hold the committed configuration. A write publishes its own
 * snapshot after commit; when that publish failed (Redis down, a timeout after
 * the commit), this brings the committed version to Redis on the next schedule
 * (every minute, on AWS and in the local gateway). It also restores the
 * snapshot after Redis lost its data (failover to an empty replica, FLUSHALL).
 *
 * Version 0 (never configured through the API) is not published: the
 * collectors keep collecting their SYMBOLS until the first write.
 */
export async function reconcileSnapshot(store: ConfigStore, publisher: SnapshotPublisher): Promise<ReconcileResult> {
  const [databaseVersion, publishedVersion] = await Promise.all([store.currentVersion(), publisher.publishedVersion()]);
  if (databaseVersion === 0 || (publishedVersion !== null && publishedVersion >= databaseVersion)) {
    return { databaseVersion, publishedVersion, republished: false };
  }
  const snapshot = await store.readSnapshot();
  const republished = await publisher.publish(snapshot);
  return { databaseVersion: snapshot.version, publishedVersion, republished };
}
