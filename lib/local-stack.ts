import { CfnOutput, Duration, Stack, type StackProps, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AppConfig } from './config';
import { HistoryQueue } from './constructs/history-queue';
import { NodeFunction } from './constructs/node-function';
import { INGEST_TIMEOUT } from './market-data-stack';
import { INGEST_METRICS_NAMESPACE } from './monitoring';

/** The stack `-c target=localstack` produces (`cdklocal deploy -c target=localstack`). */
export const LOCAL_STACK_NAME = 'MarketData-local';

/**
 * The compose file's PostgreSQL (localstack/docker-compose.yml, service `postgres`) as
 * Lambda containers reach it: LocalStack starts them on the compose network `mdc-local`
 * (LAMBDA_DOCKER_NETWORK), where the service name resolves. Plain TCP, no TLS.
 */
export const LOCAL_DATABASE_URL = 'postgres://mdc:mdc@postgres:5432/mdc';

export interface LocalMarketDataStackProps extends StackProps {
  config: AppConfig;
  /** Database URL passed to the ingest function. Default LOCAL_DATABASE_URL. */
  databaseUrl?: string;
}

/**
 * The parts of the pipeline LocalStack's free tier runs: the history queue with its
 * DLQ and the ingest function with its SQS event source, configured as in
 * MarketDataStack. No VPC, ECS, RDS or ElastiCache: the function writes to the compose
 * file's PostgreSQL, and the collector runs on the host (docs/localstack.md).
 *
 * The config API (lib/constructs/config-api.ts) is left out on purpose. LocalStack's
 * community image runs API Gateway REST and Lambda but does not enforce AWS_IAM (IAM
 * enforcement is a Pro feature) and passes `requestContext.identity.userArn` as null,
 * so the handler, which answers only the configured reader / admin role sessions,
 * would refuse every request; making it work would take an authentication bypass that
 * must never be deployable. The compose file does not run EventBridge either (its
 * SERVICES list has no `events`), so the reconciliation schedule could not deploy.
 * Locally the API runs in the local gateway (`lambdas/api/local.ts`: the same handler,
 * routes matched with the same route table, the reconciliation on a timer).
 */
export class LocalMarketDataStack extends Stack {
  readonly history: HistoryQueue;
  readonly ingest: NodeFunction;
  readonly ingestEventSource: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: LocalMarketDataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const maxBatchingWindow = Duration.seconds(config.ingestMaxBatchingWindowSeconds);

    this.history = new HistoryQueue(this, 'History', { consumerTimeout: INGEST_TIMEOUT, maxBatchingWindow });

    this.ingest = new NodeFunction(this, 'Ingest', {
      entry: 'lambdas/ingest/index.ts',
      handler: 'handler',
      description: 'History batches from SQS into the compose PostgreSQL (LocalStack)',
      serviceName: 'ingest',
      metricsNamespace: INGEST_METRICS_NAMESPACE,
      logRetention,
      timeout: INGEST_TIMEOUT,
      memorySize: 512,
      environment: {
        // resolveDatabaseUrl() uses DATABASE_URL as is: no Secrets Manager, no TLS.
        DATABASE_URL: props.databaseUrl ?? LOCAL_DATABASE_URL,
        // The visibility backoff's queue, as LocalStack names it: its URLs need not have the AWS form the ARN gives.
        INGEST_QUEUE_URL: this.history.queue.queueUrl,
      },
    });
    this.ingestEventSource = this.history.addConsumer(this, 'IngestEventSource', this.ingest.function, {
      batchSize: config.ingestBatchSize,
      maxConcurrency: config.ingestMaxConcurrency,
    });

    new CfnOutput(this, 'QueueUrl', { value: this.history.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.history.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'IngestFunctionName', { value: this.ingest.function.functionName });
    new CfnOutput(this, 'IngestLogGroupName', { value: this.ingest.logGroup.logGroupName });
  }
}
