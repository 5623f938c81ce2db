import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage, LogThrottle, type Logger } from '../../../shared';
import type { CollectorMetrics } from '../../metrics';
import { classifySendError, type SendFailure } from './send-errors';
import type { SpillStore } from './spill-store';

export interface SqsSenderOptions {
  client: SQSClient;
  queueUrl: string;
  spill: SpillStore;
  /** Per SendMessageBatch call: SQS, LocalStack and fauxqs all cap the batch payload at 256 KiB. */
  maxBatchBytes?: number;
  /**
   * Bodies waiting in memory at most. While SQS takes them, overflow goes to
   * the spill file; while neither SQS nor the spill takes them, the newest are
   * dropped and counted (`collector_sqs_batches_total{result="dropped"}`).
   */
  maxQueuedBodies?: number;
  /** Attempts for entries a partial batch response reported failed, before they are spilled. */
  maxAttempts?: number;
  /** Backoff between attempts while SQS fails transiently, and its cap. */
  retryDelayMs?: { initial: number; max: number };
  /** Backoff between probes while SQS refuses this collector (IAM, queue, KMS), and its cap. */
  refusedDelayMs?: { initial: number; max: number };
  /** Idle wait of the loop between checks (spill written by another path, a timer). */
  idleMs?: number;
  metrics?: CollectorMetrics;
  logger?: Logger;
  /** Injectable for tests. */
  random?: () => number;
}

/**
 * - `sending`: SQS takes requests; memory is sent first, then the spill is drained.
 * - `retrying`: the last request failed transiently; new batches go to the spill, attempts back off.
 * - `refused`: SQS refuses this collector (credentials, IAM, queue or key gone); an operator must act.
 *   Everything goes to the spill; probes back off to a cap of a minute.
 * - `closed`: after close(); whatever was left is on disk.
 */
export type SenderState = 'sending' | 'retrying' | 'refused' | 'closed';
export const SENDER_STATES: readonly SenderState[] = ['sending', 'retrying', 'refused', 'closed'];

interface Pending {
  body: string;
  attempts: number;
}

/** One request's worth of bodies, and where they came from (so the outcome knows what to put back). */
interface Work {
  bodies: string[];
  origin: 'memory' | 'spill';
}

type Outcome =
  | { kind: 'ok'; retry: number[]; rejected: number }
  | { kind: 'failed'; failure: SendFailure; error: unknown };

const MAX_BATCH_ENTRIES = 10;

/**
 * Sends history message bodies with SendMessageBatch, as an explicit state
 * machine over the failure classes of `classifySendError`:
 *
 * - retryable (network, throttling, 5xx): back off with jitter, keep order,
 *   persist what waits to the spill file;
 * - too large: the request is halved until it fits; a single message SQS
 *   still refuses is set aside (counted `rejected`), never retried for ever;
 * - refused (AccessDenied, NonExistentQueue, KMS): counted and logged for the
 *   alarm, everything spilled, probed with a capped backoff;
 * - invalid (another client error): split like too large, so one bad message
 *   never blocks the ones behind it;
 * - spill unwritable (EACCES, ENOSPC, EROFS): batches stay in memory up to
 *   `maxQueuedBodies` and SQS is still probed directly; only past that bound are
 *   batches dropped, and counted.
 *
 * Entries a partial batch response reports failed with SenderFault (the
 * message itself is unacceptable) are counted `rejected`; the others are
 * retried, then spilled.
 */
export class SqsHistorySender {
  private readonly queue: Pending[] = [];
  private state: SenderState = 'sending';
  private running = false;
  private closing = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly throttle = new LogThrottle();
  private lastError: { code: string; message: string; kind: SendFailure['kind'] } | undefined;
  private delayMs = 0;
  private nextAttemptAt = 0;
  /** Set after a request was too large: the next requests carry at most this many entries. */
  private entryLimit = MAX_BATCH_ENTRIES;
  /** Progress through the spill segment being replayed. */
  private drained = { segment: '', sent: 0 };
  private inFlight = false;
  private readonly maxBatchBytes: number;
  private readonly maxQueuedBodies: number;
  private readonly retryDelay: { initial: number; max: number };
  private readonly refusedDelay: { initial: number; max: number };

  constructor(private readonly options: SqsSenderOptions) {
    this.maxBatchBytes = options.maxBatchBytes ?? 256 * 1024;
    this.maxQueuedBodies = options.maxQueuedBodies ?? 200;
    this.retryDelay = options.retryDelayMs ?? { initial: 250, max: 5_000 };
    this.refusedDelay = options.refusedDelayMs ?? { initial: 1_000, max: 60_000 };
    this.publishState();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  status(): { state: SenderState; reachable: boolean; queued: number; spillBytes: number; lastError?: string; lastErrorCode?: string } {
    return {
      state: this.state,
      reachable: this.state === 'sending',
      queued: this.queue.length,
      spillBytes: this.options.spill.bytes,
      ...(this.lastError ? { lastError: this.lastError.message, lastErrorCode: this.lastError.code } : {}),
    };
  }

  /** Accepts bodies to send; never blocks. */
  send(bodies: readonly string[]): void {
    if (bodies.length === 0) return;
    if (this.closing || this.state !== 'sending') {
      // SQS is not taking requests: disk first, so a crash loses nothing; memory only while the disk refuses.
      if (!this.trySpill(bodies)) this.keepInMemory(bodies);
      this.wake?.();
      return;
    }
    const room = this.maxQueuedBodies - this.queue.length;
    const fits = bodies.slice(0, Math.max(0, room));
    for (const body of fits) this.queue.push({ body, attempts: 0 });
    const overflow = bodies.slice(fits.length);
    if (overflow.length > 0 && !this.trySpill(overflow)) this.countDropped(overflow.length);
    this.wake?.();
  }

  /**
   * Sends what is queued within `deadlineMs`, lets the request in flight finish
   * (bounded by the client's request timeout), and spills whatever is left,
   * including entries that request put back.
   */
  async close(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    this.closing = true;
    this.wake?.();
    while ((this.queue.length > 0 || this.inFlight) && this.state === 'sending' && Date.now() < deadline) await sleep(20);
    this.running = false;
    this.wake?.();
    await this.loop;
    const left = this.queue.splice(0);
    if (left.length > 0 && !this.trySpill(left.map((p) => p.body))) this.countDropped(left.length);
    this.options.spill.close();
    this.setState('closed');
  }

  private async run(): Promise<void> {
    while (this.running) {
      // A backoff holds in every state: after a partial failure while sending, too.
      const waitMs = this.nextAttemptAt - Date.now();
      const work = waitMs <= 0 ? this.nextWork() : undefined;
      if (!work) {
        await this.idle(waitMs > 0 ? waitMs : (this.options.idleMs ?? 1_000));
        continue;
      }
      this.inFlight = true;
      let outcome: Outcome;
      try {
        outcome = await this.request(work.bodies);
      } finally {
        this.inFlight = false;
      }
      this.settle(work, outcome);
    }
  }

  /** Memory first (the newest data, and not yet on disk), then the spill, oldest first; nothing from the spill while closing. */
  private nextWork(): Work | undefined {
    if (this.queue.length > 0) {
      const count = this.fitting(this.queue.map((p) => p.body));
      return { bodies: this.queue.slice(0, count).map((p) => p.body), origin: 'memory' };
    }
    if (this.closing || this.options.spill.isEmpty) return undefined;
    const segment = this.spillHead();
    if (!segment) return undefined;
    const rest = segment.bodies.slice(this.drained.sent, this.drained.sent + MAX_BATCH_ENTRIES);
    return { bodies: rest.slice(0, this.fitting(rest)), origin: 'spill' };
  }

  private cachedSegment: { name: string; bodies: string[] } | undefined;

  /**
   * The segment being replayed, read once; a finished one is removed here. A
   * torn line was skipped by the store and is counted, never sent.
   */
  private spillHead(): { name: string; bodies: string[] } | undefined {
    for (;;) {
      if (!this.cachedSegment) {
        let segment;
        try {
          segment = this.options.spill.oldest();
        } catch (error) {
          this.countError('SPILL_READ', error, 'reading the spill file failed; retrying later');
          return undefined;
        }
        if (!segment) return undefined;
        if (segment.tornLines > 0) {
          this.options.metrics?.spillTornLines.inc(segment.tornLines);
          this.options.logger?.warn('skipped torn lines of a spill segment (a write cut short by a crash or a full disk)', { segment: segment.name, tornLines: segment.tornLines });
        }
        this.cachedSegment = { name: segment.name, bodies: segment.bodies };
        // Resume where the last attempt on this segment stopped: a retry must not resend what SQS already has.
        if (this.drained.segment !== segment.name) this.drained = { segment: segment.name, sent: 0 };
      }
      if (this.drained.sent < this.cachedSegment.bodies.length) return this.cachedSegment;
      this.finishSegment(this.cachedSegment);
    }
  }

  private finishSegment(segment: { name: string; bodies: string[] }): void {
    this.cachedSegment = undefined;
    try {
      this.options.spill.remove(segment.name);
    } catch (error) {
      this.countError('SPILL_REMOVE', error, 'removing a replayed spill segment failed; it is replayed again (harmless: inserts are idempotent)');
      return;
    }
    if (segment.bodies.length > 0) this.options.logger?.info('spilled history batches sent', { segment: segment.name, messages: segment.bodies.length });
  }

  /** How many of `bodies`, from the front, fit one request (entries and bytes). */
  private fitting(bodies: readonly string[]): number {
    let bytes = 0;
    let count = 0;
    for (const body of bodies) {
      if (count >= this.entryLimit) break;
      const size = Buffer.byteLength(body);
      if (count > 0 && bytes + size > this.maxBatchBytes) break;
      bytes += size;
      count += 1;
    }
    return count;
  }

  private async request(bodies: string[]): Promise<Outcome> {
    try {
      const response = await this.options.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) }),
      );
      const failed = response.Failed ?? [];
      const rejected = failed.filter((f) => f.SenderFault);
      if (rejected.length > 0) {
        const admitted = this.throttle.admit('sender-fault');
        if (admitted) this.options.logger?.error('SQS refused history messages as invalid; set aside. Check SQS_MAX_MESSAGE_BYTES against the queue', { refused: rejected, suppressedSinceLastLog: admitted.suppressed });
      }
      const retry = failed.filter((f) => !f.SenderFault).map((f) => Number(f.Id));
      if (retry.length > 0) {
        const admitted = this.throttle.admit('partial');
        if (admitted) this.options.logger?.warn('SQS refused some history messages; retrying them', { failed: failed.filter((f) => !f.SenderFault), suppressedSinceLastLog: admitted.suppressed });
      }
      return { kind: 'ok', retry, rejected: rejected.length };
    } catch (error) {
      return { kind: 'failed', failure: classifySendError(error), error };
    }
  }

  private settle(work: Work, outcome: Outcome): void {
    if (outcome.kind === 'ok') {
      this.settleAnswered(work, outcome);
      return;
    }
    const { failure, error } = outcome;
    if ((failure.kind === 'too-large' || failure.kind === 'invalid') && work.bodies.length > 1) {
      // Halve and try again at once: pieces of the same request, no backoff needed.
      this.entryLimit = Math.max(1, Math.floor(work.bodies.length / 2));
      this.options.metrics?.sqsBatches.inc({ result: 'split' }, 1);
      this.countError(failure.code, error, 'SQS refused a history request as a whole; sending it in smaller pieces', 'warn');
      return;
    }
    if (failure.kind === 'too-large' || failure.kind === 'invalid') {
      // One message alone that SQS refuses: set it aside so it never blocks the rest.
      this.consume(work, 1);
      this.options.metrics?.sqsBatches.inc({ result: 'rejected' }, 1);
      this.countError(failure.code, error, 'SQS refused a single history message; set aside and counted (collector_sqs_batches_total{result="rejected"})');
      this.entryLimit = MAX_BATCH_ENTRIES;
      return;
    }
    this.fail(failure, error);
  }

  private settleAnswered(work: Work, outcome: { retry: number[]; rejected: number }): void {
    const sentCount = work.bodies.length - outcome.retry.length - outcome.rejected;
    this.options.metrics?.sqsBatches.inc({ result: work.origin === 'memory' ? 'sent' : 'replayed' }, sentCount);
    if (outcome.rejected > 0) this.options.metrics?.sqsBatches.inc({ result: 'rejected' }, outcome.rejected);
    if (outcome.retry.length > 0) this.options.metrics?.sqsBatches.inc({ result: 'failed' }, outcome.retry.length);
    this.entryLimit = MAX_BATCH_ENTRIES;
    this.recover();
    if (outcome.retry.length === 0) this.delayMs = 0;
    if (work.origin === 'spill') {
      if (outcome.retry.length > 0) {
        // The group stays where it is and goes again after a pause; what SQS took is sent twice, which is harmless.
        this.backoff(this.retryDelay);
        return;
      }
      this.drained.sent += work.bodies.length;
      return;
    }
    const taken = this.queue.splice(0, work.bodies.length);
    const again: Pending[] = [];
    for (const index of outcome.retry) {
      const entry = taken[index]!;
      entry.attempts += 1;
      if (entry.attempts < (this.options.maxAttempts ?? 3)) again.push(entry);
      else if (!this.trySpill([entry.body])) again.push(entry);
    }
    if (again.length > 0) {
      this.queue.unshift(...again);
      this.backoff(this.retryDelay);
    }
  }

  /** Removes `count` bodies of `work` from the front of where it came from. */
  private consume(work: Work, count: number): void {
    if (work.origin === 'memory') this.queue.splice(0, count);
    else this.drained.sent += count;
  }

  private fail(failure: SendFailure, error: unknown): void {
    const message = errorMessage(error);
    this.lastError = { code: failure.code, message, kind: failure.kind };
    this.options.metrics?.errors.inc({ component: 'sqs', code: failure.code });
    const wasSending = this.state === 'sending';
    if (failure.kind === 'refused') {
      if (this.state !== 'refused') {
        this.options.logger?.error('SQS refuses this collector; history waits in the spill file until an operator fixes access. Check the task role (sqs:SendMessage), SQS_QUEUE_URL and the queue\'s KMS key policy', { code: failure.code, error: message });
      }
      this.options.metrics?.sqsRefused.inc({ code: failure.code });
      this.setState('refused');
      this.backoff(this.refusedDelay);
    } else {
      if (wasSending) this.options.logger?.error('SQS unreachable; spilling history batches to disk until it answers', { code: failure.code, error: message });
      this.setState('retrying');
      this.backoff(this.retryDelay);
    }
    // Persist what waits in memory now: SQS may stay away longer than this task lives.
    if (this.queue.length > 0 && this.trySpill(this.queue.map((p) => p.body))) this.queue.length = 0;
  }

  private recover(): void {
    if (this.state === 'sending') return;
    this.options.logger?.info('SQS takes history again; draining the spill file', { after: this.state });
    this.setState('sending');
    this.lastError = undefined;
    this.delayMs = 0;
    this.nextAttemptAt = 0;
  }

  /** Exponential with jitter between half and all of the delay, so tasks do not probe in step. */
  private backoff(range: { initial: number; max: number }): void {
    this.delayMs = this.delayMs === 0 ? range.initial : Math.min(this.delayMs * 2, range.max);
    this.nextAttemptAt = Date.now() + this.delayMs * (0.5 + 0.5 * (this.options.random ?? Math.random)());
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /** True when the spill took the bodies; false (counted, logged) when it is full or cannot be written. */
  private trySpill(bodies: readonly string[]): boolean {
    if (bodies.length === 0) return true;
    let accepted: boolean;
    try {
      accepted = this.options.spill.append(bodies);
    } catch (error) {
      this.countError((error as { code?: string }).code ?? 'SPILL_WRITE', error, 'writing the spill file failed; history waits in memory and SQS is still tried. Check SPILL_DIR (space, permissions, mount)');
      return false;
    }
    if (accepted) {
      this.options.metrics?.sqsBatches.inc({ result: 'spilled' }, bodies.length);
      return true;
    }
    const admitted = this.throttle.admit('spill-full');
    if (admitted) this.options.logger?.error('spill file full. Restore SQS access or raise SPILL_MAX_BYTES', { messages: bodies.length, spillBytes: this.options.spill.bytes, suppressedSinceLastLog: admitted.suppressed });
    return false;
  }

  /** Neither SQS nor the disk takes them: memory up to its bound, the newest beyond it dropped and counted. */
  private keepInMemory(bodies: readonly string[]): void {
    const room = Math.max(0, this.maxQueuedBodies - this.queue.length);
    for (const body of bodies.slice(0, room)) this.queue.push({ body, attempts: 0 });
    this.countDropped(bodies.length - Math.min(room, bodies.length));
  }

  private countDropped(count: number): void {
    if (count <= 0) return;
    this.options.metrics?.sqsBatches.inc({ result: 'dropped' }, count);
    const admitted = this.throttle.admit('dropped');
    if (admitted) this.options.logger?.error('history batches dropped: SQS and the spill file both refuse them and memory is full', { messages: count, queued: this.queue.length, suppressedSinceLastLog: admitted.suppressed });
  }

  private countError(code: string, error: unknown, message: string, level: 'warn' | 'error' = 'error'): void {
    this.options.metrics?.errors.inc({ component: 'sqs', code });
    const admitted = this.throttle.admit(code);
    if (admitted) this.options.logger?.[level](message, { code, error: errorMessage(error), suppressedSinceLastLog: admitted.suppressed });
  }

  private setState(state: SenderState): void {
    this.state = state;
    this.publishState();
  }

  private publishState(): void {
    for (const state of SENDER_STATES) this.options.metrics?.sqsSenderState.set({ state }, state === this.state ? 1 : 0);
  }
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });
