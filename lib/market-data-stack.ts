import { CfnOutput, Duration, Stack, type StackProps, Validations, aws_ec2 as ec2, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { collectorDeployments, type AppConfig } from './config';
import { Collector } from './constructs/collector';
import { ConfigApi } from './constructs/config-api';
import { Gateway } from './constructs/gateway';
import { Database } from './constructs/database';
import { HistoryQueue } from './constructs/history-queue';
import { Migrations } from './constructs/migrations';
import { Network } from './constructs/network';
import { NodeFunction } from './constructs/node-function';
import { Redis } from './constructs/redis';
import { API_METRICS_NAMESPACE, COLLECTOR_METRICS_NAMESPACE, GATEWAY_METRICS_NAMESPACE, INGEST_METRICS_NAMESPACE, Monitoring } from './monitoring';

export interface MarketDataStackProps extends StackProps {
  config: AppConfig;
}

/** Ingest function timeout; the queue's visibility timeout is six times this. */
export const INGEST_TIMEOUT = Duration.seconds(30);

/**
 * The whole pipeline in one environment-agnostic stack (no account/region, no
 * lookups): network, Redis, PostgreSQL with RDS Proxy and migrations, the history
 * queue, the ingest function, the collector services, the config API, the
 * stream gateway behind its load balancer, and monitoring.
 */
export class MarketDataStack extends Stack {
  readonly network: Network;
  readonly redis: Redis;
  readonly database: Database;
  readonly history: HistoryQueue;
  readonly ingest: NodeFunction;
  readonly ingestSecurityGroup: ec2.SecurityGroup;
  readonly ingestEventSource: lambda.EventSourceMapping;
  readonly migrations: Migrations;
  readonly collector: Collector;
  readonly configApi: ConfigApi;
  readonly gateway: Gateway;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MarketDataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.network = new Network(this, 'Network', { logRetention });
    const { vpc } = this.network;

    this.redis = new Redis(this, 'Redis', { vpc, subnets: this.network.dataSubnets, nodeType: config.redisNodeType, stageName: config.stageName });

    this.database = new Database(this, 'Database', {
      vpc,
      subnets: this.network.dataSubnets,
      instanceClass: config.dbInstanceClass,
      allocatedStorageGiB: config.dbAllocatedStorageGiB,
      maxAllocatedStorageGiB: config.dbMaxAllocatedStorageGiB,
      logRetention,
      secretsManagerEndpoint: this.network.secretsManagerEndpoint,
    });

    const maxBatchingWindow = Duration.seconds(config.ingestMaxBatchingWindowSeconds);
    this.history = new HistoryQueue(this, 'History', { consumerTimeout: INGEST_TIMEOUT, maxBatchingWindow });

    // Ingest: SQS -> RDS Proxy -> PostgreSQL. Isolated subnets: it reaches only the
    // proxy and Secrets Manager (endpoint); SQS polling is done by the Lambda service.
    this.ingestSecurityGroup = new ec2.SecurityGroup(this, 'IngestSecurityGroup', {
      vpc,
      description: 'ingest function: RDS Proxy and Secrets Manager through its endpoint',
    });
    this.ingest = new NodeFunction(this, 'Ingest', {
      entry: 'lambdas/ingest/index.ts',
      handler: 'handler',
      description: 'History batches from SQS into PostgreSQL through RDS Proxy',
      serviceName: 'ingest',
      metricsNamespace: INGEST_METRICS_NAMESPACE,
      logRetention,
      timeout: INGEST_TIMEOUT,
      memorySize: 512,
      vpc,
      vpcSubnets: this.network.dataSubnets,
      securityGroups: [this.ingestSecurityGroup],
      environment: {
        // Its own login (mdc_ingest), never the master user.
        DB_SECRET_ARN: this.database.ingestSecret.secretArn,
        DB_HOST: this.database.proxy.endpoint,
        DB_SSLMODE: 'verify-full',
      },
    });
    this.database.ingestSecret.grantRead(this.ingest.function);
    this.database.allowProxyFrom(this.ingestSecurityGroup, 'ingest function');
    this.ingestEventSource = this.history.addConsumer(this, 'IngestEventSource', this.ingest.function, {
      batchSize: config.ingestBatchSize,
      maxConcurrency: config.ingestMaxConcurrency,
    });

    this.migrations = new Migrations(this, 'Migrations', {
      vpc,
      subnets: this.network.dataSubnets,
      database: this.database,
      logRetention,
      metricsNamespace: INGEST_METRICS_NAMESPACE,
    });
    // Rows wait in the queue until the schema exists.
    this.ingestEventSource.node.addDependency(this.migrations.resource);
    // The first rotation of a function login (at creation) needs the login migrate provisions.
    for (const schedule of this.database.functionSecretRotationSchedules) schedule.node.addDependency(this.migrations.resource);

    this.collector = new Collector(this, 'Collector', {
      vpc,
      subnets: this.network.appSubnets,
      stageName: config.stageName,
      deployments: collectorDeployments(config),
      tasksPerShard: config.tasksPerShard,
      cpu: config.collectorCpu,
      memoryMiB: config.collectorMemoryMiB,
      symbols: config.symbols,
      redisUrl: this.redis.url,
      redisAuthToken: this.redis.authToken,
      queue: this.history.queue,
      logRetention,
      adotImage: config.adotImage,
      metricsNamespace: COLLECTOR_METRICS_NAMESPACE,
    });
    this.redis.allowFrom(this.collector.securityGroup, 'collector tasks');
    // The collector reads its configuration from Redis: start it once Redis exists.
    for (const service of this.collector.services) service.node.addDependency(this.redis.replicationGroup);

    // Config API: API Gateway (AWS_IAM) -> function in the isolated subnets -> RDS Proxy + Redis.
    this.configApi = new ConfigApi(this, 'ConfigApi', {
      vpc,
      subnets: this.network.dataSubnets,
      database: this.database,
      redis: this.redis,
      secretsManagerEndpoint: this.network.secretsManagerEndpoint,
      stageName: config.stageName,
      logRetention,
      metricsNamespace: API_METRICS_NAMESPACE,
      reservedConcurrency: config.apiReservedConcurrency,
    });
    // The reconciliation reads the config tables: schedule it once they exist.
    this.configApi.reconcileRule.node.addDependency(this.migrations.resource);

    // Stream gateway: internet -> ALB -> gateway tasks (app subnets) -> Redis. Same
    // cluster as the collectors; its metrics go to the collectors' workspace.
    this.gateway = new Gateway(this, 'Gateway', {
      vpc,
      publicSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      taskSubnets: this.network.appSubnets,
      cluster: this.collector.cluster,
      stageName: config.stageName,
      redisUrl: this.redis.url,
      redisAuthToken: this.redis.authToken,
      logRetention,
      metricsNamespace: GATEWAY_METRICS_NAMESPACE,
      ...(config.gatewayCertificateArn ? { certificateArn: config.gatewayCertificateArn } : {}),
      ...(config.gatewayHttpOnlyReason ? { httpOnlyReason: config.gatewayHttpOnlyReason } : {}),
      ...(config.gatewayWafRateLimit !== undefined ? { wafRateLimit: config.gatewayWafRateLimit } : {}),
      minTasks: config.gatewayMinTasks,
      maxTasks: config.gatewayMaxTasks,
      metrics: { adotImage: config.adotImage, workspace: this.collector.workspace },
    });
    // Tasks to Redis only (besides AWS APIs on 443): the task group allows no other egress.
    this.redis.allowFrom(this.gateway.securityGroup, 'stream gateway tasks');
    // The gateway subscribes to Redis at start: start it once Redis exists.
    this.gateway.service.node.addDependency(this.redis.replicationGroup);
    // The config API signs stream tokens with the key the gateways verify (AWSCURRENT, cached a few minutes).
    this.gateway.tokenSigningKey.grantRead(this.configApi.function.function);
    this.configApi.function.function.addEnvironment('GATEWAY_TOKEN_SECRET_ARN', this.gateway.tokenSigningKey.secretArn);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stageName: config.stageName,
      cluster: this.collector.cluster,
      collectors: this.collector.shards,
      queue: this.history.queue,
      deadLetterQueue: this.history.deadLetterQueue,
      ingestFunction: this.ingest.function,
      database: this.database.instance,
      redis: this.redis.replicationGroup,
      api: { stage: this.configApi.stage, function: this.configApi.function.function, reconcileRule: this.configApi.reconcileRule },
      gateway: {
        service: this.gateway.service,
        serviceName: this.gateway.serviceName,
        loadBalancer: this.gateway.loadBalancer,
        targetGroup: this.gateway.targetGroup,
        maxTasks: config.gatewayMaxTasks,
      },
      alarmEmail: config.alarmEmail,
      prometheusWorkspace: this.collector.workspace,
    });

    // The CDK's log-retention function (RDS log exports' retention) is a stack singleton.
    const logRetentionFunction = this.node.tryFindChild('LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a');
    if (logRetentionFunction) {
      Validations.of(logRetentionFunction).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'aws-cdk-lib\'s LogRetention function (sets the retention of the RDS log export group) writes its own logs with the basic execution policy.',
      });
      Validations.of(logRetentionFunction).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'aws-cdk-lib\'s LogRetention function calls logs:PutRetentionPolicy/DeleteRetentionPolicy on a log group RDS names at creation time, so its policy cannot name the group in advance.',
      });
    }

    new CfnOutput(this, 'QueueUrl', { value: this.history.queue.queueUrl });
    new CfnOutput(this, 'RedisEndpoint', { value: this.redis.replicationGroup.attrPrimaryEndPointAddress });
    new CfnOutput(this, 'DatabaseProxyEndpoint', { value: this.database.proxy.endpoint });
    new CfnOutput(this, 'DatabaseSecretArn', { value: this.database.secretArn });
    new CfnOutput(this, 'PrometheusEndpoint', { value: this.collector.workspace.attrPrometheusEndpoint });
    new CfnOutput(this, 'ClusterName', { value: this.collector.cluster.clusterName });
    new CfnOutput(this, 'ConfigApiUrl', { value: this.configApi.url, description: 'Config API stage URL; routes are below v1/ (SigV4-signed, service execute-api)' });
    new CfnOutput(this, 'ConfigApiReaderRoleArn', { value: this.configApi.readerRole.roleArn, description: 'Assume to call the read routes of the config API (every GET, and POST /v1/stream-tokens)' });
    new CfnOutput(this, 'GatewayLoadBalancerDnsName', { value: this.gateway.loadBalancer.loadBalancerDnsName, description: 'DNS name of the stream gateway load balancer; point the domain of gatewayCertificateArn at it (CNAME or alias)' });
    new CfnOutput(this, 'GatewayUrl', { value: this.gateway.url, description: 'The live page; streams at /v1/stream (WebSocket) and /v1/stream/sse, tokens from POST /v1/stream-tokens' });
    new CfnOutput(this, 'GatewayTokenSecretArn', { value: this.gateway.tokenSigningKey.secretArn, description: 'Stream token signing key (rotated every 30 days); the config API and the gateways read it' });
    new CfnOutput(this, 'ConfigApiAdminRoleArn', { value: this.configApi.adminRole.roleArn, description: 'Assume to call every route of the config API' });
  }
}
