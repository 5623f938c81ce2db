import type { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorMetrics } from '../../../../../services/collector/metrics';
import { SpillStore, SqsHistorySender } from '../../../../../services/collector/sinks/sqs';

type Answer = (bodies: string[]) => { Failed?: Array<{ Id: string; SenderFault: boolean; Code: string }> } | Error;

/** An SQS client stand-in: records every body sent and answers from a script. */
function fakeClient(answer: Answer): { client: SQSClient; sent: string[][] } {
  const sent: string[][] = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const bodies = (command.input.Entries ?? []).map((e) => e.MessageBody!);
      sent.push(bodies);
      const result = answer(bodies);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as SQSClient;
  return { client, sent };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('SqsHistorySender', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'mdc-sender-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('drops messages SQS refuses as invalid instead of retrying them for ever, and counts them', async () => {
    // Prepare
    const metrics = new CollectorMetrics({ collectDefaults: false });
    const { client, sent } = fakeClient((bodies) => ({ Failed: bodies.flatMap((b, i) => (b === 'too-big' ? [{ Id: String(i), SenderFault: true, Code: 'InvalidParameterValue' }] : [])) }));
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill: new SpillStore(directory, 1_000_000), metrics });
    sender.start();

    // Act
    sender.send(['ok-1', 'too-big', 'ok-2']);
    await until(() => sent.length >= 1);
    await sender.close(500);

    // Assert
    expect(sent).toEqual([['ok-1', 'too-big', 'ok-2']]);
    const counted = await metrics.registry.getSingleMetricAsString('collector_sqs_batches_total');
    expect(counted).toContain('result="dropped"} 1');
    expect(counted).toContain('result="sent"} 2');
  });

  it('replays a spill segment from where a failed attempt stopped, without resending what SQS took', async () => {
    // Prepare: 25 spilled bodies; the second batch of the replay fails once.
    const spill = new SpillStore(directory, 1_000_000);
    spill.append(Array.from({ length: 25 }, (_, i) => `body-${i}`));
    let calls = 0;
    const { client, sent } = fakeClient(() => {
      calls += 1;
      return calls === 2 ? new Error('connection reset') : {};
    });
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill });

    // Act
    sender.start();
    await until(() => spill.isEmpty);
    await sender.close(500);

    // Assert: every body reached SQS exactly once (the failed call sent nothing).
    const delivered = sent.filter((_, i) => i !== 1).flat();
    expect(delivered).toEqual(Array.from({ length: 25 }, (_, i) => `body-${i}`));
    expect(spill.isEmpty).toBe(true);
  });
});
