/**
 * `npm run ingest -- --queue-url URL [--batch-size 10 --batching-window-ms 1000
 * --visibility-timeout 60 --concurrency 2]`: the ingest Lambda on this machine.
 * Polls the queue like the Lambda event source mapping and calls the same
 * handler, writing to DATABASE_URL. The endpoint is AWS_ENDPOINT_URL (fauxqs or
 * LocalStack) when set, else real SQS in AWS_REGION.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { parseArgs } from 'node:util';
import { errorMessage } from '../../services/shared/errors';
import { createLogger } from '../../services/shared/logger';
import { exitGracefullyOnSignals, runMain } from '../../services/shared/process';
import { IngestRunnerError } from './errors';
import { loadIngestConfig } from './config';
import { createIngestHandler } from './handler';
import { createIngestPools } from './pool';
import { createSqsClient } from './queues';
import { SqsEventSourceRunner } from './runner';
import { createVisibilityBackoff } from './visibility';

export { ensureQueues } from './queues';
export type { EnsureQueuesOptions, EnsuredQueues } from './queues';

const USAGE = `usage: npm run ingest -- --queue-url URL [--batch-size 10] [--batching-window-ms 1000] [--visibility-timeout 60] [--concurrency 2]
  environment: DATABASE_URL (or DB_SECRET_ARN), AWS_ENDPOINT_URL (local SQS endpoint), AWS_REGION, SQS_QUEUE_URL (instead of --queue-url)`;

export interface LocalRunnerArgs {
  queueUrl: string;
  batchSize: number;
  batchingWindowMs: number;
  visibilityTimeoutSeconds: number | undefined;
  concurrency: number;
}

function integer(name: string, value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new IngestRunnerError(`--${name} must be a non-negative integer, got ${value}`);
  return parsed;
}

export function parseRunnerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): LocalRunnerArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      'queue-url': { type: 'string' },
      'batch-size': { type: 'string' },
      'batching-window-ms': { type: 'string' },
      'visibility-timeout': { type: 'string' },
      concurrency: { type: 'string' },
    },
    strict: true,
  });
  const queueUrl = values['queue-url'] ?? env.SQS_QUEUE_URL;
  if (!queueUrl) throw new IngestRunnerError('--queue-url (or SQS_QUEUE_URL) is required');
  return {
    queueUrl,
    batchSize: integer('batch-size', values['batch-size'], 10)!,
    batchingWindowMs: integer('batching-window-ms', values['batching-window-ms'], 1_000)!,
    visibilityTimeoutSeconds: integer('visibility-timeout', values['visibility-timeout'], undefined),
    concurrency: integer('concurrency', values.concurrency, 2)!,
  };
}

async function main(): Promise<void> {
  let args: LocalRunnerArgs;
  try {
    args = parseRunnerArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${errorMessage(error)}\n${USAGE}`);
    process.exit(2);
  }
  // EMF lines only mean something to CloudWatch; locally they are noise unless asked for.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const logger = createLogger({ serviceName: 'ingest-runner' });
  const config = loadIngestConfig();
  // The Lambda's pool owner, so a password changed under a running runner is picked up like after a rotation.
  const pools = createIngestPools(config, logger, args.concurrency + 1);
  // Fail at start, not on the first batch, when the database URL cannot be resolved.
  await pools.get();
  const metrics = new Metrics({ namespace: 'MarketDataCollector', serviceName: 'ingest' });
  const client = createSqsClient();
  const runner = new SqsEventSourceRunner({
    client,
    queueUrl: args.queueUrl,
    // The runner knows the queue by the URL the endpoint returned (fauxqs looks queues up by it).
    handler: createIngestHandler({ pool: pools, logger, metrics, visibility: createVisibilityBackoff({ client, logger, queueUrl: () => args.queueUrl }) }),
    logger,
    batchSize: args.batchSize,
    batchingWindowMs: args.batchingWindowMs,
    visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
    concurrency: args.concurrency,
  });
  await runner.start();
  exitGracefullyOnSignals({
    logger,
    message: 'stopping ingest runner after the batches in flight',
    stop: async () => {
      await runner.stop();
      await pools.close();
      client.destroy();
      logger.info('ingest runner stopped', { ...runner.stats });
    },
  });
}

if (require.main === module) runMain(main);
