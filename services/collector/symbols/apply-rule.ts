import type { ConfigPosition } from '../../shared/config-snapshot';

/**
 * What a collector does with a snapshot at `next`, holding `held`:
 * - `apply`: the first snapshot, or a later version of the epoch it holds;
 * - `apply-new-epoch`: another epoch, whatever the version. The database went
 *   back (a restore) and the API started a new epoch to say so; the versions of
 *   two epochs say nothing about each other, so a lower version is the truth too.
 *   Epochs are compared for equality, not order: Redis only ever holds what the
 *   API published, and the API's script never puts an older epoch over a newer one;
 * - `ignore`: the same or an older version of the epoch it holds.
 */
export type ApplyDecision = 'apply' | 'apply-new-epoch' | 'ignore';

export function decideApply(held: ConfigPosition | undefined, next: ConfigPosition): ApplyDecision {
  if (held === undefined) return 'apply';
  if (next.epoch !== held.epoch) return 'apply-new-epoch';
  return next.version > held.version ? 'apply' : 'ignore';
}
