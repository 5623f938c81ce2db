import { CreateQueueCommand, DeleteQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollectorSqsClient, SpillStore, SQS_MAX_ATTEMPTS, SqsHistorySender } from '../../../../services/collector/sinks/sqs';
import { sqsEndpoint, TcpProxy } from '../../../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
  return Date.now() - started;
}

const REQUEST_TIMEOUT_MS = 1000;
/** Every attempt times out, plus the SDK's retry backoff (well under a second for one retry) and scheduling. */
const FAIL_WITHIN_MS = SQS_MAX_ATTEMPTS * REQUEST_TIMEOUT_MS + 1500;

describe('the collector SQS client through a blackholed endpoint', () => {
  const endpoint = sqsEndpoint();
  const admin = new SQSClient({ region: 'us-east-1', endpoint });
  let queueUrl: string;
  let spillDirectory: string;
  let proxy: TcpProxy;
  let client: SQSClient;

  beforeEach(async () => {
    const created = await admin.send(new CreateQueueCommand({ QueueName: `sqs-blackhole-${Date.now()}-${Math.floor(Math.random() * 1e6)}` }));
    queueUrl = created.QueueUrl!;
    spillDirectory = mkdtempSync(join(tmpdir(), 'mdc-sqs-blackhole-'));
    const target = new URL(endpoint);
    proxy = new TcpProxy(target.hostname, Number(target.port || 4566));
    const port = await proxy.start();
    client = createCollectorSqsClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  });

  afterEach(async () => {
    client.destroy();
    await proxy.stop();
    await admin.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    rmSync(spillDirectory, { recursive: true, force: true });
  });

  const batch = () => new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: '{"probe":true}' }] });

  it('fails a SendMessageBatch within the request timeout, on a kept-alive connection and on new ones', async () => {
    // Prepare: one call through the healthy proxy leaves a kept-alive socket to be stuck.
    await client.send(batch());
    proxy.blackhole();
    const started = Date.now();

    // Act
    const outcome = await client.send(batch()).then(
      () => 'sent',
      (error: unknown) => error,
    );
    const failedInMs = Date.now() - started;

    // Assert
    expect(outcome).toMatchObject({ name: 'TimeoutError' });
    expect(failedInMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(failedInMs).toBeLessThan(FAIL_WITHIN_MS);
  });

  it('makes the history sender spill within seconds, and send again once the endpoint heals', async () => {
    // Prepare
    const spill = new SpillStore(spillDirectory, 10 * 1024 * 1024);
    const sender = new SqsHistorySender({ client, queueUrl, spill });
    sender.start();
    proxy.blackhole();

    // Act
    sender.send(['{"during":"blackhole"}']);
    const spilledInMs = await waitFor(() => !sender.status().reachable && spill.bytes > 0, FAIL_WITHIN_MS + 2000, 'the sender to spill');
    proxy.heal();
    const drainedInMs = await waitFor(() => sender.status().reachable && spill.bytes === 0, 15_000, 'the spill to drain after the heal');
    await sender.close(2000);

    // Assert
    expect(spilledInMs).toBeLessThan(FAIL_WITHIN_MS);
    expect(drainedInMs).toBeLessThan(15_000);
  }, 30_000);
});
