import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { createIngestHandler, createIngestPool, createSqsClient, ensureQueues, SqsEventSourceRunner } from '../../lambdas/ingest';

export interface TestIngest {
  queueUrl: string;
  /** Stops polling, closes the pool, deletes the queue and its DLQ. */
  stop(): Promise<void>;
}

/**
 * The history path's consumer for end-to-end tests: a queue and DLQ of their own
 * on the SQS endpoint, and the ingest handler behind the local event-source
 * runner writing to `databaseUrl`.
 */
export async function startTestIngest(options: { endpoint: string; region: string; databaseUrl: string; name: string }): Promise<TestIngest> {
  const { endpoint, region } = options;
  const queues = await ensureQueues({ endpoint, region, queueName: options.name, dlqName: `${options.name}-dlq`, maxReceiveCount: 5, visibilityTimeoutSeconds: 5 });
  const pool = createIngestPool({ connectionString: options.databaseUrl });
  const logger = new Logger({ serviceName: 'ingest-e2e', logLevel: 'ERROR' });
  const runner = new SqsEventSourceRunner({
    client: createSqsClient({ endpoint, region }),
    queueUrl: queues.queueUrl,
    handler: createIngestHandler({ pool, logger, metrics: new Metrics({ namespace: 'e2e', serviceName: 'ingest' }) }),
    logger,
    batchSize: 10,
    waitTimeSeconds: 1,
  });
  await runner.start();
  return {
    queueUrl: queues.queueUrl,
    async stop() {
      await runner.stop();
      await pool.end();
      const client = createSqsClient({ endpoint, region });
      for (const url of [queues.queueUrl, queues.dlqUrl]) await client.send(new DeleteQueueCommand({ QueueUrl: url }));
      client.destroy();
    },
  };
}
