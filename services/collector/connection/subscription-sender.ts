import type { ExchangeStreamProtocol } from '../exchange';
import { ConnectionError, type ConnectionErrorCode } from './errors';
import type { RequestBody } from './pacer';
import type { Scheduler, TimerHandle } from './scheduler';
import type { LedgerReply, ReplyError, SubscriptionLedger } from './subscription-ledger';

export interface SubscriptionSenderHooks {
  /** Queues a text message in the connection's pacer; false when it had no room (the work stays in the ledger). */
  enqueue(body: RequestBody): boolean;
  /** True while there is an open socket to send on. */
  canTransmit(): boolean;
  countError(code: ConnectionErrorCode, error: ConnectionError): void;
  /** Something was settled; the connection checks whether every stream is acknowledged. */
  onSettled(): void;
  onRefused(streams: string[], error: ReplyError): void;
  observeSubscribeLatency(seconds: number): void;
}

/**
 * Drives a SubscriptionLedger on one socket at a time: keeps one request slot
 * waiting in the pacer while the ledger has work, encodes what the ledger hands
 * out, feeds it replies, and keeps one timer for its deadlines (request timeouts,
 * retries). `reset` voids everything tied to the socket, including slots and probes
 * still waiting in the pacer.
 */
export class SubscriptionSender {
  private epoch = 0;
  private slotQueued = false;
  private timer: TimerHandle | undefined;
  private timerDueAt: number | undefined;

  constructor(
    private readonly ledger: SubscriptionLedger,
    private readonly protocol: ExchangeStreamProtocol,
    private readonly scheduler: Scheduler,
    private readonly hooks: SubscriptionSenderHooks,
  ) {}

  reset(): void {
    this.epoch += 1;
    this.slotQueued = false;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = undefined;
    this.ledger.reset();
  }

  /**
   * The slot's body is taken from the ledger when its token is due, not when it is
   * queued, so every change made meanwhile is merged into it.
   */
  pump(): void {
    if (this.slotQueued || !this.ledger.canSend || !this.hooks.canTransmit()) return;
    this.slotQueued = true;
    const epoch = this.epoch;
    const queued = this.hooks.enqueue(() => {
      if (epoch !== this.epoch) return undefined;
      this.slotQueued = false;
      // The reply deadline starts now, when the request leaves, not while it waited for a token.
      const request = this.ledger.takeRequest(this.scheduler.now());
      if (!request) return undefined;
      this.armTimer();
      this.pump();
      const streams = [...request.streams];
      return request.method === 'SUBSCRIBE' ? this.protocol.encodeSubscribe(streams, request.id) : this.protocol.encodeUnsubscribe(streams, request.id);
    });
    if (!queued) this.slotQueued = false;
  }

  /**
   * Queues an idempotent SUBSCRIBE of a stream the server holds, whose reply proves
   * the server still handles this connection. False when the server holds nothing.
   */
  probe(): boolean {
    const probe = this.ledger.takeProbe();
    if (!probe) return false;
    const epoch = this.epoch;
    this.hooks.enqueue(() => (epoch === this.epoch && this.ledger.holds(probe.stream) ? this.protocol.encodeSubscribe([probe.stream], probe.id) : undefined));
    return true;
  }

  onReply(reply: LedgerReply): void {
    const now = this.scheduler.now();
    const outcome = this.ledger.settle(reply, now);
    if (outcome.probe) return;
    const error = reply.error;
    if (error) {
      // An error nothing matches answers a request the server could not read; that request times out and is retried.
      const what = outcome.unmatched ? 'unmatched error reply' : `request ${String(reply.id)} rejected`;
      this.hooks.countError('SUBSCRIBE_REJECTED', new ConnectionError('SUBSCRIBE_REJECTED', `${what}: ${error.code} ${error.msg}`));
      if (outcome.refused.length > 0) {
        const detail = `${outcome.refused.length} streams refused ${this.ledger.maxRejections} times, e.g. ${outcome.refused[0]}: ${error.code} ${error.msg}`;
        this.hooks.countError('SUBSCRIBE_REFUSED', new ConnectionError('SUBSCRIBE_REFUSED', detail));
        this.hooks.onRefused(outcome.refused, error);
      }
    } else {
      for (const request of outcome.completed) {
        if (request.method === 'SUBSCRIBE') this.hooks.observeSubscribeLatency((now - request.sentAt) / 1000);
      }
    }
    if (outcome.unmatched) return;
    this.hooks.onSettled();
    this.armTimer();
    this.pump();
  }

  /** One timer for all of the ledger's deadlines, re-armed when the earliest changes. */
  private armTimer(): void {
    const dueAt = this.ledger.nextDeadline();
    if (dueAt === this.timerDueAt) return;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = dueAt;
    if (dueAt === undefined) return;
    this.timer = this.scheduler.setTimeout(() => this.onDeadline(), Math.max(1, dueAt - this.scheduler.now()));
    this.timer.unref?.();
  }

  private onDeadline(): void {
    this.timer = undefined;
    this.timerDueAt = undefined;
    const { timedOut } = this.ledger.advance(this.scheduler.now());
    for (const request of timedOut) {
      this.hooks.countError('SUBSCRIBE_TIMEOUT', new ConnectionError('SUBSCRIBE_TIMEOUT', `${request.method} ${request.id} not answered in ${this.ledger.requestTimeoutMs} ms`));
    }
    this.armTimer();
    this.pump();
  }
}
