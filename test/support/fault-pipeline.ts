import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import Redis from 'ioredis';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createIngestHandler, createIngestPool, createSqsClient, ensureQueues, SqsEventSourceRunner, type EnsuredQueues, type IngestMetrics } from '../../lambdas/ingest';
import { runMigrations } from '../../services/shared/db';
import { createLogger } from '../../services/shared/logger';
import { startSimulator, type SimulatorHandle } from '../../services/simulator';
import { TcpProxy } from './tcp-proxy';
import { CollectorProcess, FauxqsProcess, RedisServerProcess } from './pipeline-processes';
import { createTestDatabase, type TestDatabase } from './services';

export interface QueueSettings {
  /** The queue's VisibilityTimeout: a failed record reappears after it. */
  visibilityTimeoutSeconds: number;
  /** Receives before the queue's RedrivePolicy moves a record to the DLQ. */
  maxReceiveCount: number;
  /** Records per handler call and the batching window, like the event source mapping. */
  batchSize: number;
  batchingWindowMs: number;
}

export interface PipelineOptions {
  symbols: number;
  /** Aggregate trades a second across all symbols. */
  rate: number;
  seed: number;
  queue: QueueSettings;
  /** Where the child processes' logs and the spill directories go. */
  workDir: string;
  region: string;
}

const noMetrics: IngestMetrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined };

/**
 * The whole local pipeline with a handle on every place a fault is injected:
 * the simulator in this process (its trade record is the truth the rows are
 * checked against), a Redis and an SQS endpoint of their own as child
 * processes, each behind a TcpProxy (down, or blackholed), PostgreSQL behind one on the
 * ingest side, the ingest runner in this process, and the collector as a
 * child process. The harness itself watches Redis, SQS and PostgreSQL directly,
 * never through the proxies, so its measurements do not share the faults.
 */
export class FaultPipeline {
  sim!: SimulatorHandle;
  redis!: RedisServerProcess;
  redisProxy!: TcpProxy;
  fauxqs!: FauxqsProcess;
  sqsProxy!: TcpProxy;
  pgProxy!: TcpProxy;
  db!: TestDatabase;
  queues!: EnsuredQueues;
  /** Direct clients for the harness's own observations. */
  monitorRedis!: Redis;
  monitorDb!: Pool;
  monitorSqs!: SQSClient;
  readonly spillRoot: string;
  readonly collectors: CollectorProcess[] = [];
  private runner: SqsEventSourceRunner | undefined;
  private ingestPool: Pool | undefined;
  private ingestSqs: SQSClient | undefined;
  private readonly closers: Array<() => Promise<void>> = [];

  constructor(readonly options: PipelineOptions) {
    this.spillRoot = join(options.workDir, 'spill');
  }

  get collector(): CollectorProcess {
    const current = this.collectors[this.collectors.length - 1];
    if (!current) throw new Error('no collector started');
    return current;
  }

  get symbols(): string[] {
    return this.sim.market.symbols;
  }

  /** Starts everything but the collector; on failure stops what already runs. */
  async start(): Promise<void> {
    mkdirSync(this.spillRoot, { recursive: true });
    try {
      await this.startStores();
      await this.startIngest();
      this.sim = await startSimulator({ port: 0, symbols: this.options.symbols, rate: this.options.rate, seed: this.options.seed, retentionMinutes: 120, logLevel: 'ERROR' });
      this.closers.push(() => this.sim.stop());
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** A new collector process: a new task, with an id of its own as ECS gives each task. */
  async spawnCollector(id: string): Promise<CollectorProcess> {
    const collector = await CollectorProcess.spawn(id, this.collectorEnv(), this.options.workDir);
    this.collectors.push(collector);
    return collector;
  }

  /** Messages still in the history queue, visible or in flight. */
  async queueDepth(queueUrl = this.queues.queueUrl): Promise<number> {
    const { Attributes } = await this.monitorSqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /** Stops everything this pipeline started, newest first; one failure does not keep the rest running. */
  async stop(): Promise<void> {
    for (const collector of this.collectors) await collector.stop('SIGKILL').catch((error: unknown) => console.error('[faults] stopping a collector failed', error));
    while (this.closers.length > 0) {
      const close = this.closers.pop()!;
      await close().catch((error: unknown) => console.error('[faults] cleanup step failed', error));
    }
  }

  private async startStores(): Promise<void> {
    this.db = await createTestDatabase('mdc_faults');
    this.closers.push(() => this.db.drop());
    await runMigrations({ databaseUrl: this.db.url });
    this.monitorDb = new Pool({ connectionString: this.db.url, max: 2 });
    this.closers.push(() => this.monitorDb.end());
    const dbUrl = new URL(this.db.url);
    this.pgProxy = new TcpProxy(dbUrl.hostname, Number(dbUrl.port || 5432));
    await this.pgProxy.start();
    this.closers.push(() => this.pgProxy.stop());

    this.redis = await RedisServerProcess.start(this.options.workDir);
    this.closers.push(() => this.redis.stop());
    this.redisProxy = new TcpProxy('127.0.0.1', this.redis.port);
    await this.redisProxy.start();
    this.closers.push(() => this.redisProxy.stop());
    this.monitorRedis = new Redis({ host: '127.0.0.1', port: this.redis.port, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 200, lazyConnect: true });
    this.monitorRedis.on('error', () => undefined); // the restart fault takes it down on purpose; polls report it
    await this.monitorRedis.connect();
    this.closers.push(async () => this.monitorRedis.disconnect());

    this.fauxqs = await FauxqsProcess.start(this.options.workDir);
    this.closers.push(() => this.fauxqs.stop());
    this.sqsProxy = new TcpProxy('127.0.0.1', this.fauxqs.port);
    await this.sqsProxy.start();
    this.closers.push(() => this.sqsProxy.stop());
    this.monitorSqs = createSqsClient({ endpoint: this.fauxqs.endpoint, region: this.options.region });
    this.closers.push(async () => this.monitorSqs.destroy());
  }

  /**
   * The ingest side reaches SQS through the same proxy as the collector (an
   * endpoint outage hits both) and PostgreSQL through its own proxy.
   */
  private async startIngest(): Promise<void> {
    const { queue, region } = this.options;
    const name = `faults-${Date.now()}`;
    this.queues = await ensureQueues({ client: this.monitorSqs, queueName: name, dlqName: `${name}-dlq`, maxReceiveCount: queue.maxReceiveCount, visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds });
    const ingestDbUrl = Object.assign(new URL(this.db.url), { hostname: '127.0.0.1', port: String(this.pgProxy.port) }).toString();
    this.ingestPool = createIngestPool({ connectionString: ingestDbUrl, max: 3, connectionTimeoutMillis: 5000 });
    this.closers.push(() => this.ingestPool!.end());
    this.ingestSqs = createSqsClient({ endpoint: `http://127.0.0.1:${this.sqsProxy.port}`, region });
    this.closers.push(async () => this.ingestSqs!.destroy());
    const logger = createLogger({ serviceName: 'ingest-faults', logLevel: 'SILENT' });
    this.runner = new SqsEventSourceRunner({
      client: this.ingestSqs,
      queueUrl: this.queues.queueUrl,
      handler: createIngestHandler({ pool: this.ingestPool, logger, metrics: noMetrics }),
      logger,
      batchSize: queue.batchSize,
      batchingWindowMs: queue.batchingWindowMs,
      concurrency: 2,
      waitTimeSeconds: 1,
    });
    await this.runner.start();
    this.closers.push(() => this.runner!.stop());
  }

  private collectorEnv(): Record<string, string> {
    return {
      BINANCE_WS_URL: this.sim.wsUrl,
      BINANCE_REST_URL: this.sim.restUrl,
      REDIS_URL: `redis://127.0.0.1:${this.redisProxy.port}/0`,
      SYMBOLS: 'ALL',
      // Into the collector's log file, not the terminal: what it saw during a fault is the first thing to read.
      LOG_LEVEL: 'WARN',
      SQS_QUEUE_URL: this.queues.queueUrl,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${this.sqsProxy.port}`,
      AWS_REGION: this.options.region,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      SPILL_DIR: this.spillRoot,
      // The smallest the collector accepts: a killed task's spill is adopted within the run.
      SPILL_ORPHAN_AFTER_MS: '30000',
    };
  }
}
