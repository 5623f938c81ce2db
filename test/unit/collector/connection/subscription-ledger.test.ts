import { SubscriptionLedger, type SubscriptionLedgerOptions, type SubscriptionRequest } from '../../../../services/collector/connection';

const T0 = 1_700_000_000_000;
const rejected = { code: 60018, msg: "doesn't exist" };

function ledgerOf(options: Partial<SubscriptionLedgerOptions> = {}): SubscriptionLedger {
  return new SubscriptionLedger({ maxStreams: 10, maxStreamsPerRequest: 3, requestTimeoutMs: 1_000, requestRetryMs: 100, maxRetryMs: 800, maxRejections: 3, ...options });
}

/** Takes every request the ledger will hand out at `now`. */
function drain(ledger: SubscriptionLedger, now = T0): SubscriptionRequest[] {
  const requests: SubscriptionRequest[] = [];
  for (let request = ledger.takeRequest(now); request; request = ledger.takeRequest(now)) requests.push(request);
  return requests;
}

/** Wants `streams` and has the server acknowledge all of them. */
function held(streams: string[], options: Partial<SubscriptionLedgerOptions> = {}): SubscriptionLedger {
  const ledger = ledgerOf({ maxStreamsPerRequest: 100, ...options });
  ledger.want(streams);
  for (const request of drain(ledger)) ledger.settle({ id: request.id }, T0);
  return ledger;
}

describe('SubscriptionLedger', () => {
  describe('wanting streams and batching requests', () => {
    it('hands out pending streams in requests of at most maxStreamsPerRequest, deadlines counted from the time they leave', () => {
      // Prepare
      const ledger = ledgerOf({ maxOutstandingRequests: 10 });
      ledger.want(['a', 'b', 'c', 'd', 'e', 'f', 'g']);

      // Act
      const requests = drain(ledger, T0 + 5);

      // Assert
      expect(requests.map((r) => [r.method, r.streams])).toEqual([
        ['SUBSCRIBE', ['a', 'b', 'c']],
        ['SUBSCRIBE', ['d', 'e', 'f']],
        ['SUBSCRIBE', ['g']],
      ]);
      expect(new Set(requests.map((r) => r.id)).size).toBe(3);
      expect(requests.every((r) => r.sentAt === T0 + 5 && r.deadline === T0 + 1_005)).toBe(true);
      expect(ledger.pendingStreams).toBe(7);
      expect(ledger.canSend).toBe(false);
    });

    it('keeps at most maxOutstandingRequests in flight and the rest merged in the pending set', () => {
      // Prepare
      const ledger = ledgerOf({ maxOutstandingRequests: 2, maxStreamsPerRequest: 1 });
      ledger.want(['a', 'b', 'c']);

      // Act
      const first = drain(ledger);
      const whileFull = ledger.takeRequest(T0);
      ledger.settle({ id: first[0]!.id }, T0);
      const afterReply = drain(ledger);

      // Assert
      expect(first.map((r) => r.streams)).toEqual([['a'], ['b']]);
      expect(whileFull).toBeUndefined();
      expect(ledger.outstandingRequests).toBe(2);
      expect(afterReply.map((r) => r.streams)).toEqual([['c']]);
    });

    it('refuses more streams than maxStreams with STREAM_LIMIT and changes nothing; a stream wanted twice counts once', () => {
      // Prepare
      const ledger = ledgerOf({ maxStreams: 3 });
      ledger.want(['a', 'b']);

      // Act
      const again = ledger.want(['a', 'b', 'b']);
      const overflow = (): string[] => ledger.want(['c', 'd']);

      // Assert
      expect(again).toEqual([]);
      expect(overflow).toThrow(expect.objectContaining({ code: 'STREAM_LIMIT' }));
      expect([...ledger.wanted]).toEqual(['a', 'b']);
    });

    it('hands out nothing when nothing is pending', () => {
      // Prepare
      const ledger = ledgerOf();

      // Act
      const request = ledger.takeRequest(T0);

      // Assert
      expect(request).toBeUndefined();
      expect(ledger.nextDeadline()).toBeUndefined();
    });
  });

  describe('replies matched by request id', () => {
    it('acknowledges every stream of the request and completes it', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a', 'b']);
      const [request] = drain(ledger);

      // Act
      const outcome = ledger.settle({ id: request!.id, error: undefined }, T0 + 50);

      // Assert
      expect(outcome).toEqual({ probe: false, unmatched: false, acknowledged: ['a', 'b'], failed: [], refused: [], completed: [request] });
      expect(ledger.pendingStreams).toBe(0);
      expect(ledger.held).toBe(2);
      expect(ledger.outstandingRequests).toBe(0);
      expect(ledger.nextDeadline()).toBeUndefined();
    });

    it('matches a numeric string id (Bybit echoes req_id as a string)', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a']);
      const [request] = drain(ledger);

      // Act
      const outcome = ledger.settle({ id: String(request!.id) }, T0);

      // Assert
      expect(outcome.acknowledged).toEqual(['a']);
    });

    it('reports duplicate, late and unknown replies as unmatched and changes nothing', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a', 'b']);
      const [request] = drain(ledger);
      ledger.settle({ id: request!.id }, T0);
      ledger.want(['c']);
      const [timedOut] = drain(ledger);
      ledger.advance(timedOut!.deadline);

      // Act
      const duplicate = ledger.settle({ id: request!.id }, T0);
      const late = ledger.settle({ id: timedOut!.id }, timedOut!.deadline + 1);
      const unknownId = ledger.settle({ id: 999 }, T0);
      const noId = ledger.settle({ id: null, error: rejected }, T0);
      const textId = ledger.settle({ id: 'list' }, T0);

      // Assert
      for (const outcome of [duplicate, late, unknownId, noId, textId]) {
        expect(outcome).toEqual({ probe: false, unmatched: true, acknowledged: [], failed: [], refused: [], completed: [] });
      }
      expect(ledger.held).toBe(2);
      expect(ledger.pendingStreams).toBe(1);
    });
  });

  describe('replies naming streams (OKX acknowledges each arg on its own)', () => {
    it('settles exactly the named streams whatever the id says, and completes the request when all are settled', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a', 'b', 'c']);
      const [request] = drain(ledger);

      // Act
      const first = ledger.settle({ id: request!.id, streams: ['a'] }, T0 + 10);
      const second = ledger.settle({ id: null, streams: ['c', 'b'] }, T0 + 20);

      // Assert
      expect(first).toMatchObject({ acknowledged: ['a'], completed: [] });
      expect(second).toMatchObject({ acknowledged: ['c', 'b'], completed: [request] });
      expect(ledger.outstandingRequests).toBe(0);
      expect(ledger.pendingStreams).toBe(0);
    });

    it('settles named streams across requests and ignores the ones not in flight', () => {
      // Prepare
      const ledger = ledgerOf({ maxStreamsPerRequest: 1 });
      ledger.want(['a', 'b']);
      const [first, second] = drain(ledger);

      // Act
      const outcome = ledger.settle({ id: null, streams: ['b', 'zzz', 'a', 'a'] }, T0);

      // Assert
      expect(outcome.acknowledged).toEqual(['b', 'a']);
      expect(outcome.completed).toEqual([second, first]);
      expect(outcome.unmatched).toBe(false);
    });

    it('refuses only the named stream of an error reply; the rest of the request is still awaited', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['good', 'bad']);
      const [request] = drain(ledger);

      // Act
      const refusal = ledger.settle({ id: null, streams: ['bad'], error: rejected }, T0 + 10);
      const ack = ledger.settle({ id: null, streams: ['good'] }, T0 + 20);

      // Assert
      expect(refusal).toMatchObject({ acknowledged: [], failed: ['bad'], refused: [], completed: [] });
      expect(ack).toMatchObject({ acknowledged: ['good'], completed: [request] });
      expect(ledger.held).toBe(1);
      expect(ledger.pendingStreams).toBe(1);
      expect(ledger.nextDeadline()).toBe(T0 + 10 + 100);
    });

    it('reports a named stream that is not in flight as unmatched', () => {
      // Prepare
      const ledger = held(['a']);

      // Act
      const duplicate = ledger.settle({ id: null, streams: ['a'] }, T0);
      const unknown = ledger.settle({ id: null, streams: ['nope'], error: rejected }, T0);
      const empty = ledger.settle({ id: null, streams: [] }, T0);

      // Assert
      expect([duplicate.unmatched, unknown.unmatched, empty.unmatched]).toEqual([true, true, true]);
      expect(ledger.held).toBe(1);
    });
  });

  describe('failures and retries', () => {
    it('retries a refused request after requestRetryMs, as one batch again', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a', 'b', 'c']);
      const [request] = drain(ledger);
      const outcome = ledger.settle({ id: request!.id, error: rejected }, T0);

      // Act
      const early = ledger.advance(T0 + 99);
      const due = ledger.advance(T0 + 100);
      const retried = drain(ledger, T0 + 100);

      // Assert
      expect(outcome).toMatchObject({ failed: ['a', 'b', 'c'], completed: [request] });
      expect(early.requeued).toEqual([]);
      expect(due.requeued).toEqual(['a', 'b', 'c']);
      expect(retried.map((r) => r.streams)).toEqual([['a', 'b', 'c']]);
    });

    it('doubles the retry delay per consecutive failure up to maxRetryMs, and an acknowledgement resets it', () => {
      // Prepare
      const ledger = ledgerOf({ maxRejections: 100 });
      ledger.want(['a']);
      const delays: number[] = [];
      let now = T0;

      // Act
      for (let i = 0; i < 5; i++) {
        const [request] = drain(ledger, now);
        ledger.settle({ id: request!.id, error: rejected }, now);
        const dueAt = ledger.nextDeadline()!;
        delays.push(dueAt - now);
        now = dueAt;
        ledger.advance(now);
      }
      const [succeeding] = drain(ledger, now);
      ledger.settle({ id: succeeding!.id }, now);
      ledger.want(['b']);
      const [afterReset] = drain(ledger, now);
      ledger.settle({ id: afterReset!.id, error: rejected }, now);

      // Assert
      expect(delays).toEqual([100, 200, 400, 800, 800]);
      expect(ledger.nextDeadline()).toBe(now + 100);
    });

    it('retries a refused stream for as long as it is refused when no bound is given', () => {
      // Prepare
      const ledger = new SubscriptionLedger({ maxStreams: 10, maxStreamsPerRequest: 3, requestTimeoutMs: 1_000, requestRetryMs: 100, maxRetryMs: 800 });
      ledger.want(['bad']);
      let now = T0;

      // Act
      for (let refusal = 0; refusal < 50; refusal++) {
        const [request] = drain(ledger, now);
        ledger.settle({ id: request!.id, error: rejected }, now);
        now += 800;
        ledger.advance(now);
      }

      // Assert
      expect([...ledger.refused]).toEqual([]);
      expect(ledger.pendingStreams).toBe(1);
      expect(drain(ledger, now).map((request) => request.streams)).toEqual([['bad']]);
    });

    it('gives a stream up as refused after maxRejections refusals: not retried, not pending', () => {
      // Prepare
      const ledger = ledgerOf({ maxRejections: 2 });
      ledger.want(['bad', 'good']);
      const [first] = drain(ledger);
      ledger.settle({ id: null, streams: ['good'] }, T0);
      ledger.settle({ id: null, streams: ['bad'], error: rejected }, T0);
      ledger.advance(T0 + 100);
      const [second] = drain(ledger, T0 + 100);

      // Act
      const outcome = ledger.settle({ id: second!.id, error: rejected }, T0 + 100);

      // Assert
      expect(first!.streams).toEqual(['bad', 'good']);
      expect(second!.streams).toEqual(['bad']);
      expect(outcome).toMatchObject({ failed: [], refused: ['bad'], completed: [second] });
      expect([...ledger.refused]).toEqual(['bad']);
      expect(ledger.pendingStreams).toBe(0);
      expect(ledger.nextDeadline()).toBeUndefined();
      expect(ledger.canSend).toBe(false);
      expect(ledger.isKnown('bad')).toBe(true);
    });

    it('counts refusals per stream: an acknowledgement in between starts the count again', () => {
      // Prepare
      const ledger = ledgerOf({ maxRejections: 2 });
      ledger.want(['a']);
      const [first] = drain(ledger);
      ledger.settle({ id: first!.id, error: rejected }, T0);
      ledger.advance(T0 + 100);
      const [second] = drain(ledger, T0 + 100);
      ledger.settle({ id: second!.id }, T0 + 100);
      ledger.unwant(['a']);
      const [unsubscribe] = drain(ledger, T0 + 100);
      ledger.settle({ id: unsubscribe!.id }, T0 + 100);
      ledger.want(['a']);
      const [third] = drain(ledger, T0 + 100);

      // Act
      const outcome = ledger.settle({ id: third!.id, error: rejected }, T0 + 100);

      // Assert
      expect(outcome).toMatchObject({ failed: ['a'], refused: [] });
    });

    it('wanting a refused stream again after unwanting it gives it a fresh start', () => {
      // Prepare
      const ledger = ledgerOf({ maxRejections: 1 });
      ledger.want(['a']);
      const [request] = drain(ledger);
      ledger.settle({ id: request!.id, error: rejected }, T0);
      ledger.unwant(['a']);

      // Act
      ledger.want(['a']);
      const retried = drain(ledger, T0 + 1);

      // Assert
      expect(ledger.refused.size).toBe(0);
      expect(retried.map((r) => r.streams)).toEqual([['a']]);
    });

    it('retries a refused UNSUBSCRIBE without a bound, since the server still holds the stream', () => {
      // Prepare
      const ledger = held(['a'], { maxRejections: 1 });
      ledger.unwant(['a']);
      let now = T0;

      // Act
      const methods: string[] = [];
      for (let i = 0; i < 4; i++) {
        const [request] = drain(ledger, now);
        methods.push(request!.method);
        ledger.settle({ id: request!.id, error: rejected }, now);
        now = ledger.nextDeadline()!;
        ledger.advance(now);
      }

      // Assert
      expect(methods).toEqual(['UNSUBSCRIBE', 'UNSUBSCRIBE', 'UNSUBSCRIBE', 'UNSUBSCRIBE']);
      expect(ledger.refused.size).toBe(0);
      expect(ledger.held).toBe(1);
    });

    it('drops the retry of a stream no longer wanted', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a', 'b']);
      const [request] = drain(ledger);
      ledger.settle({ id: request!.id, error: rejected }, T0);
      ledger.unwant(['a']);

      // Act
      const due = ledger.advance(T0 + 100);

      // Assert
      expect(due.requeued).toEqual(['b']);
      expect(drain(ledger, T0 + 100).map((r) => r.streams)).toEqual([['b']]);
    });
  });

  describe('timeouts', () => {
    it('fails a request without a complete reply at its deadline and retries only its unsettled streams', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a', 'b', 'c']);
      const [request] = drain(ledger);
      ledger.settle({ id: null, streams: ['b'] }, T0 + 10);

      // Act
      const before = ledger.advance(T0 + 999);
      const expired = ledger.advance(T0 + 1_000);
      const retryAt = ledger.nextDeadline()!;
      const due = ledger.advance(retryAt);

      // Assert
      expect(ledger.nextDeadline()).toBeUndefined();
      expect(before.timedOut).toEqual([]);
      expect(expired.timedOut).toEqual([request]);
      expect(retryAt).toBe(T0 + 1_100);
      expect(due.requeued).toEqual(['a', 'c']);
      expect(ledger.held).toBe(1);
    });

    it('does not count a timeout towards refusal', () => {
      // Prepare
      const ledger = ledgerOf({ maxRejections: 1, maxRetryMs: 100 });
      ledger.want(['a']);
      let now = T0;

      // Act
      for (let i = 0; i < 3; i++) {
        const [request] = drain(ledger, now);
        ledger.advance(request!.deadline);
        now = ledger.nextDeadline()!;
        ledger.advance(now);
      }

      // Assert
      expect(ledger.refused.size).toBe(0);
      expect(ledger.canSend).toBe(true);
    });

    it('offers the earliest of request deadlines and retry times as its next deadline', () => {
      // Prepare
      const ledger = ledgerOf({ maxStreamsPerRequest: 1 });
      ledger.want(['a', 'b']);
      const first = ledger.takeRequest(T0);
      const second = ledger.takeRequest(T0 + 300);

      // Act
      const beforeFailure = ledger.nextDeadline();
      ledger.settle({ id: second!.id, error: rejected }, T0 + 400);
      const afterFailure = ledger.nextDeadline();

      // Assert
      expect(first!.deadline).toBe(T0 + 1_000);
      expect(beforeFailure).toBe(T0 + 1_000);
      expect(afterFailure).toBe(T0 + 500);
    });
  });

  describe('unwanting and wanting again while requests are in flight', () => {
    it('takes a stream unwanted while its SUBSCRIBE is in flight off the server once it is acknowledged', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a', 'b']);
      const [subscribe] = drain(ledger);
      ledger.unwant(['a']);

      // Act
      const whileInFlight = ledger.isKnown('a');
      ledger.settle({ id: subscribe!.id }, T0);
      const [unsubscribe] = drain(ledger);
      ledger.settle({ id: unsubscribe!.id }, T0);

      // Assert
      expect(whileInFlight).toBe(true);
      expect([unsubscribe!.method, unsubscribe!.streams]).toEqual(['UNSUBSCRIBE', ['a']]);
      expect(ledger.held).toBe(1);
      expect(ledger.isKnown('a')).toBe(false);
      expect(ledger.pendingStreams).toBe(0);
    });

    it('forgets a stream unwanted while its SUBSCRIBE is in flight and then refused', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a']);
      const [subscribe] = drain(ledger);
      ledger.unwant(['a']);

      // Act
      const outcome = ledger.settle({ id: subscribe!.id, error: rejected }, T0);
      ledger.advance(T0 + 10_000);

      // Assert
      expect(outcome.refused).toEqual([]);
      expect(ledger.canSend).toBe(false);
      expect(ledger.isKnown('a')).toBe(false);
    });

    it('sends UNSUBSCRIBE before SUBSCRIBE, and never sends what was wanted and unwanted before it left', () => {
      // Prepare
      const ledger = held(['a', 'b'], { maxStreamsPerRequest: 3 });

      // Act
      ledger.unwant(['a']);
      ledger.want(['x', 'y']);
      ledger.unwant(['y']);
      const requests = drain(ledger);

      // Assert
      expect(requests.map((r) => [r.method, r.streams])).toEqual([
        ['UNSUBSCRIBE', ['a']],
        ['SUBSCRIBE', ['x']],
      ]);
    });

    it('cancels a pending UNSUBSCRIBE when the stream is wanted again before it left', () => {
      // Prepare
      const ledger = held(['a']);
      ledger.unwant(['a']);

      // Act
      ledger.want(['a']);

      // Assert
      expect(ledger.canSend).toBe(false);
      expect(ledger.pendingStreams).toBe(0);
    });

    it('resubscribes a stream wanted again while its UNSUBSCRIBE is in flight, once that is acknowledged', () => {
      // Prepare
      const ledger = held(['a']);
      ledger.unwant(['a']);
      const [unsubscribe] = drain(ledger);
      ledger.want(['a']);

      // Act
      const whileInFlight = ledger.canSend;
      ledger.settle({ id: unsubscribe!.id }, T0);
      const [resubscribe] = drain(ledger);

      // Assert
      expect(whileInFlight).toBe(false);
      expect([resubscribe!.method, resubscribe!.streams]).toEqual(['SUBSCRIBE', ['a']]);
      expect(ledger.pendingStreams).toBe(1);
    });

    it('keeps a stream held when its UNSUBSCRIBE fails and it is wanted again meanwhile', () => {
      // Prepare
      const ledger = held(['a']);
      ledger.unwant(['a']);
      const [unsubscribe] = drain(ledger);
      ledger.want(['a']);

      // Act
      ledger.settle({ id: unsubscribe!.id, error: rejected }, T0);
      ledger.advance(T0 + 10_000);

      // Assert
      expect(ledger.held).toBe(1);
      expect(ledger.pendingStreams).toBe(0);
      expect(ledger.canSend).toBe(false);
    });

    it('knows a stream being unsubscribed until the server acknowledges it', () => {
      // Prepare
      const ledger = held(['a']);
      ledger.unwant(['a']);
      const [unsubscribe] = drain(ledger);

      // Act
      const before = ledger.isKnown('a');
      ledger.settle({ id: unsubscribe!.id }, T0);

      // Assert
      expect(before).toBe(true);
      expect(ledger.isKnown('a')).toBe(false);
      expect(ledger.held).toBe(0);
    });
  });

  describe('reset (a reconnect)', () => {
    it('makes every wanted stream pending again, refused ones included, and voids requests, retries and probes', () => {
      // Prepare
      const ledger = held(['a', 'b', 'c'], { maxRejections: 1 });
      ledger.want(['bad', 'slow', 'late']);
      const [request] = drain(ledger);
      ledger.settle({ id: null, streams: ['bad'], error: rejected }, T0);
      ledger.settle({ id: null, streams: ['late'], error: { code: 1, msg: 'busy' } }, T0);
      const probe = ledger.takeProbe();

      // Act
      ledger.reset();
      const late = ledger.settle({ id: request!.id }, T0 + 10);
      const probeReply = ledger.settle({ id: probe!.id }, T0 + 10);
      const requests = drain(ledger, T0 + 10);

      // Assert
      expect(ledger.refused.size).toBe(0);
      expect(ledger.held).toBe(0);
      expect(late.unmatched).toBe(true);
      expect(probeReply.probe).toBe(false);
      expect(requests.flatMap((r) => r.streams).sort()).toEqual(['a', 'b', 'bad', 'c', 'late', 'slow']);
      expect(ledger.nextDeadline()).toBe(T0 + 10 + 1_000);
    });

    it('forgets UNSUBSCRIBEs of the old socket: the new one never held those streams', () => {
      // Prepare
      const ledger = held(['a', 'b']);
      ledger.unwant(['a']);

      // Act
      ledger.reset();
      const requests = drain(ledger);

      // Assert
      expect(requests.map((r) => [r.method, r.streams])).toEqual([['SUBSCRIBE', ['b']]]);
      expect(ledger.isKnown('a')).toBe(false);
    });
  });

  describe('liveness probes', () => {
    it('offers no probe while the server holds nothing', () => {
      // Prepare
      const ledger = ledgerOf();
      ledger.want(['a']);

      // Act
      const probe = ledger.takeProbe();

      // Assert
      expect(probe).toBeUndefined();
    });

    it('probes a held stream under a fresh id whose reply settles nothing', () => {
      // Prepare
      const ledger = held(['a']);

      // Act
      const probe = ledger.takeProbe();
      const reply = ledger.settle({ id: probe!.id }, T0);
      const again = ledger.settle({ id: probe!.id }, T0);

      // Assert
      expect(probe!.stream).toBe('a');
      expect(ledger.holds('a')).toBe(true);
      expect(reply).toEqual({ probe: true, unmatched: false, acknowledged: [], failed: [], refused: [], completed: [] });
      expect(again.unmatched).toBe(true);
      expect(ledger.held).toBe(1);
    });

    it('remembers only the latest four probe ids', () => {
      // Prepare
      const ledger = held(['a']);
      const probes = Array.from({ length: 5 }, () => ledger.takeProbe()!);

      // Act
      const oldest = ledger.settle({ id: probes[0]!.id }, T0);
      const newest = ledger.settle({ id: probes[4]!.id }, T0);

      // Assert
      expect(oldest.probe).toBe(false);
      expect(newest.probe).toBe(true);
    });
  });

  it('refuses options out of range', () => {
    expect(() => ledgerOf({ maxStreamsPerRequest: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => ledgerOf({ requestTimeoutMs: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => ledgerOf({ maxRejections: 0.5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => ledgerOf({ maxStreams: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});
