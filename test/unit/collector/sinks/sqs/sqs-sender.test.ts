import type { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorMetrics } from '../../../../../services/collector/metrics';
import { encodeSpillLine, SpillStore, SqsHistorySender, type SqsSenderOptions } from '../../../../../services/collector/sinks/sqs';

type Reply = { Failed?: Array<{ Id: string; SenderFault: boolean; Code: string }> } | Error;
type Answer = (bodies: string[], call: number) => Reply | Promise<Reply>;

/** An SQS client stand-in: records every request and answers from a script. */
function fakeClient(answer: Answer): { client: SQSClient; sent: string[][] } {
  const sent: string[][] = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const bodies = (command.input.Entries ?? []).map((e) => e.MessageBody!);
      sent.push(bodies);
      const result = await answer(bodies, sent.length);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as SQSClient;
  return { client, sent };
}

/** An SDK service error as @aws-sdk/client-sqs throws it. */
function sdkError(name: string, status: number, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(`${name} (test)`), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

/** A spill whose disk refuses writes (EACCES, a read-only mount) until `heal()`. */
class BrokenSpill extends SpillStore {
  broken = true;
  attempts = 0;
  heal(): void {
    this.broken = false;
  }
  override append(bodies: readonly string[]): boolean {
    this.attempts += 1;
    if (this.broken) throw Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
    return super.append(bodies);
  }
}

const until = async (condition: () => boolean, what = 'condition') => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
};

const FAST = { retryDelayMs: { initial: 5, max: 20 }, refusedDelayMs: { initial: 5, max: 20 }, idleMs: 5 } satisfies Partial<SqsSenderOptions>;

const counter = async (metrics: CollectorMetrics, name: string) => metrics.registry.getSingleMetricAsString(name);

describe('SqsHistorySender', () => {
  let directory: string;
  let metrics: CollectorMetrics;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'mdc-sender-'));
    metrics = new CollectorMetrics({ collectDefaults: false });
  });

  afterEach(() => {
    jest.useRealTimers();
    rmSync(directory, { recursive: true, force: true });
  });

  it('sets aside messages SQS refuses as invalid instead of retrying them for ever, and counts them', async () => {
    // Prepare
    const { client, sent } = fakeClient((bodies) => ({ Failed: bodies.flatMap((b, i) => (b === 'too-big' ? [{ Id: String(i), SenderFault: true, Code: 'InvalidParameterValue' }] : [])) }));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill: new SpillStore(directory, 1_000_000), metrics, ...FAST });
    sender.start();

    // Act
    sender.send(['ok-1', 'too-big', 'ok-2']);
    await until(() => sent.length >= 1);
    await sender.close(500);

    // Assert
    expect(sent).toEqual([['ok-1', 'too-big', 'ok-2']]);
    const counted = await counter(metrics, 'collector_sqs_batches_total');
    expect(counted).toContain('result="rejected"} 1');
    expect(counted).toContain('result="sent"} 2');
  });

  it('replays a spill segment from where a failed attempt stopped, without resending what SQS took', async () => {
    // Prepare: 25 spilled bodies; the second request of the replay fails once.
    const spill = new SpillStore(directory, 1_000_000);
    spill.append(Array.from({ length: 25 }, (_, i) => `body-${i}`));
    const { client, sent } = fakeClient((_, call) => (call === 2 ? new Error('connection reset') : {}));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill, ...FAST });

    // Act
    sender.start();
    await until(() => spill.isEmpty, 'the spill to drain');
    await sender.close(500);

    // Assert: every body reached SQS exactly once (the failed call sent nothing).
    const delivered = sent.filter((_, i) => i !== 1).flat();
    expect(delivered).toEqual(Array.from({ length: 25 }, (_, i) => `body-${i}`));
  });

  it('keeps sending from memory when the spill cannot be written, and sends everything once SQS is back', async () => {
    // Prepare: SQS fails for the first three requests while the spill directory refuses writes.
    const spill = new BrokenSpill(directory, 1_000_000);
    const { client, sent } = fakeClient((_, call) => (call <= 3 ? new Error('connect ECONNREFUSED') : {}));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill, metrics, ...FAST });
    sender.start();

    // Act
    sender.send(['a']);
    await until(() => sent.length >= 2, 'a retry');
    sender.send(['b']);
    await until(() => sent.slice(3).flat().includes('b'), 'b to be sent');
    await sender.close(500);

    // Assert: nothing dropped, both delivered in order, the spill failure counted.
    const delivered = sent.slice(3).flat();
    expect(delivered).toEqual(['a', 'b']);
    expect(spill.attempts).toBeGreaterThan(0);
    expect(await counter(metrics, 'collector_sqs_batches_total')).not.toContain('dropped');
    expect(await counter(metrics, 'collector_errors_total')).toContain('code="EACCES"');
  });

  it('drops (and counts) only what exceeds its memory bound while neither SQS nor the disk takes batches', async () => {
    // Prepare
    const spill = new BrokenSpill(directory, 1_000_000);
    let up = false;
    const { client, sent } = fakeClient(() => (up ? {} : new Error('connect ETIMEDOUT')));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill, metrics, maxQueuedBodies: 3, ...FAST });
    sender.start();
    sender.send(['m1']);
    await until(() => sender.status().state === 'retrying', 'the retrying state');

    // Act
    sender.send(['m2', 'm3', 'm4', 'm5']);
    up = true;
    await until(() => sender.status().queued === 0, 'memory to drain');
    await sender.close(500);

    // Assert
    expect(sent.filter((request) => request.length > 0 && up).flat()).toEqual(expect.arrayContaining(['m1', 'm2', 'm3']));
    expect(sent.flat()).not.toContain('m4');
    expect(await counter(metrics, 'collector_sqs_batches_total')).toContain('result="dropped"} 2');
  });

  it('halves a request SQS finds too long until it fits, and delivers every body once', async () => {
    // Prepare: SQS takes at most 3 entries per request.
    const { client, sent } = fakeClient((bodies) => (bodies.length > 3 ? sdkError('BatchRequestTooLong', 400) : {}));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill: new SpillStore(directory, 1_000_000), metrics, ...FAST });
    sender.start();
    const bodies = Array.from({ length: 10 }, (_, i) => `b${i}`);

    // Act
    sender.send(bodies);
    await until(() => sender.status().queued === 0, 'the queue to drain');
    await sender.close(500);

    // Assert
    const accepted = sent.filter((request) => request.length <= 3).flat();
    expect(accepted).toEqual(bodies);
    expect(await counter(metrics, 'collector_sqs_batches_total')).toContain('result="split"}');
  });

  it('sets aside one spilled message SQS refuses alone, so the batches behind it are sent', async () => {
    // Prepare: a request holding "poison" is refused as a whole with a client error.
    const spill = new SpillStore(directory, 1_000_000);
    spill.append(['s1', 'poison', 's2', 's3']);
    const { client, sent } = fakeClient((bodies) => (bodies.includes('poison') ? sdkError('InvalidParameterValue', 400) : {}));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill, metrics, ...FAST });

    // Act
    sender.start();
    await until(() => spill.isEmpty, 'the spill to drain');
    await sender.close(500);

    // Assert
    const delivered = sent.filter((request) => !request.includes('poison')).flat();
    expect(delivered.sort()).toEqual(['s1', 's2', 's3']);
    expect(await counter(metrics, 'collector_sqs_batches_total')).toContain('result="rejected"} 1');
  });

  it('treats AccessDenied as refused: spills, alarms, probes with a capped backoff, and drains once access is back', async () => {
    // Prepare
    jest.useFakeTimers({ now: 0 });
    const spill = new SpillStore(directory, 1_000_000);
    let denied = true;
    const { client, sent } = fakeClient(() => (denied ? sdkError('AccessDenied', 403) : {}));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill, metrics, refusedDelayMs: { initial: 1_000, max: 8_000 }, random: () => 1 });
    sender.start();

    // Act: two minutes of refusal, with batches arriving.
    sender.send(['r1']);
    await jest.advanceTimersByTimeAsync(10);
    sender.send(['r2']);
    await jest.advanceTimersByTimeAsync(120_000);
    const probesWhileDenied = sent.length;
    const stateWhileDenied = sender.status();
    const gaugeWhileDenied = await counter(metrics, 'collector_sqs_sender_state');
    denied = false;
    await jest.advanceTimersByTimeAsync(10_000);

    // Assert: 1 + probes at 1, 2, 4, then every 8 s: about 16 in 120 s, not hundreds.
    expect(probesWhileDenied).toBeGreaterThanOrEqual(14);
    expect(probesWhileDenied).toBeLessThanOrEqual(18);
    expect(stateWhileDenied).toMatchObject({ state: 'refused', reachable: false, lastErrorCode: 'AccessDenied', queued: 0 });
    expect(await counter(metrics, 'collector_sqs_refused_total')).toContain('code="AccessDenied"');
    expect(gaugeWhileDenied).toContain('state="refused"} 1');
    expect(spill.isEmpty).toBe(true);
    expect(sent.slice(probesWhileDenied).flat()).toEqual(['r1', 'r2']);
    expect(sender.status().state).toBe('sending');
    await sender.close(100);
  });

  it('backs off on throttling and keeps the order of what waits', async () => {
    // Prepare
    const { client, sent } = fakeClient((_, call) => (call <= 2 ? sdkError('ThrottlingException', 400) : {}));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill: new SpillStore(directory, 1_000_000), metrics, ...FAST });
    sender.start();

    // Act
    sender.send(['t1', 't2']);
    await until(() => sent.length >= 1);
    sender.send(['t3']);
    await until(() => sent.slice(2).flat().includes('t3'), 't3 to be sent');
    await sender.close(500);

    // Assert
    expect(sent.slice(2).flat()).toEqual(['t1', 't2', 't3']);
  });

  it('spills entries of a request still in flight at close that come back failed, instead of losing them', async () => {
    // Prepare: the request in flight answers after close began, with one entry failed.
    let release: (() => void) | undefined;
    const { client } = fakeClient(
      (bodies, call) =>
        new Promise<Reply>((resolve) => {
          release = () => resolve(call === 1 ? { Failed: [{ Id: String(bodies.indexOf('late')), SenderFault: false, Code: 'InternalError' }] } : {});
        }),
    );
    const spill = new SpillStore(directory, 1_000_000);
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill, metrics, ...FAST });
    sender.start();
    sender.send(['early', 'late']);
    await until(() => release !== undefined, 'the request');

    // Act
    const closed = sender.close(30);
    await new Promise((resolve) => setTimeout(resolve, 60));
    release!();
    await closed;

    // Assert
    const reopened = new SpillStore(directory, 1_000_000);
    expect(reopened.oldest()?.bodies).toEqual(['late']);
    expect(await counter(metrics, 'collector_sqs_batches_total')).not.toContain('dropped');
  });

  it('never sends a torn spill line, and counts it', async () => {
    // Prepare: a segment whose last line was cut short.
    const spill = new SpillStore(directory, 1_000_000);
    spill.append(['whole']);
    spill.close();
    const torn = encodeSpillLine('{"cut":"short"}');
    appendFileSync(join(directory, readdirSync(directory)[0]!), torn.slice(0, 10));
    const { client, sent } = fakeClient(() => ({}));
    const reopened = new SpillStore(directory, 1_000_000);
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill: reopened, metrics, ...FAST });

    // Act
    sender.start();
    await until(() => reopened.isEmpty, 'the spill to drain');
    await sender.close(100);

    // Assert
    expect(sent.flat()).toEqual(['whole']);
    expect(await counter(metrics, 'collector_sqs_spill_torn_lines_total')).toContain('collector_sqs_spill_torn_lines_total 1');
  });
});
