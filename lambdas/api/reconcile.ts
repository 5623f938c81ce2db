import type { Logger } from '../../services/shared/logger';
import type { SnapshotPublisher } from './cache/snapshot-publisher';
import type { ConfigStore } from './store/config-store';

export interface ReconcileResult {
  databaseVersion: number;
  /** What Redis held before; `null` when nothing (or something unreadable). */
  publishedVersion: number | null;
  republished: boolean;
  /** Redis held a later version than the database had committed (see below). */
  diverged: boolean;
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
export async function reconcileSnapshot(store: ConfigStore, publisher: SnapshotPublisher, logger?: Logger): Promise<ReconcileResult> {
  const [databaseVersion, publishedVersion] = await Promise.all([store.currentVersion(), publisher.publishedVersion()]);
  if (publishedVersion !== null && publishedVersion > databaseVersion) {
    // The database is behind Redis: restored from a backup, or recreated while
    // Redis kept its data. Collectors ignore every version up to Redis', so the
    // database's version jumps past it, and the current configuration goes out
    // under that version.
    logger?.error('the config snapshot in Redis is newer than the database; moving the database version past it and republishing', { databaseVersion, publishedVersion });
    const snapshot = await store.advancePast(publishedVersion, 'config reconciliation');
    const republished = await publisher.publish(snapshot);
    return { databaseVersion: snapshot.version, publishedVersion, republished, diverged: true };
  }
  if (databaseVersion === 0 || (publishedVersion !== null && publishedVersion >= databaseVersion)) {
    return { databaseVersion, publishedVersion, republished: false, diverged: false };
  }
  const snapshot = await store.readSnapshot();
  const republished = await publisher.publish(snapshot);
  return { databaseVersion: snapshot.version, publishedVersion, republished, diverged: false };
}
