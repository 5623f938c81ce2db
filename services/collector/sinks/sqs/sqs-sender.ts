import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage, LogThrottle, type Logger } from '../../../shared';
import type { CollectorMetrics } from '../../metrics';
import type { SpillStore } from './spill-store';

export interface SqsSenderOptions {
  client: SQSClient;
  queueUrl: string;
  spill: SpillStore;
  /** Per SendMessageBatch call: SQS, LocalStack and fauxqs all cap the batch payload at 256 KiB. */
  maxBatchBytes?: number;
  /** Bodies waiting in memory at most; beyond it new batches go to the spill file at once. */
  maxQueuedBodies?: number;
  /** Attempts for entries a partial batch response reported failed, before they are spilled. */
  maxAttempts?: number;
  metrics?: CollectorMetrics;
  logger?: Logger;
}

interface Pending {
  body: string;
  attempts: number;
}

const MAX_BATCH_ENTRIES = 10;

/**
 * Sends history message bodies with SendMessageBatch. Entries a partial batch
 * response reports failed are retried with backoff, then spilled; when SQS cannot
 * be reached at all, everything goes to the spill file until a send succeeds
 * again, after which the spill is drained oldest first. Nothing is dropped
 * silently: a batch refused by a full spill file is counted as `dropped` and logged.
 */
export class SqsHistorySender {
  private readonly queue: Pending[] = [];
  private running = false;
  private reachable = true;
  private closed = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly throttle = new LogThrottle();
  private lastError: string | undefined;
  private retryDelayMs = 500;
  /** Progress through the spill segment being replayed. */
  private drained = { segment: '', sent: 0 };
  private drainDelayMs = 250;

  constructor(private readonly options: SqsSenderOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  status(): { reachable: boolean; queued: number; spillBytes: number; lastError?: string } {
    return { reachable: this.reachable, queued: this.queue.length, spillBytes: this.options.spill.bytes, lastError: this.lastError };
  }

  /** Accepts bodies to send; never blocks. */
  send(bodies: readonly string[]): void {
    if (bodies.length === 0) return;
    const room = (this.options.maxQueuedBodies ?? 200) - this.queue.length;
    if (this.closed || !this.reachable || room < bodies.length) {
      this.spill(bodies);
      return;
    }
    for (const body of bodies) this.queue.push({ body, attempts: 0 });
    this.wake?.();
  }

  /** Sends what is queued within `deadlineMs`; whatever is left is spilled. */
  async close(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (this.queue.length > 0 && this.reachable && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    this.closed = true;
    this.running = false;
    this.wake?.();
    if (this.queue.length > 0) this.spill(this.queue.splice(0).map((p) => p.body));
    await this.loop;
    this.options.spill.close();
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.queue.length === 0 && (this.options.spill.isEmpty || !this.reachable)) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          // While unreachable, probe by replaying the spill now and then.
          setTimeout(resolve, this.reachable ? 1000 : this.retryDelayMs).unref();
        });
        this.wake = undefined;
        if (!this.reachable && !this.options.spill.isEmpty) await this.drainSpill();
        continue;
      }
      if (this.queue.length > 0) await this.sendQueued();
      else await this.drainSpill();
    }
  }

  private takeBatch(): Pending[] {
    const maxBytes = this.options.maxBatchBytes ?? 256 * 1024;
    const batch: Pending[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < MAX_BATCH_ENTRIES) {
      const next = this.queue[0]!;
      const size = Buffer.byteLength(next.body);
      if (batch.length > 0 && bytes + size > maxBytes) break;
      batch.push(this.queue.shift()!);
      bytes += size;
    }
    return batch;
  }

  private async sendQueued(): Promise<void> {
    const batch = this.takeBatch();
    const failed = await this.sendBatch(batch.map((p) => p.body));
    if (failed === 'unreachable') {
      this.spill(batch.map((p) => p.body));
      this.spill(this.queue.splice(0).map((p) => p.body));
      return;
    }
    const retry: Pending[] = [];
    for (const index of failed) {
      const entry = batch[index]!;
      entry.attempts += 1;
      if (entry.attempts >= (this.options.maxAttempts ?? 3)) this.spill([entry.body]);
      else retry.push(entry);
    }
    if (retry.length > 0) {
      this.queue.unshift(...retry);
      await new Promise((resolve) => setTimeout(resolve, 200 * retry[0]!.attempts).unref());
    }
  }

  private async drainSpill(): Promise<void> {
    const segment = this.options.spill.oldest();
    if (!segment) return;
    // Resume where the last attempt on this segment stopped: a retry must not resend
    // (or re-read into the queue) what SQS already has.
    if (this.drained.segment !== segment.name) this.drained = { segment: segment.name, sent: 0 };
    while (this.drained.sent < segment.bodies.length) {
      if (this.closed) return;
      const bodies = segment.bodies.slice(this.drained.sent, this.drained.sent + MAX_BATCH_ENTRIES);
      // Spilled bodies were sized for one message each; send them one batch entry per message within the byte cap.
      const [group] = this.groupByBytes(bodies);
      const failed = await this.sendBatch(group!, 'replayed');
      if (failed === 'unreachable' || failed.length > 0) {
        // Back off before the next attempt instead of hammering SQS in a loop.
        this.drainDelayMs = Math.min(this.drainDelayMs * 2, 5_000);
        await new Promise((resolve) => setTimeout(resolve, this.drainDelayMs).unref());
        return;
      }
      this.drainDelayMs = 250;
      this.drained.sent += group!.length;
    }
    this.options.spill.remove(segment.name);
    this.options.logger?.info('spilled history batches sent', { segment: segment.name, messages: segment.bodies.length });
  }

  private groupByBytes(bodies: string[]): string[][] {
    const maxBytes = this.options.maxBatchBytes ?? 256 * 1024;
    const groups: string[][] = [];
    let current: string[] = [];
    let bytes = 0;
    for (const body of bodies) {
      const size = Buffer.byteLength(body);
      if (current.length > 0 && bytes + size > maxBytes) {
        groups.push(current);
        current = [];
        bytes = 0;
      }
      current.push(body);
      bytes += size;
    }
    if (current.length > 0) groups.push(current);
    return groups;
  }

  /** Indexes of failed entries, or 'unreachable' when the call itself failed. */
  private async sendBatch(bodies: string[], okResult: 'sent' | 'replayed' = 'sent'): Promise<number[] | 'unreachable'> {
    try {
      const response = await this.options.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) }),
      );
      this.markReachable();
      const refused = response.Failed ?? [];
      // SenderFault: the message itself is unacceptable (too large, invalid): retrying
      // it can never succeed and would block everything behind it.
      const permanent = refused.filter((f) => f.SenderFault);
      const failed = refused.filter((f) => !f.SenderFault).map((f) => Number(f.Id));
      this.options.metrics?.sqsBatches.inc({ result: okResult }, bodies.length - refused.length);
      if (permanent.length > 0) {
        this.options.metrics?.sqsBatches.inc({ result: 'dropped' }, permanent.length);
        const admitted = this.throttle.admit('sender-fault');
        if (admitted) this.options.logger?.error('SQS refused history messages as invalid; dropped. Check SQS_MAX_MESSAGE_BYTES against the queue', { refused: permanent, suppressedSinceLastLog: admitted.suppressed });
      }
      if (failed.length > 0) {
        this.options.metrics?.sqsBatches.inc({ result: 'failed' }, failed.length);
        const admitted = this.throttle.admit('partial');
        if (admitted) this.options.logger?.warn('SQS refused some history messages; retrying them', { failed: refused.filter((f) => !f.SenderFault), suppressedSinceLastLog: admitted.suppressed });
      }
      return failed;
    } catch (error) {
      this.markUnreachable(error);
      return 'unreachable';
    }
  }

  private spill(bodies: readonly string[]): void {
    if (bodies.length === 0) return;
    let accepted: boolean;
    try {
      accepted = this.options.spill.append(bodies);
    } catch (error) {
      // A full or failing disk must not take the collector down; the loss is counted and logged.
      accepted = false;
      this.options.metrics?.errors.inc({ component: 'sqs', code: (error as { code?: string }).code ?? 'SPILL_WRITE' });
      const admitted = this.throttle.admit('spill-write');
      if (admitted) this.options.logger?.error('writing the spill file failed', { error: errorMessage(error), suppressedSinceLastLog: admitted.suppressed });
    }
    if (accepted) {
      this.options.metrics?.sqsBatches.inc({ result: 'spilled' }, bodies.length);
      return;
    }
    this.options.metrics?.sqsBatches.inc({ result: 'dropped' }, bodies.length);
    const admitted = this.throttle.admit('dropped');
    if (admitted) this.options.logger?.error('spill file full: history batches dropped. Restore SQS access or raise SPILL_MAX_BYTES', { messages: bodies.length, spillBytes: this.options.spill.bytes, suppressedSinceLastLog: admitted.suppressed });
  }

  private markReachable(): void {
    if (!this.reachable) this.options.logger?.info('SQS reachable again; draining the spill file');
    this.reachable = true;
    this.lastError = undefined;
    this.retryDelayMs = 500;
  }

  private markUnreachable(error: unknown): void {
    this.lastError = errorMessage(error);
    this.options.metrics?.errors.inc({ component: 'sqs', code: (error as { name?: string }).name ?? 'SEND_FAILED' });
    if (this.reachable) this.options.logger?.error('SQS unreachable; spilling history batches to disk until it answers', { error: this.lastError });
    this.reachable = false;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5_000);
  }
}
