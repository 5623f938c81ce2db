import { DependencyCache } from '../../../../services/shared/lifecycle';
import { ChangeMessageVisibilityBatchCommand, type ChangeMessageVisibilityBatchCommandInput } from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import {
  createIngestHandler,
  createVisibilityBackoff,
  DEFAULT_VISIBILITY_BACKOFF,
  queueUrlFromArn,
  receivesWithin,
  visibilityBackoffSeconds,
  type IngestMetrics,
  type SqsRecord,
} from '../../../../lambdas/ingest';
import { createLogger } from '../../../../services/shared/logger';
import { ratesBody, row } from '../../../integration/ingest/fixtures';

const logger = createLogger({ serviceName: 'test', logLevel: 'SILENT' });
const metrics: IngestMetrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined };
const T = Math.floor(Date.now() / 1000) * 1000;
const ARN = 'arn:aws:sqs:eu-west-1:123456789012:history';
const URL_OF_ARN = 'https://sqs.eu-west-1.amazonaws.com/123456789012/history';

function record(id: string, body: string, receiveCount: number): SqsRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(T), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(T) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: ARN,
    awsRegion: 'eu-west-1',
  };
}

/** An SQS client that records ChangeMessageVisibilityBatch calls and accepts every entry. */
function fakeSqs(answer: (input: ChangeMessageVisibilityBatchCommandInput) => Promise<unknown> = async (input) => ({ Successful: input.Entries!.map((e) => ({ Id: e.Id })), Failed: [] })) {
  const calls: ChangeMessageVisibilityBatchCommandInput[] = [];
  const client = {
    send: async (command: unknown) => {
      if (!(command instanceof ChangeMessageVisibilityBatchCommand)) throw new Error('unexpected command');
      calls.push(command.input);
      return answer(command.input);
    },
  };
  return { client: client as never, calls };
}

const unreachable = { connect: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })) } as unknown as Pool;

/** A database that takes connections but refuses every row (a CHECK the schema does not mirror). */
const refusing = {
  connect: async () => ({
    query: async (text: unknown) => {
      if (text === 'BEGIN' || text === 'ROLLBACK') return {};
      throw Object.assign(new Error('new row violates check constraint'), { code: '23514' });
    },
    release: () => undefined,
  }),
} as unknown as Pool;

const entries = (calls: ChangeMessageVisibilityBatchCommandInput[]) =>
  calls.flatMap((c) => c.Entries!.map((e) => ({ queueUrl: c.QueueUrl, receiptHandle: e.ReceiptHandle, visibility: e.VisibilityTimeout })));

describe('visibility backoff policy', () => {
  it('doubles from 30 s per receive and stops at the 1 h cap', () => {
    expect([1, 2, 3, 7, 8, 9, 500].map((n) => visibilityBackoffSeconds(n))).toEqual([30, 60, 120, 1920, 3600, 3600, 3600]);
  });

  it('reads a missing or broken receive count as the first receive', () => {
    expect([0, Number.NaN, -3].map((n) => visibilityBackoffSeconds(n))).toEqual([30, 30, 30]);
  });

  it('never asks for more than SQS allows', () => {
    expect(visibilityBackoffSeconds(60, { baseSeconds: 30, maxSeconds: 100_000 })).toBe(43_200);
  });

  it('counts the receives that fit in a retention: 102 in 4 days with the default policy', () => {
    // Receives 1..8 within 30 s x (2^7 - 1) = 3810 s, then one an hour: 94 more before 345,600 s.
    expect(receivesWithin(4 * 86_400)).toBe(102);
    expect(receivesWithin(4 * 86_400, { baseSeconds: 30, maxSeconds: 43_200 })).toBe(18);
    expect(receivesWithin(100, { baseSeconds: 10, maxSeconds: 1_000 })).toBe(4);
    expect(DEFAULT_VISIBILITY_BACKOFF).toEqual({ baseSeconds: 30, maxSeconds: 3600 });
  });

  it('derives the queue URL from the queue ARN, in the China partition too', () => {
    expect(queueUrlFromArn(ARN)).toBe(URL_OF_ARN);
    expect(queueUrlFromArn('arn:aws-cn:sqs:cn-north-1:123456789012:q')).toBe('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q');
    expect(() => queueUrlFromArn('arn:aws:sns:eu-west-1:123456789012:topic')).toThrow(expect.objectContaining({ code: 'INGEST_QUEUE' }));
  });
});

describe('ingest handler with visibility backoff', () => {
  it('extends the visibility of records a database outage failed, by their receive count', async () => {
    // Prepare
    const sqs = fakeSqs();
    const handler = createIngestHandler({ pool: unreachable, logger, metrics, visibility: createVisibilityBackoff({ client: sqs.client, logger }) });
    const records = [1, 3, 12].map((n) => record(`m${n}`, ratesBody([row(T, `SYM${n}USDT`, '1', T)]), n));

    // Act
    const response = await handler({ Records: records });

    // Assert
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm3', 'm12']);
    expect(entries(sqs.calls)).toEqual([
      { queueUrl: URL_OF_ARN, receiptHandle: 'rh-m1', visibility: 30 },
      { queueUrl: URL_OF_ARN, receiptHandle: 'rh-m3', visibility: 120 },
      { queueUrl: URL_OF_ARN, receiptHandle: 'rh-m12', visibility: 3600 },
    ]);
  });

  it('sends an invalid record on towards the DLQ within seconds, while its batch-mates are deferred', async () => {
    // Prepare
    const sqs = fakeSqs();
    const handler = createIngestHandler({ pool: unreachable, logger, metrics, visibility: createVisibilityBackoff({ client: sqs.client, logger }) });
    const poison = record('poison', '{"v":1,"kind":"rates"', 2);
    const good = record('good', ratesBody([row(T, 'GOODUSDT', '1', T)]), 2);

    // Act
    const response = await handler({ Records: [poison, good] });

    // Assert
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['poison', 'good']);
    expect(entries(sqs.calls)).toEqual([
      { queueUrl: URL_OF_ARN, receiptHandle: 'rh-good', visibility: 60 },
      { queueUrl: URL_OF_ARN, receiptHandle: 'rh-poison', visibility: 2 },
    ]);
  });

  it('makes poison visible again within seconds (invalid, or refused by the database), never with the outage backoff', async () => {
    // Prepare
    const sqs = fakeSqs();
    const visibility = createVisibilityBackoff({ client: sqs.client, logger });
    const invalidOnly = createIngestHandler({ pool: unreachable, logger, metrics, visibility });
    const refused = createIngestHandler({ pool: refusing, logger, metrics, visibility });

    // Act
    const first = await invalidOnly({ Records: [record('bad', 'not json', 1)] });
    const second = await refused({ Records: [record('r1', ratesBody([row(T, 'REFUSEDA', '1', T)]), 1), record('r2', ratesBody([row(T, 'REFUSEDB', '1', T)]), 1)] });

    // Assert
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: 'r1' }, { itemIdentifier: 'r2' }]);
    expect(entries(sqs.calls)).toEqual([
      { queueUrl: URL_OF_ARN, receiptHandle: 'rh-bad', visibility: 2 },
      { queueUrl: URL_OF_ARN, receiptHandle: 'rh-r1', visibility: 2 },
      { queueUrl: URL_OF_ARN, receiptHandle: 'rh-r2', visibility: 2 },
    ]);
  });

  it('defers the records when the database URL cannot be resolved (secret lookup failed)', async () => {
    // Prepare
    const sqs = fakeSqs();
    const handler = createIngestHandler({
      pool: new DependencyCache<Pool>({ create: () => Promise.reject(new Error('Secrets Manager timed out')), close: async () => undefined }),
      logger,
      metrics,
      visibility: createVisibilityBackoff({ client: sqs.client, logger }),
    });

    // Act
    await handler({ Records: [record('s1', ratesBody([row(T, 'SECUSDT', '1', T)]), 4)] });

    // Assert
    expect(entries(sqs.calls)).toEqual([{ queueUrl: URL_OF_ARN, receiptHandle: 'rh-s1', visibility: 240 }]);
  });

  it('sends at most 10 entries per call, to the queue URL given', async () => {
    // Prepare
    const sqs = fakeSqs();
    const handler = createIngestHandler({ pool: unreachable, logger, metrics, visibility: createVisibilityBackoff({ client: sqs.client, logger, queueUrl: () => 'http://local/q' }) });
    const records = Array.from({ length: 23 }, (_, i) => record(`b${i}`, ratesBody([row(T, `B${i}USDT`, '1', T)]), 1));

    // Act
    await handler({ Records: records });

    // Assert
    expect(sqs.calls.map((c) => c.Entries!.length)).toEqual([10, 10, 3]);
    expect(new Set(sqs.calls.map((c) => c.QueueUrl))).toEqual(new Set(['http://local/q']));
  });

  it('still answers with the failed records when SQS refuses or fails the visibility change', async () => {
    // Prepare
    const failing = fakeSqs(() => Promise.reject(new Error('endpoint unreachable')));
    const refusing = fakeSqs(async (input) => ({ Successful: [], Failed: input.Entries!.map((e) => ({ Id: e.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true })) }));
    const records = [record('f1', ratesBody([row(T, 'FAILUSDT', '1', T)]), 1)];

    // Act
    const results = await Promise.all(
      [failing, refusing].map((sqs) => createIngestHandler({ pool: unreachable, logger, metrics, visibility: createVisibilityBackoff({ client: sqs.client, logger }) })({ Records: records })),
    );
    const direct = await createVisibilityBackoff({ client: failing.client, logger }).defer(records);

    // Assert
    for (const result of results) expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'f1' }] });
    expect(direct).toEqual({ deferred: 0, failed: 1 });
  });

  it('uses INGEST_QUEUE_URL over the ARN when set', async () => {
    // Prepare
    const sqs = fakeSqs();
    const previous = process.env.INGEST_QUEUE_URL;
    process.env.INGEST_QUEUE_URL = 'http://sqs.us-east-1.localhost:4566/000000000000/history';
    let visibility;
    try {
      visibility = createVisibilityBackoff({ client: sqs.client, logger });
    } finally {
      if (previous === undefined) delete process.env.INGEST_QUEUE_URL;
      else process.env.INGEST_QUEUE_URL = previous;
    }

    // Act
    const result = await visibility.defer([record('e1', '{}', 2)]);

    // Assert
    expect(result).toEqual({ deferred: 1, failed: 0 });
    expect(sqs.calls.map((c) => c.QueueUrl)).toEqual(['http://sqs.us-east-1.localhost:4566/000000000000/history']);
  });
});
