import type { ExchangeId } from '../exchanges';
import type { aws_apigateway as apigw, aws_aps as aps, aws_ecs as ecs, aws_elasticache as elasticache, aws_elasticloadbalancingv2 as elbv2, aws_events as events, aws_lambda as lambda, aws_rds as rds, aws_sqs as sqs } from 'aws-cdk-lib';

/** CloudWatch namespace the collector's Prometheus metrics are exported to (ADOT sidecar, awsemf exporter). */
export const COLLECTOR_METRICS_NAMESPACE = 'MarketDataCollector';

/** The config API's parts the monitoring watches (lib/constructs/config-api.ts). */
export interface ApiMonitoringProps {
  /** The API Gateway stage: its metrics carry the dimensions ApiName and Stage. */
  stage: apigw.Stage;
  /** The function behind every method, also run by the reconciliation schedule. */
  function: lambda.IFunction;
  /** The EventBridge rule (default event bus) that runs the reconciliation every minute. */
  reconcileRule: events.IRule;
}

/** The stream gateway's parts the monitoring watches (lib/constructs/gateway.ts). */
export interface GatewayMonitoringProps {
  service: ecs.FargateService;
  /** The service's explicit name: the ServiceName dimension of its metrics. */
  serviceName: string;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroup: elbv2.ApplicationTargetGroup;
  /** The autoscaling ceiling: connections near what this many tasks carry raise an alarm. */
  maxTasks: number;
}

/** One collector service: an exchange's shard (lib/constructs/collector.ts `CollectorShard`). */
export interface CollectorMonitoringProps {
  exchange: ExchangeId;
  shard: number;
  /** Shards of this exchange. */
  shardCount: number;
  service: ecs.FargateService;
}

/** What the monitoring construct watches; the application stack passes its resources. */
export interface MonitoringProps {
  /** Prefix of dashboard and alarm names, e.g. the stage (`prod`). */
  stageName: string;
  cluster: ecs.ICluster;
  /**
   * One Fargate service per exchange and shard; each must keep its desired count
   * running and keep receiving exchange messages. Alarms and dashboard rows are
   * per exchange, in the order given.
   */
  collectors: CollectorMonitoringProps[];
  queue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  ingestFunction: lambda.IFunction;
  database: rds.IDatabaseInstance;
  /** The ElastiCache replication group (its id names the CloudWatch dimension). */
  redis: elasticache.CfnReplicationGroup;
  /** Alarm notifications go to an SNS topic; this address is subscribed when given. */
  alarmEmail?: string;
  /** The config API: alarms and dashboard rows for it when given. */
  api?: ApiMonitoringProps;
  /** The stream gateway: alarms and dashboard rows for it when given. */
  gateway?: GatewayMonitoringProps;
  /**
   * The Prometheus workspace whose alerting rules evaluate the collector's own
   * metrics; its alert manager is pointed at the alarm topic when given.
   */
  prometheusWorkspace?: aps.CfnWorkspace;
  /** Free storage below this many bytes raises the RDS storage alarm. Default 10 GiB. */
  databaseFreeStorageThresholdBytes?: number;
}
