import {
  type ConnectionErrorCode,
  type RequestBody,
  SubscriptionLedger,
  SubscriptionSender,
  type SubscriptionLedgerOptions,
  systemScheduler,
} from '../../../../services/collector/connection';
import { testProtocol } from './fakes';

interface Sent {
  method: string;
  params: string[];
  id: number;
}

function setup(ledgerOptions: Partial<SubscriptionLedgerOptions> = {}) {
  const ledger = new SubscriptionLedger({ maxStreams: 100, maxStreamsPerRequest: 2, maxOutstandingRequests: 2, requestTimeoutMs: 1_000, requestRetryMs: 100, maxRejections: 2, ...ledgerOptions });
  const queued: RequestBody[] = [];
  const events = { errors: [] as ConnectionErrorCode[], settled: 0, refused: [] as string[][], latencies: [] as number[] };
  const link = { open: true, room: true };
  const sender = new SubscriptionSender(ledger, testProtocol(), systemScheduler, {
    enqueue: (body) => {
      if (!link.room) return false;
      queued.push(body);
      return true;
    },
    canTransmit: () => link.open,
    countError: (code) => void events.errors.push(code),
    onSettled: () => void (events.settled += 1),
    onRefused: (streams) => void events.refused.push(streams),
    observeSubscribeLatency: (seconds) => void events.latencies.push(seconds),
  });
  /** Plays the pacer handing out every queued slot, including the ones queued while doing so. */
  const transmit = (): Sent[] => {
    const sent: Sent[] = [];
    while (queued.length > 0) {
      const body = queued.shift() as RequestBody;
      const text = typeof body === 'string' ? body : body();
      if (text !== undefined) sent.push(JSON.parse(text) as Sent);
    }
    return sent;
  };
  return { ledger, sender, queued, events, link, transmit };
}

describe('SubscriptionSender', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('keeps one slot in the pacer and builds it when sent, merging later changes into it', () => {
    // Prepare
    const { ledger, sender, queued, transmit } = setup();
    ledger.want(['a']);

    // Act
    sender.pump();
    sender.pump();
    const slots = queued.length;
    ledger.want(['b', 'c']);
    const sent = transmit();

    // Assert
    expect(slots).toBe(1);
    expect(sent).toEqual([
      { method: 'SUBSCRIBE', params: ['a', 'b'], id: 1 },
      { method: 'SUBSCRIBE', params: ['c'], id: 2 },
    ]);
  });

  it('sends nothing while there is no open socket, and retries the slot when the pacer had no room', () => {
    // Prepare
    const { ledger, sender, queued, link, transmit } = setup();
    ledger.want(['a']);
    link.open = false;
    sender.pump();
    const whileClosed = queued.length;
    link.open = true;
    link.room = false;
    sender.pump();

    // Act
    link.room = true;
    sender.pump();

    // Assert
    expect(whileClosed).toBe(0);
    expect(transmit().map((r) => r.params)).toEqual([['a']]);
  });

  it('reports settlement and subscribe latency of an acknowledged request', () => {
    // Prepare
    const { ledger, sender, events, transmit } = setup();
    ledger.want(['a']);
    sender.pump();
    const [request] = transmit();
    jest.advanceTimersByTime(40);

    // Act
    sender.onReply({ id: request!.id });

    // Assert
    expect(events).toEqual({ errors: [], settled: 1, refused: [], latencies: [0.04] });
  });

  it('counts an error reply, retries it after the delay, and reports a stream refused maxRejections times', () => {
    // Prepare
    const { ledger, sender, events, transmit } = setup();
    ledger.want(['bad']);
    sender.pump();
    const [first] = transmit();

    // Act
    sender.onReply({ id: first!.id, error: { code: -1, msg: 'no' } });
    jest.advanceTimersByTime(100);
    const [second] = transmit();
    sender.onReply({ id: null, streams: ['bad'], error: { code: -1, msg: 'no' } });
    jest.advanceTimersByTime(60_000);

    // Assert
    expect(second!.params).toEqual(['bad']);
    expect(events.errors).toEqual(['SUBSCRIBE_REJECTED', 'SUBSCRIBE_REJECTED', 'SUBSCRIBE_REFUSED']);
    expect(events.refused).toEqual([['bad']]);
    expect(transmit()).toEqual([]);
  });

  it('times out an unanswered request and sends it again after the retry delay', () => {
    // Prepare
    const { ledger, sender, events, transmit } = setup();
    ledger.want(['a']);
    sender.pump();
    transmit();

    // Act
    jest.advanceTimersByTime(1_000);
    const atTimeout = transmit();
    jest.advanceTimersByTime(100);
    const retried = transmit();

    // Assert
    expect(events.errors).toEqual(['SUBSCRIBE_TIMEOUT']);
    expect(atTimeout).toEqual([]);
    expect(retried.map((r) => r.params)).toEqual([['a']]);
  });

  it('ignores an unmatched success and a probe reply: nothing is reported settled', () => {
    // Prepare
    const { ledger, sender, events, transmit } = setup();
    ledger.want(['a']);
    sender.pump();
    const [request] = transmit();
    sender.onReply({ id: request!.id });
    const probed = sender.probe();
    const [probe] = transmit();

    // Act
    sender.onReply({ id: request!.id });
    sender.onReply({ id: probe!.id });

    // Assert
    expect(probed).toBe(true);
    expect(probe).toEqual({ method: 'SUBSCRIBE', params: ['a'], id: expect.any(Number) });
    expect(events.settled).toBe(1);
  });

  it('probes nothing while the server holds no stream', () => {
    // Prepare
    const { sender, queued } = setup();

    // Act
    const probed = sender.probe();

    // Assert
    expect(probed).toBe(false);
    expect(queued).toEqual([]);
  });

  it('voids slots queued before a reset and starts over with every wanted stream pending', () => {
    // Prepare
    const { ledger, sender, queued, transmit } = setup();
    ledger.want(['a']);
    sender.pump();
    const stale = queued.splice(0);

    // Act
    sender.reset();
    const staleText = stale.map((body) => (typeof body === 'string' ? body : body()));
    sender.pump();
    const sent = transmit();

    // Assert
    expect(staleText).toEqual([undefined]);
    expect(sent.map((r) => r.params)).toEqual([['a']]);
    expect(ledger.pendingStreams).toBe(1);
  });
});
