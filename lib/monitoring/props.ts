import type { aws_ecs as ecs, aws_elasticache as elasticache, aws_lambda as lambda, aws_rds as rds, aws_sqs as sqs } from 'aws-cdk-lib';

/** CloudWatch namespace the collector's Prometheus metrics are exported to (ADOT sidecar, awsemf exporter). */
export const COLLECTOR_METRICS_NAMESPACE = 'MarketDataCollector';

/** What the monitoring construct watches; the application stack passes its resources. */
export interface MonitoringProps {
  /** Prefix of dashboard and alarm names, e.g. the stage (`prod`). */
  stageName: string;
  cluster: ecs.ICluster;
  /** One Fargate service per shard; each must keep its desired count running. */
  collectorServices: ecs.FargateService[];
  queue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  ingestFunction: lambda.IFunction;
  database: rds.IDatabaseInstance;
  /** The ElastiCache replication group (its id names the CloudWatch dimension). */
  redis: elasticache.CfnReplicationGroup;
  /** Alarm notifications go to an SNS topic; this address is subscribed when given. */
  alarmEmail?: string;
  /** Free storage below this many bytes raises the RDS storage alarm. Default 10 GiB. */
  databaseFreeStorageThresholdBytes?: number;
}
