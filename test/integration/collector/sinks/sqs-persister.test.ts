import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryPersister } from '../../../../services/collector/sinks/sqs';
import { CollectorMetrics } from '../../../../services/collector/metrics';
import { historyMessageSchema, type RateRow } from '../../../../services/shared/history';
import { sqsEndpoint, TcpProxy } from '../../../support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('HistoryPersister against the SQS endpoint', () => {
  const endpoint = sqsEndpoint();
  const admin = new SQSClient({ region: 'us-east-1', endpoint });
  let queueUrl: string;
  let spillDirectory: string;

  beforeEach(async () => {
    const created = await admin.send(new CreateQueueCommand({ QueueName: `persister-${Date.now()}-${Math.floor(Math.random() * 1e6)}` }));
    queueUrl = created.QueueUrl!;
    spillDirectory = mkdtempSync(join(tmpdir(), 'mdc-persister-'));
  });

  afterEach(async () => {
    await admin.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    rmSync(spillDirectory, { recursive: true, force: true });
  });

  async function drainQueue(): Promise<{ rows: RateRow[]; statuses: number }> {
    const rows: RateRow[] = [];
    let statuses = 0;
    for (let empty = 0; empty < 2; ) {
      const received = await admin.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (!received.Messages?.length) {
        empty += 1;
        continue;
      }
      for (const message of received.Messages) {
        const parsed = historyMessageSchema.parse(JSON.parse(message.Body!));
        if (parsed.kind === 'rates') rows.push(...parsed.rows);
        else statuses += 1;
      }
    }
    return { rows, statuses };
  }

  function persister(url: string, now: () => number, metrics?: CollectorMetrics): HistoryPersister {
    return new HistoryPersister({
      exchange: 'binance',
      collectorId: 'itest',
      queueUrl,
      region: 'us-east-1',
      endpoint: url,
      intervalMs: 1000,
      settleMs: 0,
      maxMessageBytes: 256 * 1024,
      spillDirectory,
      spillMaxBytes: 10 * 1024 * 1024,
      now,
      connections: () => [{ connectionId: 's1.1', state: 'open', streams: 2, lastMessageAt: 1, reconnects: 0, errors: 0 }],
      statusIntervalMs: 60_000,
      metrics,
    });
  }

  it('sends one row per symbol per second, and the rest of the last interval on close', async () => {
    // Prepare
    const subject = persister(endpoint, () => Date.now());
    subject.start();
    const started = Date.now();

    // Act: two symbols update for about 2.5 s.
    while (Date.now() - started < 2500) {
      for (const symbol of ['BTCUSDT', 'ETHUSDT']) subject.record({ symbol, priceText: '1.5', ts: Date.now(), tradeTs: Date.now(), change1m: 0.1, flags: [] });
      await sleep(50);
    }
    await subject.close(3000);
    const { rows, statuses } = await drainQueue();

    // Assert: consecutive seconds, each exactly once per symbol.
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      const times = rows.filter((r) => r[1] === symbol).map((r) => r[0]).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    }
    expect(statuses).toBeGreaterThanOrEqual(1);
  });

  it('spills to disk while SQS is unreachable and drains when it returns, losing nothing', async () => {
    // Prepare: the persister reaches SQS through a proxy the test takes down.
    const target = new URL(endpoint);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 4566));
    const port = await proxy.start();
    const metrics = new CollectorMetrics({ collectDefaults: false });
    const subject = persister(`http://127.0.0.1:${port}`, () => Date.now(), metrics);
    subject.start();
    const record = () => subject.record({ symbol: 'BTCUSDT', priceText: '2', ts: Date.now(), tradeTs: Date.now(), flags: [] });

    // Act: 1 s up, 3 s down, 2 s up again.
    const first = Date.now();
    for (let i = 0; i < 20; i++, await sleep(50)) record();
    await proxy.stop();
    for (let i = 0; i < 60; i++, await sleep(50)) record();
    const spilledWhileDown = subject.status().spillBytes as number;
    await proxy.start(port);
    for (let i = 0; i < 40; i++, await sleep(50)) record();
    await sleep(2500);
    await subject.close(3000);
    await proxy.stop();
    const last = Date.now();
    const { rows } = await drainQueue();

    // Assert: every second from the first to the last, exactly once.
    expect(spilledWhileDown).toBeGreaterThan(0);
    const times = [...new Set(rows.map((r) => r[0]))].sort((a, b) => a - b);
    expect(rows.length).toBe(times.length);
    expect(times[0]).toBe(Math.floor(first / 1000) * 1000);
    expect(times[times.length - 1]).toBeGreaterThanOrEqual(Math.floor(last / 1000) * 1000 - 2000);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    expect(await metrics.registry.getSingleMetricAsString('collector_sqs_batches_total')).toMatch(/result="spilled"/);
  }, 30_000);
});
