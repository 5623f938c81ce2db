import { z } from 'zod';

/** Redis key holding the latest configuration snapshot (written by the config API). */
export const CONFIG_SNAPSHOT_KEY = 'config:collector';
/** Pub/sub channel announcing a new snapshot's `version`. */
export const CONFIG_UPDATES_CHANNEL = 'config:collector:updates';

export const symbolConfigSchema = z.object({
  exchange: z.string().regex(/^[a-z0-9]{2,20}$/),
  symbol: z.string().regex(/^[A-Z0-9]{2,20}$/),
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
 * its projection into Redis. `version` only grows; older snapshots are ignored.
 */
export const configSnapshotSchema = z.object({
  version: z.number().int().nonnegative(),
  updatedAt: z.string().optional(),
  symbols: z.array(symbolConfigSchema),
  settings: runtimeSettingsSchema.default({}),
});

export type SymbolConfig = z.infer<typeof symbolConfigSchema>;
export type RuntimeSettings = z.infer<typeof runtimeSettingsSchema>;
export type ConfigSnapshot = z.infer<typeof configSnapshotSchema>;
