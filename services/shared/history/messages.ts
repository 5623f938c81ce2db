import { z } from 'zod';
import { EXCHANGE_PATTERN as exchangePattern, RATE_FLAGS, SYMBOL_PATTERN as symbolPattern } from '../rates';

/**
 * What the collector sends to SQS and the ingest Lambda reads: one contract,
 * validated on both sides. Rows are positional arrays (not objects) so a 256 KiB
 * message holds about 2,500 of them instead of about 1,000.
 */
export const HISTORY_MESSAGE_VERSION = 1;

const decimalString = /^(0|[1-9]\d*)(\.\d+)?$/;
const change = z.number().finite().nullable();

/**
 * One history row: [time, symbol, price, change_1m, change_5m, change_15m, flags, evaluatedAt].
 * `time` is the persistence interval's start (epoch ms UTC); `evaluatedAt` the `ts`
 * of the state it holds (the last state in the interval wins, also across redeliveries).
 */
export const rateRowSchema = z.tuple([
  z.number().int().nonnegative(),
  z.string().regex(symbolPattern),
  z.string().regex(decimalString).refine((p) => Number(p) > 0, 'price must be positive'),
  change,
  change,
  change,
  z.array(z.enum(RATE_FLAGS)),
  z.number().int().nonnegative(),
]);

export const ratesBatchSchema = z.object({
  v: z.literal(HISTORY_MESSAGE_VERSION),
  kind: z.literal('rates'),
  exchange: z.string().regex(exchangePattern),
  collectorId: z.string().min(1).max(64),
  intervalMs: z.number().int().positive(),
  rows: z.array(rateRowSchema).min(1),
});

export const connectionStatusSchema = z.object({
  connectionId: z.string().min(1).max(64),
  state: z.string().min(1).max(32),
  streams: z.number().int().nonnegative(),
  lastMessageAt: z.number().int().nonnegative().nullable(),
  reconnects: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
});

/** A collector's connections at one moment, upserted into `collection_status`. */
export const statusSnapshotSchema = z.object({
  v: z.literal(HISTORY_MESSAGE_VERSION),
  kind: z.literal('status'),
  exchange: z.string().regex(exchangePattern),
  collectorId: z.string().min(1).max(64),
  at: z.number().int().nonnegative(),
  connections: z.array(connectionStatusSchema),
});

export const historyMessageSchema = z.discriminatedUnion('kind', [ratesBatchSchema, statusSnapshotSchema]);

export type RateRow = z.infer<typeof rateRowSchema>;
export type RatesBatch = z.infer<typeof ratesBatchSchema>;
export type ConnectionStatusEntry = z.infer<typeof connectionStatusSchema>;
export type StatusSnapshot = z.infer<typeof statusSnapshotSchema>;
export type HistoryMessage = z.infer<typeof historyMessageSchema>;
