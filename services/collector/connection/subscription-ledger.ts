import { ConnectionError, ConnectionOptionsError, positiveOption } from './errors';

export type SubscriptionMethod = 'SUBSCRIBE' | 'UNSUBSCRIBE';

/** One SUBSCRIBE / UNSUBSCRIBE that left on the current socket and is not settled yet. */
export interface SubscriptionRequest {
  readonly id: number;
  readonly method: SubscriptionMethod;
  readonly streams: readonly string[];
  readonly sentAt: number;
  /** Unsettled streams of the request fail at this time (epoch ms). */
  readonly deadline: number;
}

export interface ReplyError {
  code: number;
  msg: string;
}

/** The part of a `reply` FrameResult the ledger reads. */
export interface LedgerReply {
  id: number | string | null;
  /** When present, exactly these streams are settled, whatever `id` says (OKX acknowledges each arg on its own). */
  streams?: readonly string[];
  error?: ReplyError;
}

export interface ReplyOutcome {
  /** The reply answered a liveness probe; nothing was settled. */
  probe: boolean;
  /** Nothing in flight matched: a late reply (after its timeout), a duplicate, or an unknown id or stream. */
  unmatched: boolean;
  acknowledged: string[];
  /** Refused by the server; retried after the retry delay. */
  failed: string[];
  /** Refused `maxRejections` times on this socket: given up until the next reset. */
  refused: string[];
  /** Requests this reply completed (every stream settled), for the subscribe latency. */
  completed: SubscriptionRequest[];
}

export interface AdvanceOutcome {
  /** Requests whose deadline passed; their unsettled streams wait for a retry. */
  timedOut: SubscriptionRequest[];
  /** Streams whose retry delay ended and that are pending again. */
  requeued: string[];
}

export interface SubscriptionLedgerOptions {
  /** Streams the ledger may want at once. */
  maxStreams: number;
  /** Streams per request (the protocol's `maxStreamsPerRequest`). */
  maxStreamsPerRequest: number;
  /** Requests in flight at once; further work waits merged in the pending sets. Default 4. */
  maxOutstandingRequests?: number;
  /** A request without a complete reply after this fails. Default 10 s. */
  requestTimeoutMs?: number;
  /** First retry delay of a failed stream, doubled per consecutive failure up to `maxRetryMs`. Default 1 s. */
  requestRetryMs?: number;
  /** Default 30 s. */
  maxRetryMs?: number;
  /** Explicit refusals of one stream's SUBSCRIBE on one socket before it is given up. Default 5. */
  maxRejections?: number;
}

interface InFlight {
  request: SubscriptionRequest;
  unsettled: Set<string>;
}

interface Retry {
  method: SubscriptionMethod;
  dueAt: number;
}

/** Replies to forgotten probes are ignored; only the latest few ids are kept. */
const MAX_PROBES = 4;

/**
 * The subscription bookkeeping of one connection, without sockets or timers: which
 * streams are wanted, which wait to be sent, which are in flight under which
 * request, which the server acknowledged, and which wait for a retry. The caller
 * passes the current time and schedules `nextDeadline()`.
 *
 * Every stream is in at most one of pending, in flight and waiting for a retry, and
 * the server side (acknowledged) is tracked apart from what is wanted, so memory is
 * bounded by the stream count and requests in flight by `maxOutstandingRequests`.
 */
export class SubscriptionLedger {
  readonly maxStreams: number;
  readonly maxStreamsPerRequest: number;
  readonly maxOutstandingRequests: number;
  readonly requestTimeoutMs: number;
  readonly requestRetryMs: number;
  readonly maxRetryMs: number;
  readonly maxRejections: number;

  private readonly desired = new Set<string>();
  private readonly acked = new Set<string>();
  private readonly pendingSubscribe = new Set<string>();
  private readonly pendingUnsubscribe = new Set<string>();
  private readonly requests = new Map<number, InFlight>();
  /** Stream -> id of the request carrying it; a stream is in at most one request. */
  private readonly inFlight = new Map<string, number>();
  private readonly retries = new Map<string, Retry>();
  private readonly rejections = new Map<string, number>();
  private readonly refusedStreams = new Set<string>();
  private readonly probeIds = new Set<number>();
  private nextRequestId = 1;
  private consecutiveFailures = 0;

  constructor(options: SubscriptionLedgerOptions) {
    this.maxStreams = Math.floor(positiveOption('maxStreams', options.maxStreams));
    this.maxStreamsPerRequest = Math.max(1, Math.floor(positiveOption('maxStreamsPerRequest', options.maxStreamsPerRequest)));
    this.maxOutstandingRequests = Math.max(1, Math.floor(positiveOption('maxOutstandingRequests', options.maxOutstandingRequests ?? 4)));
    this.requestTimeoutMs = positiveOption('requestTimeoutMs', options.requestTimeoutMs ?? 10_000);
    this.requestRetryMs = positiveOption('requestRetryMs', options.requestRetryMs ?? 1_000);
    this.maxRetryMs = positiveOption('maxRetryMs', options.maxRetryMs ?? 30_000);
    const maxRejections = options.maxRejections ?? Number.POSITIVE_INFINITY;
    this.maxRejections = maxRejections === Number.POSITIVE_INFINITY ? maxRejections : Math.floor(positiveOption('maxRejections', maxRejections));
    if (this.maxStreams < 1 || this.maxRejections < 1) throw new ConnectionOptionsError('maxStreams and maxRejections must be at least 1');
  }

  get wanted(): ReadonlySet<string> {
    return this.desired;
  }

  /** Streams the server holds on the current socket (acknowledged, not yet unsubscribed). */
  get held(): number {
    return this.acked.size;
  }

  get outstandingRequests(): number {
    return this.requests.size;
  }

  get refused(): ReadonlySet<string> {
    return this.refusedStreams;
  }

  /** Wanted streams not acknowledged on the current socket; refused ones are given up, not pending. */
  get pendingStreams(): number {
    let count = 0;
    for (const stream of this.desired) if (!this.acked.has(stream) && !this.refusedStreams.has(stream)) count += 1;
    return count;
  }

  /** Streams being unsubscribed still deliver until the server acknowledges; they are known, not unknown. */
  isKnown(stream: string): boolean {
    if (this.desired.has(stream) || this.acked.has(stream)) return true;
    const id = this.inFlight.get(stream);
    return id !== undefined && this.requests.get(id)?.request.method === 'SUBSCRIBE';
  }

  /** True when a request can leave now: there is work and room for another one in flight. */
  get canSend(): boolean {
    return this.requests.size < this.maxOutstandingRequests && (this.pendingUnsubscribe.size > 0 || this.pendingSubscribe.size > 0);
  }

  /** Adds streams to the wanted set; throws `STREAM_LIMIT` and changes nothing when they do not fit. */
  want(streams: Iterable<string>): string[] {
    const added = [...new Set(streams)].filter((stream) => !this.desired.has(stream));
    if (this.desired.size + added.length > this.maxStreams) {
      throw new ConnectionError('STREAM_LIMIT', `${this.desired.size + added.length} streams exceed the connection limit of ${this.maxStreams}`);
    }
    for (const stream of added) {
      this.desired.add(stream);
      this.forgetFailures(stream);
      if (this.pendingUnsubscribe.delete(stream)) continue;
      // In flight either way: the reply decides (an acknowledged UNSUBSCRIBE of a wanted stream resubscribes it).
      if (!this.acked.has(stream) && !this.inFlight.has(stream)) this.pendingSubscribe.add(stream);
    }
    return added;
  }

  unwant(streams: Iterable<string>): string[] {
    const removed: string[] = [];
    for (const stream of streams) {
      if (!this.desired.delete(stream)) continue;
      removed.push(stream);
      this.pendingSubscribe.delete(stream);
      this.forgetFailures(stream);
      // A SUBSCRIBE in flight is taken off the server again when its acknowledgement arrives.
      if (this.acked.has(stream) && !this.inFlight.has(stream)) this.pendingUnsubscribe.add(stream);
    }
    return removed;
  }

  /**
   * The socket changed (lost, or a new one opened): the server holds nothing, every
   * request and retry is void, and every wanted stream is pending again, refused ones
   * included, since a new socket deserves a new attempt.
   */
  reset(): void {
    this.acked.clear();
    this.requests.clear();
    this.inFlight.clear();
    this.retries.clear();
    this.rejections.clear();
    this.refusedStreams.clear();
    this.probeIds.clear();
    this.pendingUnsubscribe.clear();
    this.pendingSubscribe.clear();
    for (const stream of this.desired) this.pendingSubscribe.add(stream);
    this.consecutiveFailures = 0;
  }

  /**
   * The next request, registered as in flight with its deadline counted from `now`,
   * or undefined when there is nothing to send or no room. Unsubscribes go first so
   * the server never holds more than the stream limit.
   */
  takeRequest(now: number): SubscriptionRequest | undefined {
    if (!this.canSend) return undefined;
    const method: SubscriptionMethod = this.pendingUnsubscribe.size > 0 ? 'UNSUBSCRIBE' : 'SUBSCRIBE';
    const source = method === 'UNSUBSCRIBE' ? this.pendingUnsubscribe : this.pendingSubscribe;
    const streams: string[] = [];
    for (const stream of source) {
      streams.push(stream);
      if (streams.length >= this.maxStreamsPerRequest) break;
    }
    const request: SubscriptionRequest = { id: this.nextRequestId++, method, streams, sentAt: now, deadline: now + this.requestTimeoutMs };
    for (const stream of streams) {
      source.delete(stream);
      this.inFlight.set(stream, request.id);
    }
    this.requests.set(request.id, { request, unsettled: new Set(streams) });
    return request;
  }

  /**
   * A liveness probe: an idempotent SUBSCRIBE of a stream the server already holds,
   * whose reply proves the server still handles this connection. Undefined when
   * nothing is held. Its reply settles nothing.
   */
  takeProbe(): { id: number; stream: string } | undefined {
    const held = this.acked.values().next();
    if (held.done) return undefined;
    const id = this.nextRequestId++;
    this.probeIds.add(id);
    if (this.probeIds.size > MAX_PROBES) this.probeIds.delete(this.probeIds.values().next().value as number);
    return { id, stream: held.value };
  }

  /** True while `stream` is held, so a probe queued earlier is still worth sending. */
  holds(stream: string): boolean {
    return this.acked.has(stream);
  }

  /** Settles what a reply names: the listed streams when it lists any, else every unsettled stream of the request `id`. */
  settle(reply: LedgerReply, now: number): ReplyOutcome {
    const outcome: ReplyOutcome = { probe: false, unmatched: false, acknowledged: [], failed: [], refused: [], completed: [] };
    const id = requestIdOf(reply.id);
    if (reply.streams === undefined && id !== undefined && this.probeIds.delete(id)) {
      outcome.probe = true;
      return outcome;
    }
    const targets = reply.streams ?? this.unsettledOf(id);
    let retryAt: number | undefined;
    for (const stream of targets) {
      const requestId = this.inFlight.get(stream);
      const entry = requestId === undefined ? undefined : this.requests.get(requestId);
      if (!entry || !entry.unsettled.delete(stream)) continue;
      this.inFlight.delete(stream);
      if (reply.error) {
        retryAt ??= this.nextRetryAt(now);
        this.fail(entry.request.method, stream, retryAt, true, outcome);
      } else this.acknowledge(entry.request.method, stream, outcome);
      if (entry.unsettled.size === 0) {
        this.requests.delete(entry.request.id);
        outcome.completed.push(entry.request);
      }
    }
    outcome.unmatched = outcome.acknowledged.length === 0 && outcome.failed.length === 0 && outcome.refused.length === 0;
    return outcome;
  }

  /** Applies everything due at `now`: request deadlines and ended retry delays. */
  advance(now: number): AdvanceOutcome {
    const outcome: AdvanceOutcome = { timedOut: [], requeued: [] };
    for (const entry of [...this.requests.values()]) {
      if (entry.request.deadline > now) continue;
      this.requests.delete(entry.request.id);
      outcome.timedOut.push(entry.request);
      const retryAt = this.nextRetryAt(now);
      // A missing reply says nothing about the stream, so it does not count towards refusal.
      for (const stream of entry.unsettled) {
        this.inFlight.delete(stream);
        this.fail(entry.request.method, stream, retryAt, false, undefined);
      }
    }
    for (const [stream, retry] of [...this.retries]) {
      if (retry.dueAt > now) continue;
      this.retries.delete(stream);
      if (this.inFlight.has(stream)) continue;
      const wanted = this.desired.has(stream);
      if (retry.method === 'SUBSCRIBE' && wanted && !this.acked.has(stream) && !this.pendingSubscribe.has(stream)) {
        this.pendingSubscribe.add(stream);
        outcome.requeued.push(stream);
      }
      if (retry.method === 'UNSUBSCRIBE' && !wanted && this.acked.has(stream) && !this.pendingUnsubscribe.has(stream)) {
        this.pendingUnsubscribe.add(stream);
        outcome.requeued.push(stream);
      }
    }
    return outcome;
  }

  /** The earliest request deadline or retry time, for the caller's one timer; undefined when nothing waits. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const { request } of this.requests.values()) if (next === undefined || request.deadline < next) next = request.deadline;
    for (const retry of this.retries.values()) if (next === undefined || retry.dueAt < next) next = retry.dueAt;
    return next;
  }

  private unsettledOf(id: number | undefined): string[] {
    const entry = id === undefined ? undefined : this.requests.get(id);
    return entry ? [...entry.unsettled] : [];
  }

  private acknowledge(method: SubscriptionMethod, stream: string, outcome: ReplyOutcome): void {
    this.consecutiveFailures = 0;
    outcome.acknowledged.push(stream);
    if (method === 'SUBSCRIBE') {
      this.acked.add(stream);
      this.rejections.delete(stream);
      // Removed while the request was in flight: take it off the server again.
      if (!this.desired.has(stream)) this.pendingUnsubscribe.add(stream);
    } else {
      this.acked.delete(stream);
      if (this.desired.has(stream)) this.pendingSubscribe.add(stream);
    }
  }

  /**
   * When the streams of one failure (a reply, a timeout) are pending again. A failed
   * stream waits a growing delay, or a refused name would spin at the pacer's rate;
   * it grows per failure of the connection, not per stream, so one refused batch of
   * 100 streams counts once and stays one batch when retried.
   */
  private nextRetryAt(now: number): number {
    const delay = Math.min(this.maxRetryMs, this.requestRetryMs * 2 ** Math.min(this.consecutiveFailures, 16));
    this.consecutiveFailures += 1;
    return now + delay;
  }

  /**
   * An UNSUBSCRIBE is retried without a bound: giving up would leave the server
   * holding a stream the ledger no longer counts against the limit.
   */
  private fail(method: SubscriptionMethod, stream: string, retryAt: number, rejected: boolean, outcome: ReplyOutcome | undefined): void {
    if (rejected && method === 'SUBSCRIBE' && this.desired.has(stream)) {
      const rejections = (this.rejections.get(stream) ?? 0) + 1;
      this.rejections.set(stream, rejections);
      if (rejections >= this.maxRejections) {
        this.refusedStreams.add(stream);
        outcome?.refused.push(stream);
        return;
      }
    }
    outcome?.failed.push(stream);
    this.retries.set(stream, { method, dueAt: retryAt });
  }

  private forgetFailures(stream: string): void {
    this.retries.delete(stream);
    this.rejections.delete(stream);
    this.refusedStreams.delete(stream);
  }
}

/** Bybit echoes `req_id` as a string; a numeric string names the same request. */
function requestIdOf(id: number | string | null): number | undefined {
  if (typeof id === 'number') return id;
  if (typeof id === 'string' && /^\d{1,15}$/.test(id)) return Number(id);
  return undefined;
}
