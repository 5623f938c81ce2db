import { SQSClient } from '@aws-sdk/client-sqs';
import { HISTORY_MESSAGE_VERSION, type ConnectionStatusEntry, type RateRow } from '../../../shared/history';
import type { Logger } from '../../../shared';
import type { CollectorMetrics } from '../../metrics';
import type { RateState } from '../../../shared/rates';
import { packRateRows } from './encode';
import { HistoryBatcher } from './history-batcher';
import { rewriteInstants } from './history-rewrite';
import { join } from 'node:path';
import { SpillAdoption, spillDirectoryName } from './spill-adoption';
import { SpillStore } from './spill-store';
import { SqsHistorySender } from './sqs-sender';

export interface HistoryPersisterOptions {
  exchange: string;
  collectorId: string;
  queueUrl: string;
  region: string;
  endpoint?: string;
  intervalMs: number;
  /** Intervals close this long after they end, so late states of them are in. */
  settleMs: number;
  maxMessageBytes: number;
  /** SPILL_DIR: the root shared by the tasks of one service; this collector spills into `<root>/<collectorId>`. */
  spillDirectory: string;
  spillMaxBytes: number;
  /** A sibling directory whose owner has not beaten for this long is adopted and drained (see SpillAdoption). */
  spillOrphanAfterMs?: number;
  /** The exchange clock. */
  now: () => number;
  /** Connection states for the status snapshots sent every `statusIntervalMs`. */
  connections: () => ConnectionStatusEntry[];
  statusIntervalMs?: number;
  /** Rows one closed gap may rewrite per symbol (see history-rewrite.ts). Default 300. */
  maxRewriteIntervals?: number;
  client?: SQSClient;
  metrics?: CollectorMetrics;
  logger?: Logger;
}

/**
 * History from the collector to SQS: every persistence interval, one row per
 * symbol (the last state in the interval), packed into messages under the size
 * limit, sent in batches, spilled to disk while SQS is away; plus status
 * snapshots of the connections for `collection_status`.
 */
export class HistoryPersister {
  private readonly batcher: HistoryBatcher;
  private readonly sender: SqsHistorySender;
  private readonly spill: SpillStore;
  private readonly adoption: SpillAdoption;
  private intervalTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private rowsSent = 0;
  private rowsRewritten = 0;
  /**
   * Per symbol, intervals a closed gap reached that had not closed yet when it
   * closed: rewritten once they have (their states were made during the gap).
   */
  private readonly pendingRewrites = new Map<string, { from: number; through: number; evaluateAt: (t: number) => RateState | undefined }>();

  constructor(private readonly options: HistoryPersisterOptions) {
    this.batcher = new HistoryBatcher(options.intervalMs);
    const ownerName = spillDirectoryName(options.collectorId);
    this.spill = new SpillStore(join(options.spillDirectory, ownerName), options.spillMaxBytes);
    this.adoption = new SpillAdoption({ root: options.spillDirectory, ownerName, store: this.spill, orphanAfterMs: options.spillOrphanAfterMs, logger: options.logger, metrics: options.metrics });
    const client = options.client ?? new SQSClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    this.sender = new SqsHistorySender({ client, queueUrl: options.queueUrl, spill: this.spill, maxBatchBytes: options.maxMessageBytes, metrics: options.metrics, logger: options.logger });
  }

  start(): void {
    this.adoption.start();
    this.sender.start();
    this.scheduleInterval();
    this.statusTimer = setInterval(() => this.sendStatus(), this.options.statusIntervalMs ?? 15_000);
    this.statusTimer.unref();
  }

  record(state: RateState): void {
    this.batcher.record(state);
  }

  remove(symbol: string): void {
    this.batcher.remove(symbol);
    this.pendingRewrites.delete(symbol);
  }

  /** See HistoryBatcher.resume. */
  resume(state: RateState, previous?: RateState): void {
    this.batcher.resume(state, previous);
  }

  /**
   * Writes again the rows of a symbol from the interval holding
   * `firstLateTradeTime` (trades from then on arrived late) through the one
   * holding `lastLateTradeTime`, each from `evaluateAt` at the interval's last
   * millisecond (see history-rewrite.ts), bypassing the batcher's per-interval
   * state: most of these intervals were emitted already. Intervals not closed yet
   * are rewritten when they close. Instants `evaluateAt` cannot answer exactly
   * are skipped. Returns the number of rows sent now.
   */
  rewrite(symbol: string, firstLateTradeTime: number, lastLateTradeTime: number, evaluateAt: (t: number) => RateState | undefined): number {
    if (!this.batcher.has(symbol)) return 0;
    const interval = this.batcher.interval;
    const until = this.options.now() - this.options.settleMs;
    const lastClosed = this.batcher.intervalStart(until) - interval;
    const through = this.batcher.intervalStart(lastLateTradeTime);
    const pending = this.pendingRewrites.get(symbol);
    if (through > lastClosed) {
      this.pendingRewrites.set(symbol, { from: Math.min(pending?.from ?? Infinity, lastClosed + interval), through: Math.max(pending?.through ?? -Infinity, through), evaluateAt });
    }
    return this.sendRewrite(rewriteInstants(firstLateTradeTime, until, interval, this.maxRewriteIntervals), evaluateAt);
  }

  get intervalMs(): number {
    return this.batcher.interval;
  }

  setInterval(intervalMs: number): void {
    this.batcher.setInterval(intervalMs);
  }

  status(): Record<string, unknown> {
    const sender = this.sender.status();
    const oldest = this.spill.oldestAt();
    this.options.metrics?.spillBytes.set(sender.spillBytes);
    this.options.metrics?.spillOldestAge.set(oldest === undefined ? 0 : (Date.now() - oldest) / 1000);
    return { ...sender, rowsSent: this.rowsSent, rowsRewritten: this.rowsRewritten, intervalMs: this.batcher.interval };
  }

  /**
   * Closes every interval including the one in progress (its last state so far
   * wins; a later collector's newer state for it replaces it in the database),
   * then sends or spills everything within `deadlineMs`.
   */
  async close(deadlineMs: number): Promise<void> {
    if (this.intervalTimer) clearTimeout(this.intervalTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.flushRows(this.options.now() + this.batcher.interval);
    this.sendStatus();
    await this.sender.close(deadlineMs);
    this.adoption.stop();
  }

  private scheduleInterval(): void {
    // Fires just after each interval boundary plus the settle time, so each pass closes one interval.
    const interval = this.batcher.interval;
    const offset = (this.options.settleMs % interval) + 5;
    const now = Date.now();
    const next = Math.floor((now - offset) / interval) * interval + interval + offset;
    const delay = next - now;
    this.intervalTimer = setTimeout(() => {
      try {
        this.flushRows(this.options.now() - this.options.settleMs);
      } finally {
        this.scheduleInterval();
      }
    }, delay);
    this.intervalTimer.unref();
  }

  private flushRows(until: number): void {
    const rows = this.batcher.close(until);
    if (rows.length > 0) {
      this.rowsSent += rows.length;
      this.sender.send(packRateRows(rows, { exchange: this.options.exchange, collectorId: this.options.collectorId, intervalMs: this.batcher.interval }, this.options.maxMessageBytes));
      this.status();
    }
    const lastClosed = this.batcher.intervalStart(until) - this.batcher.interval;
    for (const [symbol, pending] of this.pendingRewrites) {
      if (pending.through > lastClosed) continue;
      this.pendingRewrites.delete(symbol);
      this.sendRewrite(rewriteInstants(pending.from, pending.through + this.batcher.interval, this.batcher.interval, this.maxRewriteIntervals), pending.evaluateAt);
    }
  }

  private get maxRewriteIntervals(): number {
    return this.options.maxRewriteIntervals ?? 300;
  }

  private sendRewrite(instants: readonly number[], evaluateAt: (t: number) => RateState | undefined): number {
    const rows: RateRow[] = [];
    for (const t of instants) {
      const state = evaluateAt(t);
      const row = state && this.batcher.correctionRow(state);
      if (row) rows.push(row);
    }
    if (rows.length === 0) return 0;
    this.rowsSent += rows.length;
    this.rowsRewritten += rows.length;
    this.sender.send(packRateRows(rows, { exchange: this.options.exchange, collectorId: this.options.collectorId, intervalMs: this.batcher.interval }, this.options.maxMessageBytes));
    return rows.length;
  }

  private sendStatus(): void {
    const body = JSON.stringify({ v: HISTORY_MESSAGE_VERSION, kind: 'status', exchange: this.options.exchange, collectorId: this.options.collectorId, at: Date.now(), connections: this.options.connections() });
    this.sender.send([body]);
  }
}
