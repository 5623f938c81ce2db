import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, LogThrottle, type Logger } from '../../../shared';
import type { CollectorMetrics } from '../../metrics';
import { SEGMENT_NAME, type SpillStore } from './spill-store';

export interface SpillAdoptionOptions {
  /** SPILL_DIR: shared by the tasks of one collector service (an EFS access point in AWS). */
  root: string;
  /** This task's directory name under `root`. */
  ownerName: string;
  /** This task's store, in `join(root, ownerName)`; adopted segments are moved into it. */
  store: SpillStore;
  /** How often this task proves it is alive. */
  heartbeatMs?: number;
  /**
   * A directory whose owner has not proved life for this long is adopted.
   * Far above the heartbeat, so a task paused by a slow disk is not robbed of
   * the file it is writing.
   */
  orphanAfterMs?: number;
  now?: () => number;
  logger?: Logger;
  metrics?: CollectorMetrics;
}

const OWNER_FILE = '.owner.json';
const CLAIM_PREFIX = '.adopting-';

/** A directory name from a collector id: path separators and dots at the start could escape `root`. */
export function spillDirectoryName(collectorId: string): string {
  return collectorId.replace(/[^A-Za-z0-9_:-]/g, '_').replace(/^_*/, '') || 'collector';
}

/**
 * Spill files outlive the task that wrote them (on EFS in AWS): a deploy, a
 * scale-in, an OOM kill or a crash during an SQS outage leaves a directory
 * nobody drains. Every task keeps a heartbeat in its own directory and, at
 * start and then periodically, adopts the directories of tasks that stopped
 * beating: it claims one by renaming it (atomic, so of two live tasks only one
 * wins), moves the segments into its own store, where the sender replays them
 * like its own, and removes the empty directory. A task that dies while moving
 * leaves its claim, which is claimed again once it, too, has gone quiet.
 */
export class SpillAdoption {
  private timer: NodeJS.Timeout | undefined;
  private readonly throttle = new LogThrottle();
  private readonly heartbeatMs: number;
  private readonly orphanAfterMs: number;
  private readonly now: () => number;
  private beats = 0;

  constructor(private readonly options: SpillAdoptionOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.orphanAfterMs = options.orphanAfterMs ?? 120_000;
    this.now = options.now ?? Date.now;
  }

  /** Beats at once, adopts what is orphaned already, then keeps beating and looking. */
  start(): void {
    this.heartbeat();
    this.adoptOrphans();
    this.timer = setInterval(() => {
      this.heartbeat();
      // Looking costs a directory listing: every third beat is often enough against a two-minute threshold.
      if (++this.beats % 3 === 0) this.adoptOrphans();
    }, this.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  heartbeat(): void {
    const own = this.options.store.directory;
    try {
      // Recreated when it vanished (an adopter took it while this task was frozen): new spills still need a home.
      if (!existsSync(own)) mkdirSync(own, { recursive: true });
      writeFileSync(join(own, OWNER_FILE), JSON.stringify({ owner: this.options.ownerName, heartbeatAt: this.now() }));
    } catch (error) {
      this.countError('SPILL_HEARTBEAT', error, 'writing the spill heartbeat failed; another task may adopt this spill directory. Check SPILL_DIR');
    }
  }

  /** Adopts every orphaned directory under the root; returns how many segments moved in. */
  adoptOrphans(): number {
    let entries: string[];
    try {
      entries = readdirSync(this.options.root);
    } catch (error) {
      this.countError('SPILL_ADOPT', error, 'listing SPILL_DIR for orphaned spill directories failed');
      return 0;
    }
    let moved = 0;
    for (const entry of entries) {
      if (entry === this.options.ownerName) continue;
      const path = join(this.options.root, entry);
      try {
        if (!statSync(path).isDirectory() || !this.isOrphaned(entry, path)) continue;
        moved += this.adopt(entry, path);
      } catch (error) {
        this.countError('SPILL_ADOPT', error, 'adopting an orphaned spill directory failed; the next scan tries again', { directory: entry });
      }
    }
    if (moved > 0) this.options.store.rescan();
    return moved;
  }

  private isOrphaned(entry: string, path: string): boolean {
    const cutoff = this.now() - this.orphanAfterMs;
    // A claim is refreshed by its adopter as it moves files; a quiet one belongs to an adopter that died.
    if (entry.startsWith(CLAIM_PREFIX)) return statSync(path).mtimeMs < cutoff;
    const ownerFile = join(path, OWNER_FILE);
    if (!existsSync(ownerFile)) return statSync(path).mtimeMs < cutoff;
    let heartbeatAt: number | undefined;
    try {
      heartbeatAt = (JSON.parse(readFileSync(ownerFile, 'utf8')) as { heartbeatAt?: number }).heartbeatAt;
    } catch {
      // Torn by a crash mid-write: the file's own time says when the owner last wrote it.
      heartbeatAt = undefined;
    }
    return (typeof heartbeatAt === 'number' ? heartbeatAt : statSync(ownerFile).mtimeMs) < cutoff;
  }

  private adopt(entry: string, path: string): number {
    const claim = join(this.options.root, `${CLAIM_PREFIX}${this.options.ownerName}-${this.now()}-${entry.replace(/^\.adopting-/, '')}`.slice(0, 200));
    try {
      renameSync(path, claim);
    } catch (error) {
      // Another task claimed it first (it is gone from under us), which is the point of the rename.
      if ((error as { code?: string }).code === 'ENOENT') return 0;
      throw error;
    }
    const touched = new Date(this.now());
    utimesSync(claim, touched, touched);
    const store = this.options.store;
    let moved = 0;
    for (const name of readdirSync(claim).filter((n) => SEGMENT_NAME.test(n)).sort()) {
      renameSync(join(claim, name), join(store.directory, store.nextSegmentName()));
      moved += 1;
    }
    const ownerFile = join(claim, OWNER_FILE);
    if (existsSync(ownerFile)) unlinkSync(ownerFile);
    try {
      rmdirSync(claim);
    } catch (error) {
      // Something other than spill segments is in there: keep it for an operator rather than delete it.
      this.countError('SPILL_ADOPT', error, 'an adopted spill directory holds unknown files; left in place', { directory: claim });
    }
    this.options.metrics?.spillAdoptedSegments.inc(moved);
    this.options.logger?.warn('adopted the spill of a task that is gone; its batches are replayed from here', { from: entry, segments: moved });
    return moved;
  }

  private countError(code: string, error: unknown, message: string, extra: Record<string, unknown> = {}): void {
    this.options.metrics?.errors.inc({ component: 'sqs', code });
    const admitted = this.throttle.admit(code);
    if (admitted) this.options.logger?.error(message, { ...extra, code, error: errorMessage(error), suppressedSinceLastLog: admitted.suppressed });
  }
}
