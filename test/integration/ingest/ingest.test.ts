import { DeleteQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Client, type Pool } from 'pg';
import {
  createIngestHandler,
  createIngestPool,
  createSqsClient,
  createVisibilityBackoff,
  ensureQueues,
  mergeMessages,
  SqsEventSourceRunner,
  type EnsuredQueues,
  type IngestHandler,
  type IngestMetrics,
  type SqsEvent,
  type SqsRecord,
} from '../../../lambdas/ingest';
import { DependencyCache } from '../../../services/shared/lifecycle';
import type { HistoryMessage, RateRow } from '../../../services/shared/history';
import { createLogger } from '../../../services/shared/logger';
import { createTestDatabase, sqsEndpoint, TcpProxy, type TestDatabase } from '../../support';
import { ratesBody, row, statusBody } from './fixtures';
import { createIngestSchema } from './schema';

const logger = createLogger({ serviceName: 'ingest-test', logLevel: process.env.LOG_LEVEL ?? 'SILENT' });
const T = Math.floor(Date.now() / 1000) * 1000;

/** Records what the handler reports, to check the metrics without parsing EMF output. */
class RecordingMetrics implements IngestMetrics {
  readonly values: Record<string, number[]> = {};
  addMetric(name: string, _unit: unknown, value: number): void {
    (this.values[name] ??= []).push(value);
  }
  publishStoredMetrics(): void {}
  last(name: string): number | undefined {
    return this.values[name]?.at(-1);
  }
}

let recordSeq = 0;
function record(body: string, messageId = `m-${(recordSeq += 1)}`): SqsRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(T), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(T) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
    awsRegion: 'us-east-1',
  };
}
const event = (...records: SqsRecord[]): SqsEvent => ({ Records: records });

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('ingest handler and local runner (PostgreSQL, SQS endpoint)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let pool: Pool;
  let admin: Client;
  let metrics: RecordingMetrics;
  let handler: IngestHandler;

  beforeAll(async () => {
    db = await createTestDatabase('mdc_ingest');
    await createIngestSchema(db.url);
    const target = new URL(db.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    // The handler reaches PostgreSQL only through the proxy, so a test can take the database "down".
    pool = createIngestPool({ connectionString: Object.assign(new URL(db.url), { port: String(proxy.port) }).toString(), connectionTimeoutMillis: 1_000, logger });
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    metrics = new RecordingMetrics();
    handler = createIngestHandler({ pool, logger, metrics });
  });

  afterAll(async () => {
    await pool?.end();
    await admin?.end();
    await proxy?.stop();
    await db?.drop();
  });

  const rows = async (symbol: string) =>
    (
      await admin.query<{ price: string; evaluated_at_ms: string; time_ms: string; flags: string[]; change_1m: number | null; change_5m: number | null }>(
        `SELECT price::text, (extract(epoch FROM evaluated_at) * 1000)::bigint AS evaluated_at_ms, (extract(epoch FROM time) * 1000)::bigint AS time_ms,
                flags, change_1m, change_5m
         FROM price_change_rates WHERE symbol = $1 ORDER BY time`,
        [symbol],
      )
    ).rows;

  it('stores exact values, and a duplicate delivery (within a batch and again later) gives one row', async () => {
    const body = ratesBody([[T + 123, 'DUPUSDT', '43000.12345678', 0.125, null, -3.5, ['backfilled', 'gap'], T + 900]]);
    await expect(handler(event(record(body), record(body)))).resolves.toEqual({ batchItemFailures: [] });
    expect(metrics.last('RowsInserted')).toBe(1);
    expect(metrics.last('RowsUnchanged')).toBe(1);
    await expect(handler(event(record(body)))).resolves.toEqual({ batchItemFailures: [] });
    expect(metrics.last('RowsInserted')).toBe(0);
    expect(await rows('DUPUSDT')).toEqual([
      { price: '43000.12345678', evaluated_at_ms: String(T + 900), time_ms: String(T + 123), flags: ['backfilled', 'gap'], change_1m: 0.125, change_5m: null },
    ]);
  });

  it('creates a missing day partition on demand (mdc_ensure_history_partitions) and stores the row, instead of failing it', async () => {
    // Prepare: the partitions made ahead have run out (maintenance fell behind): every
    // partition after today's is gone.
    const day = 24 * 3600 * 1000;
    const tomorrow = Date.now() + day;
    const ahead = new Set<string>();
    for (let i = 1; i <= 10; i++) {
      const probe = await admin
        .query<{ partition: string }>(
          `INSERT INTO price_change_rates (time, exchange, symbol, price, flags, evaluated_at) VALUES (to_timestamp($1 / 1000.0), 'binance', 'PROBEUSDT', 1, '{}', now()) RETURNING tableoid::regclass::text AS partition`,
          [Date.now() + i * day],
        )
        .catch(() => undefined);
      if (probe) ahead.add(probe.rows[0]!.partition);
    }
    await admin.query(`DELETE FROM price_change_rates WHERE symbol = 'PROBEUSDT'`);
    for (const partition of ahead) await admin.query(`DROP TABLE ${partition}`);

    // Act
    const result = await handler(event(record(ratesBody([[tomorrow, 'PARTUSDT', '1.5', null, null, null, [], tomorrow]]))));

    // Assert
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await rows('PARTUSDT')).toHaveLength(1);
  });

  it('asks its owner to rebuild the pool when the database refuses the credentials (rotated secret)', async () => {
    // Prepare: a pool whose password is wrong, as after a rotation.
    const stale = createIngestPool({ connectionString: Object.assign(new URL(db.url), { password: 'rotated-away' }).toString(), logger });
    let rebuilds = 0;
    const withStalePool = createIngestHandler({ pool: stale, logger, metrics, onCredentialError: () => (rebuilds += 1) });

    // Act
    const result = await withStalePool(event(record(ratesBody([row(T + 5, 'AUTHUSDT', '1', T + 5)]))));
    await stale.end();

    // Assert
    expect(result.batchItemFailures).toHaveLength(1);
    expect(rebuilds).toBe(1);
  });

  it('stores the redelivered batch with a rebuilt pool after the database refused the owner\'s credentials', async () => {
    // Prepare: the first pool holds a rotated-away password; the owner's next build reads the right one.
    const urls = [Object.assign(new URL(db.url), { password: 'rotated-away' }).toString(), db.url];
    let closes = 0;
    const pools = new DependencyCache<Pool>({
      create: async () => createIngestPool({ connectionString: urls.shift()!, logger }),
      close: async (pool) => {
        closes += 1;
        await pool.end();
      },
    });
    const owned = createIngestHandler({ pool: pools, logger, metrics });
    const batch = event(record(ratesBody([row(T + 6, 'ROTUSDT', '1', T + 6)])));

    // Act
    const refused = await owned(batch);
    const redelivered = await owned(batch);
    await pools.close();

    // Assert
    expect(refused.batchItemFailures).toHaveLength(1);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(await rows('ROTUSDT')).toHaveLength(1);
    expect(closes).toBe(2);
  });

  it('a newer evaluatedAt for the same row replaces it, an older one does not', async () => {
    await handler(event(record(ratesBody([row(T, 'NEWUSDT', '1.0', T + 100)]))));
    await handler(event(record(ratesBody([row(T, 'NEWUSDT', '2.0', T + 500)]))));
    expect(metrics.last('RowsInserted')).toBe(1);
    await handler(event(record(ratesBody([row(T, 'NEWUSDT', '3.0', T + 300)]))));
    expect(metrics.last('RowsInserted')).toBe(0);
    expect(await rows('NEWUSDT')).toEqual([expect.objectContaining({ price: '2.0', evaluated_at_ms: String(T + 500) })]);
  });

  it('on equal evaluated_at stores the same row whichever batch arrives first, the row the in-batch merge keeps', async () => {
    // Prepare: pairs of states of one row evaluated at the same instant, differing in
    // gap, in the other flags, in price, and in a change that is NULL on one side.
    const at = T + 700;
    const pairs: Array<[RateRow, RateRow]> = [
      [
        [T, 'X', '100', 0.5, null, -1, ['gap'], at],
        [T, 'X', '100.5', 0.7, null, -1, [], at],
      ],
      [
        [T, 'X', '100', 0.5, null, -1, ['stale'], at],
        [T, 'X', '100', 0.5, null, -1, ['anomaly'], at],
      ],
      [
        [T, 'X', '100.10', 0.5, null, -1, [], at],
        [T, 'X', '100.9', 0.5, null, -1, [], at],
      ],
      [
        [T, 'X', '100', null, 2, -1, ['backfilled'], at],
        [T, 'X', '100', -0.25, 2, -1, ['backfilled'], at],
      ],
    ];
    const stored = async (symbol: string) =>
      (await admin.query(`SELECT price::text, flags, change_1m, change_5m, change_15m FROM price_change_rates WHERE symbol = $1`, [symbol])).rows;

    for (const [k, [a, b]] of pairs.entries()) {
      const [forward, backward] = [`TIE${k}F`, `TIE${k}B`];
      const as = (symbol: string, r: RateRow): RateRow => {
        const copy: RateRow = [...r];
        copy[1] = symbol;
        return copy;
      };

      // Act: one order per symbol, each row in a batch of its own.
      for (const r of [a, b]) await expect(handler(event(record(ratesBody([as(forward, r)]))))).resolves.toEqual({ batchItemFailures: [] });
      for (const r of [b, a]) await expect(handler(event(record(ratesBody([as(backward, r)]))))).resolves.toEqual({ batchItemFailures: [] });

      // Assert: both orders stored the same row, and it is the one the batch merge keeps.
      const kept = mergeMessages([JSON.parse(ratesBody([a])) as HistoryMessage, JSON.parse(ratesBody([b])) as HistoryMessage]).rates[0]!;
      const expected = [{ price: kept.price, flags: kept.flags, change_1m: kept.change1m, change_5m: kept.change5m, change_15m: kept.change15m }];
      expect(await stored(forward)).toEqual(expected);
      expect(await stored(backward)).toEqual(expected);
    }
    expect((await stored('TIE0F'))[0]).toMatchObject({ flags: [] });
  });

  it('upserts status snapshots; an older snapshot does not replace a newer one', async () => {
    const conn = (state: string, reconnects: number) => ({ connectionId: 'ws-1', state, streams: 200, lastMessageAt: T - 5, reconnects, errors: 0 });
    await handler(event(record(statusBody(T + 2_000, [conn('open', 3)])), record(statusBody(T + 1_000, [conn('connecting', 2)]))));
    expect(metrics.last('StatusSnapshots')).toBe(2);
    await handler(event(record(statusBody(T, [conn('closed', 1)]))));
    const { rows: status } = await admin.query(
      `SELECT state, streams, reconnects, (extract(epoch FROM updated_at) * 1000)::bigint AS at, (extract(epoch FROM last_message_at) * 1000)::bigint AS last
       FROM collection_status WHERE collector_id = 'c1' AND connection_id = 'ws-1'`,
    );
    expect(status).toEqual([{ state: 'open', streams: 200, reconnects: 3, at: String(T + 2_000), last: String(T - 5) }]);
  });

  it('reports exactly the invalid records and stores the rest of the batch', async () => {
    const bad = [record('not json'), record(ratesBody([row(T, 'lower', '1', T)]))];
    const good = record(ratesBody([row(T, 'GOODUSDT', '5', T)]));
    const response = await handler(event(bad[0]!, good, bad[1]!));
    expect(response.batchItemFailures).toEqual(bad.map((r) => ({ itemIdentifier: r.messageId })));
    expect(metrics.last('RecordsFailed')).toBe(2);
    expect(await rows('GOODUSDT')).toHaveLength(1);
  });

  it('a record the database refuses fails alone; its batch-mates are stored', async () => {
    // Stands for a constraint the message schema does not mirror (e.g. no partition for a row's day).
    await admin.query(`ALTER TABLE price_change_rates ADD CONSTRAINT test_refuse CHECK (symbol <> 'REFUSED')`);
    try {
      const refused = record(ratesBody([row(T, 'REFUSED', '1', T)]));
      const mates = [record(ratesBody([row(T, 'MATEAUSDT', '1', T)])), record(statusBody(T, [{ connectionId: 'ws-9', state: 'open', streams: 1, lastMessageAt: null, reconnects: 0, errors: 0 }]))];
      const response = await handler(event(mates[0]!, refused, mates[1]!));
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: refused.messageId }]);
      expect(await rows('MATEAUSDT')).toHaveLength(1);
      expect((await admin.query(`SELECT 1 FROM collection_status WHERE connection_id = 'ws-9'`)).rowCount).toBe(1);
    } finally {
      await admin.query('ALTER TABLE price_change_rates DROP CONSTRAINT test_refuse');
    }
  });

  describe('through the SQS endpoint with the local runner', () => {
    let sqs: SQSClient;
    const created: EnsuredQueues[] = [];
    const runners: SqsEventSourceRunner[] = [];
    const seen: SqsEvent[] = [];

    beforeAll(() => {
      sqs = createSqsClient({ endpoint: sqsEndpoint(), region: 'us-east-1' });
    });
    afterEach(async () => {
      await Promise.all(runners.splice(0).map((r) => r.stop()));
    });
    afterAll(async () => {
      for (const q of created) {
        for (const url of [q.queueUrl, q.dlqUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      }
      sqs.destroy();
    });

    async function queues(maxReceiveCount: number): Promise<EnsuredQueues> {
      const name = `ingest-test-${process.pid}-${Date.now()}-${created.length}`;
      const options = { endpoint: sqsEndpoint(), region: 'us-east-1', queueName: name, dlqName: `${name}-dlq`, maxReceiveCount, visibilityTimeoutSeconds: 30, client: sqs };
      const q = await ensureQueues(options);
      // Idempotent: a second call returns the same queues.
      expect(await ensureQueues(options)).toEqual(q);
      created.push(q);
      return q;
    }

    async function send(queueUrl: string, bodies: string[]): Promise<void> {
      for (let i = 0; i < bodies.length; i += 10) {
        const output = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })) }));
        expect(output.Failed ?? []).toEqual([]);
      }
    }

    async function run(queueUrl: string, visibilityTimeoutSeconds: number, through: IngestHandler = handler): Promise<SqsEventSourceRunner> {
      const runner = new SqsEventSourceRunner({
        client: sqs,
        queueUrl,
        logger,
        handler: (e) => {
          seen.push(e);
          return through(e);
        },
        batchSize: 10,
        batchingWindowMs: 300,
        visibilityTimeoutSeconds,
        concurrency: 2,
        waitTimeSeconds: 1,
      });
      await runner.start();
      runners.push(runner);
      return runner;
    }

    const count = async (prefix: string) => Number((await admin.query(`SELECT count(*) AS n FROM price_change_rates WHERE symbol LIKE $1`, [`${prefix}%`])).rows[0].n);

    it('moves a poison message to the DLQ after maxReceiveCount while its batch-mates are stored once', async () => {
      const q = await queues(2);
      const good = Array.from({ length: 6 }, (_, i) => ratesBody([row(T, `POIS${i}USDT`, '1', T), row(T + 1000, `POIS${i}USDT`, '1', T + 1000)]));
      // The first body twice: a duplicate delivery must still give one row.
      await send(q.queueUrl, ['{"v":1,"kind":"rates"', ...good, good[0]!]);
      await run(q.queueUrl, 1);
      await waitFor('batch-mates stored', async () => ((await count('POIS')) === 12 ? true : undefined), 10_000);
      const dead = await waitFor(
        'the poison message in the DLQ',
        async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.dlqUrl, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }))).Messages?.[0],
        15_000,
      );
      expect(dead.Body).toBe('{"v":1,"kind":"rates"');
      expect(await count('POIS')).toBe(12);
      const poisonDeliveries = seen.flatMap((e) => e.Records).filter((r) => r.body === dead.Body);
      expect(poisonDeliveries.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
      expect(poisonDeliveries[0]).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: q.queueArn, awsRegion: 'us-east-1' });
    }, 40_000);

    it('with visibility backoff, a database outage longer than maxReceiveCount x the visibility timeout sends nothing to the DLQ', async () => {
      // Prepare: maxReceiveCount 2 and a 2 s visibility timeout: without backoff the
      // third receive, 4 s into the outage, would move every record to the DLQ.
      const q = await queues(2);
      const received = new Map<string, number[]>();
      const backoff = createVisibilityBackoff({ client: sqs, logger, queueUrl: () => q.queueUrl, policy: { baseSeconds: 8, maxSeconds: 8 } });
      const withBackoff = createIngestHandler({ pool, logger, metrics, visibility: backoff });
      const bodies = Array.from({ length: 12 }, (_, i) => ratesBody(Array.from({ length: 20 }, (_, s) => row(T + i * 1000, `BACK${s}USDT`, '3', T + i * 1000 + 1))));
      await proxy.stop();
      try {
        await send(q.queueUrl, bodies);
        await run(q.queueUrl, 2, async (e) => {
          for (const r of e.Records) received.set(r.messageId, [...(received.get(r.messageId) ?? []), Date.now()]);
          return withBackoff(e);
        });

        // Act: the database stays away for 6 s, three visibility timeouts.
        await waitFor('every record received once', async () => (received.size === bodies.length ? true : undefined), 3_000);
        await new Promise((resolve) => setTimeout(resolve, 6_000));
        expect(await count('BACK')).toBe(0);
      } finally {
        await proxy.start();
      }

      // Assert
      await waitFor('every row after the database returned', async () => ((await count('BACK')) === 12 * 20 ? true : undefined), 15_000);
      const dlq = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.dlqUrl, WaitTimeSeconds: 1 }));
      expect(dlq.Messages ?? []).toEqual([]);
      for (const [messageId, times] of received) {
        expect([messageId, times.length]).toEqual([messageId, 2]);
        expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(7_000);
      }
    }, 40_000);

    it('loses nothing while PostgreSQL is unreachable for 15 s: records are redelivered and stored', async () => {
      const q = await queues(30);
      const bodies = Array.from({ length: 25 }, (_, i) => ratesBody(Array.from({ length: 40 }, (_, s) => row(T + i * 1000, `DOWN${s}USDT`, '2', T + i * 1000 + 1))));
      await proxy.stop();
      try {
        await send(q.queueUrl, bodies);
        const runner = await run(q.queueUrl, 2);
        await new Promise((resolve) => setTimeout(resolve, 15_000));
        expect(await count('DOWN')).toBe(0);
        expect(runner.stats.failedRecords).toBeGreaterThanOrEqual(25);
      } finally {
        await proxy.start();
      }
      await waitFor('every row after the database returned', async () => ((await count('DOWN')) === 25 * 40 ? true : undefined), 15_000);
      const dlq = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.dlqUrl, WaitTimeSeconds: 0 }));
      expect(dlq.Messages ?? []).toEqual([]);
    }, 50_000);
  });
});
