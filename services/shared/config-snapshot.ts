import { z } from 'zod';
import { SYMBOL_PATTERN } from './rates';

/** Redis key holding the latest configuration snapshot (written by the config API). */
export const CONFIG_SNAPSHOT_KEY = 'config:collector';
/** Pub/sub channel announcing a new snapshot: `{"version":V,"epoch":E}` (configUpdateMessage). */
export const CONFIG_UPDATES_CHANNEL = 'config:collector:updates';

export const symbolConfigSchema = z.object({
  exchange: z.string().regex(/^[a-z0-9]{2,20}$/),
  symbol: z.string().regex(SYMBOL_PATTERN),
  enabled: z.boolean(),
  streams: z.array(z.string()).optional(),
});

/** Settings an operator may change while the collector runs. */
export const runtimeSettingsSchema = z.object({
  persistIntervalMs: z.number().int().min(100).max(3_600_000).optional(),
  anomalyThresholdPct: z.number().positive().max(1000).optional(),
  staleAfterMs: z.number().int().min(1000).max(86_400_000).optional(),
  maxStreamsPerConnection: z.number().int().min(1).max(1024).optional(),
});

/**
 * The snapshot the collector applies: PostgreSQL is the source of truth, this is
 * its projection into Redis. Within one `epoch`, `version` only grows and older
 * snapshots are ignored. The epoch moves on when the database turns out to be
 * behind what Redis or a collector holds (a restored database): a collector then
 * applies the snapshot of the new epoch whatever its version (docs/design.md).
 * A snapshot without an epoch (written before epochs existed) is epoch 0.
 */
export const configSnapshotSchema = z.object({
  version: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative().default(0),
  updatedAt: z.string().optional(),
  symbols: z.array(symbolConfigSchema),
  settings: runtimeSettingsSchema.default({}),
});

export type SymbolConfig = z.infer<typeof symbolConfigSchema>;
export type RuntimeSettings = z.infer<typeof runtimeSettingsSchema>;
export type ConfigSnapshot = z.infer<typeof configSnapshotSchema>;

/** Where a configuration stands: its epoch, then its version within the epoch. */
export interface ConfigPosition {
  epoch: number;
  version: number;
}

/**
 * A committed configuration: its position and when it was committed (the
 * snapshot's `updatedAt`, config_state.updated_at). A database restored to an
 * older version that then reaches the same version again commits different
 * changes at a later time, so the time tells the two apart; absent where unknown
 * (a snapshot written by hand, a collector older than this field).
 */
export interface ConfigCommit extends ConfigPosition {
  updatedAt?: string;
}

/** Negative when `a` is before `b`, 0 when equal, positive when after: epochs first, versions within one. */
export function compareConfigPositions(a: ConfigPosition, b: ConfigPosition): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.version - b.version;
}

/** The updates channel's message; `version` first, as in the snapshot. */
export function configUpdateMessage(position: ConfigPosition): string {
  return JSON.stringify({ version: position.version, epoch: position.epoch });
}

/**
 * The position in a snapshot's first bytes (the publisher writes `version`, then
 * `epoch`, first), so a poll can decide from a short read whether the whole
 * snapshot needs reading. `undefined` when the head does not start that way; a
 * head without an epoch (an older API) is epoch 0.
 */
export function snapshotHeadPosition(head: string): ConfigPosition | undefined {
  const match = /^\{"version":([0-9]{1,15})(?:,"epoch":([0-9]{1,15}))?[,}]/.exec(head);
  if (!match) return undefined;
  return { version: Number(match[1]), epoch: Number(match[2] ?? 0) };
}
