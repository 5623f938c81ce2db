import { compareConfigPositions, type ConfigCommit, type ConfigPosition } from '../../services/shared/config-snapshot';
import type { Logger } from '../../services/shared/logger';
import type { SnapshotPublisher } from './cache/snapshot-publisher';
import type { ConfigStore } from './store/config-store';

export interface ReconcileSources {
  store: ConfigStore;
  publisher: SnapshotPublisher;
  /** The configurations collectors report in their heartbeats (cache/heartbeats.ts, readAppliedCommits). */
  appliedCommits: () => Promise<Map<string, ConfigCommit>>;
  logger?: Logger;
}

export interface ReconcileResult {
  databaseVersion: number;
  databaseEpoch: number;
  /** What Redis held before; `null` when nothing (or something unreadable). */
  publishedVersion: number | null;
  publishedEpoch: number | null;
  republished: boolean;
  /** Redis or a collector held a configuration the database had not committed (see below). */
  diverged: boolean;
  /** The collectors that reported such a configuration, sorted. */
  collectorsDiverged: string[];
}

/**
 * Whether `held` (the snapshot in Redis, a collector's) is a configuration the
 * database never committed: after the database's position, or at its position
 * but committed at another time (the restored database reached the same version
 * again with other changes). Before the database's position is only behind.
 */
export function unknownToDatabase(held: ConfigCommit, database: Required<ConfigCommit>): boolean {
  const order = compareConfigPositions(held, database);
  return order > 0 || (order === 0 && held.updatedAt !== undefined && held.updatedAt !== database.updatedAt);
}

/**
 * Makes Redis hold the committed configuration, and every collector able to
 * apply it. A write publishes its own snapshot after commit; when that publish
 * failed (Redis down, a timeout after the commit), this brings the committed
 * version to Redis on the next schedule (every minute, on AWS and in the local
 * gateway). It also restores the snapshot after Redis lost its data (failover to
 * an empty replica, FLUSHALL).
 *
 * Version 0 (never configured through the API) is not published: the
 * collectors keep collecting their SYMBOLS until the first write.
 */
export async function reconcileSnapshot(sources: ReconcileSources): Promise<ReconcileResult> {
  const { store, publisher, logger } = sources;
  // Redis and the heartbeats first, the database after: whatever they hold was
  // committed before they were read, so a database read afterwards does not know
  // it only when it lost commits, never because a write landed between the reads.
  const [published, applied] = await Promise.all([publisher.publishedCommit(), sources.appliedCommits()]);
  const database = await store.currentCommit();
  const collectorsDiverged = [...applied].filter(([, commit]) => unknownToDatabase(commit, database)).map(([collectorId]) => collectorId).sort();
  const unknown = [...(published && unknownToDatabase(published, database) ? [published] : []), ...collectorsDiverged.map((collectorId) => applied.get(collectorId)!)];
  const before = { publishedVersion: published?.version ?? null, publishedEpoch: published?.epoch ?? null, collectorsDiverged };
  if (unknown.length > 0) {
    // The database went back: restored from a backup or recreated, possibly
    // while Redis lost its data too. Collectors ignore every version of their
    // epoch up to the one they hold, so the current configuration goes out in a
    // new epoch, which they apply whatever its version (and, for collectors older
    // than epochs, at a version past theirs).
    const highest = unknown.reduce<ConfigPosition>((max, commit) => (compareConfigPositions(commit, max) > 0 ? commit : max), database);
    logger?.error('Redis or a collector holds a config the database never committed (a restored database?); starting a new config epoch and republishing', {
      database,
      published,
      collectorsDiverged,
    });
    const snapshot = await store.startEpochPast({ epoch: highest.epoch, version: highest.version }, 'config reconciliation');
    const republished = await publisher.publish(snapshot);
    return { databaseVersion: snapshot.version, databaseEpoch: snapshot.epoch, ...before, republished, diverged: true };
  }
  if (database.version === 0 || (published !== null && compareConfigPositions(published, database) >= 0)) {
    return { databaseVersion: database.version, databaseEpoch: database.epoch, ...before, republished: false, diverged: false };
  }
  const snapshot = await store.readSnapshot();
  const republished = await publisher.publish(snapshot);
  return { databaseVersion: snapshot.version, databaseEpoch: snapshot.epoch, ...before, republished, diverged: false };
}
