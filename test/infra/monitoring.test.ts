import {
  App,
  Duration,
  Stack,
  aws_apigateway as apigw,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticache as elasticache,
  aws_events as events,
  aws_events_targets as eventsTargets,
  aws_lambda as lambda,
  aws_rds as rds,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  API_METRICS_NAMESPACE,
  COLLECTOR_EMF_METRIC_DECLARATIONS,
  COLLECTOR_METRICS_NAMESPACE,
  DEFAULT_DATABASE_FREE_STORAGE_THRESHOLD_BYTES,
  INGEST_METRICS_NAMESPACE,
  Monitoring,
  type CollectorMonitoringProps,
  type MonitoringProps,
} from '../../lib/monitoring';
import type { ExchangeId } from '../../lib/exchanges';

interface Built {
  stack: Stack;
  monitoring: Monitoring;
  template: Template;
  resources: { queue: sqs.Queue; dlq: sqs.Queue; fn: lambda.Function; db: rds.DatabaseInstance; redis: elasticache.CfnReplicationGroup; services: ecs.FargateService[]; collectors: CollectorMonitoringProps[]; cluster: ecs.Cluster };
  api?: { restApi: apigw.RestApi; fn: lambda.Function; rule: events.Rule };
}

function build(overrides: Partial<MonitoringProps> = {}, options: { shards?: number; exchanges?: ExchangeId[]; containerInsights?: boolean; api?: boolean } = {}): Built {
  const app = new App();
  const stack = new Stack(app, 'MonitoringTest');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const cluster = new ecs.Cluster(stack, 'Cluster', {
    vpc,
    containerInsightsV2: options.containerInsights === false ? ecs.ContainerInsights.DISABLED : ecs.ContainerInsights.ENABLED,
  });
  const shardCount = options.shards ?? 2;
  const collectors = (options.exchanges ?? ['binance']).flatMap((exchange) =>
    Array.from({ length: shardCount }, (_, shard): CollectorMonitoringProps => {
      const id = `${exchange}${shard}`;
      const taskDefinition = new ecs.FargateTaskDefinition(stack, `Task${id}`, { cpu: 256, memoryLimitMiB: 512 });
      taskDefinition.addContainer('collector', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest') });
      const service = new ecs.FargateService(stack, `Collector${id}`, { cluster, taskDefinition, desiredCount: 2, serviceName: `test-collector-${exchange}-${shard}` });
      return { exchange, shard, shardCount, service };
    }),
  );
  const services = collectors.map((c) => c.service);
  const dlq = new sqs.Queue(stack, 'Dlq');
  const queue = new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 }, visibilityTimeout: Duration.minutes(3) });
  const fn = new lambda.Function(stack, 'Ingest', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') });
  const db = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    storageEncrypted: true,
  });
  const redis = new elasticache.CfnReplicationGroup(stack, 'Redis', {
    replicationGroupDescription: 'test',
    replicationGroupId: 'test-redis',
    engine: 'valkey',
    cacheNodeType: 'cache.t4g.micro',
    numCacheClusters: 2,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    transitEncryptionEnabled: true,
    atRestEncryptionEnabled: true,
  });
  let api: Built['api'];
  if (options.api) {
    const apiFn = new lambda.Function(stack, 'ApiFunction', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') });
    const restApi = new apigw.RestApi(stack, 'Api', { restApiName: 'test-config', deployOptions: { stageName: 'test' } });
    restApi.root.addMethod('GET', new apigw.LambdaIntegration(apiFn), { authorizationType: apigw.AuthorizationType.IAM });
    const rule = new events.Rule(stack, 'Reconcile', { schedule: events.Schedule.rate(Duration.minutes(1)), targets: [new eventsTargets.LambdaFunction(apiFn)] });
    api = { restApi, fn: apiFn, rule };
  }
  const monitoring = new Monitoring(stack, 'Monitoring', {
    stageName: 'test',
    cluster,
    collectors,
    queue,
    deadLetterQueue: dlq,
    ingestFunction: fn,
    database: db,
    redis,
    ...(api ? { api: { stage: api.restApi.deploymentStage, function: api.fn, reconcileRule: api.rule } } : {}),
    ...overrides,
  });
  return { stack, monitoring, template: Template.fromStack(stack), resources: { queue, dlq, fn, db, redis, services, collectors, cluster }, api };
}

const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as never) });
const getAtt = (stack: Stack, construct: { node: { defaultChild?: unknown } }, attr: string) => ({ 'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as never), attr] });

describe('Monitoring', () => {
  let built: Built;
  let topicRef: { Ref: string };

  beforeAll(() => {
    built = build({ alarmEmail: 'ops@example.com' });
    topicRef = { Ref: built.stack.getLogicalId(built.monitoring.topic.node.defaultChild as never) };
  });

  const alarmProps = (key: string) => {
    const alarm = built.monitoring.alarms[key];
    if (!alarm) throw new Error(`no alarm ${key}`);
    const logicalId = built.stack.getLogicalId(alarm.node.defaultChild as never);
    return built.template.toJSON().Resources[logicalId].Properties;
  };

  it('creates one alarm per condition and two per collector service, all notifying the topic', () => {
    expect(Object.keys(built.monitoring.alarms).sort()).toEqual(
      [
        'collectorTasksBelowDesired0',
        'collectorTasksBelowDesired1',
        'collectorNoMessagesBinance0',
        'collectorNoMessagesBinance1',
        'databaseFreeStorageLow',
        'dlqNotEmpty',
        'ingestErrors',
        'noBatchesSent',
        'queueOldestMessage',
      ].sort(),
    );
    built.template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    for (const key of Object.keys(built.monitoring.alarms)) {
      const props = alarmProps(key);
      expect(props.AlarmActions).toEqual([topicRef]);
      expect(props.OKActions).toEqual([topicRef]);
      expect(props.AlarmName).toMatch(/^test-market-data-/);
      expect(props.AlarmDescription).toMatch(/What to do: .+docs\/operations\.md/);
      expect(props.AlarmDescription.length).toBeLessThanOrEqual(1024);
    }
  });

  it('DLQ not empty: visible messages > 0 on the DLQ', () => {
    expect(alarmProps('dlqNotEmpty')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(built.stack, built.resources.dlq, 'QueueName') }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('oldest message: age > 120 s on the ingest queue for 2 minutes', () => {
    expect(alarmProps('queueOldestMessage')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(built.stack, built.resources.queue, 'QueueName') }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 120,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  it('no batches: NumberOfMessagesSent < 1 for 2 x 1 minute, missing data breaching', () => {
    expect(alarmProps('noBatchesSent')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(built.stack, built.resources.queue, 'QueueName') }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
    });
  });

  it('tasks below desired: Container Insights desired - running > 0 for 3 minutes, per service', () => {
    built.resources.services.forEach((service, index) => {
      const props = alarmProps(`collectorTasksBelowDesired${index}`);
      expect(props.AlarmName).toBe(`test-market-data-collector-${index}-tasks-below-desired`);
      expect(props.AlarmDescription).toContain(`Binance collector service collector-shard-${index} (shard ${index} of 2)`);
      expect(props).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'breaching' });
      const queries = props.Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] }; Period: number; Stat: string } }[];
      expect(queries.find((q) => q.Expression)).toMatchObject({ Expression: 'FILL(desired, REPEAT) - FILL(running, 0)' });
      const dims = [
        { Name: 'ClusterName', Value: ref(built.stack, built.resources.cluster) },
        { Name: 'ServiceName', Value: getAtt(built.stack, service, 'Name') },
      ];
      for (const [id, metricName] of [['desired', 'DesiredTaskCount'], ['running', 'RunningTaskCount']] as const) {
        expect(queries.find((q) => q.Id === id)).toMatchObject({
          ReturnData: false,
          MetricStat: { Metric: { Namespace: 'ECS/ContainerInsights', MetricName: metricName, Dimensions: dims }, Period: 60, Stat: 'Average' },
        });
      }
    });
  });

  it('no messages: collector_messages_total of the service < 1 a minute for 5 minutes, missing data breaching', () => {
    built.resources.services.forEach((service, index) => {
      const props = alarmProps(`collectorNoMessagesBinance${index}`);
      expect(props).toMatchObject({
        AlarmName: `test-market-data-collector-binance-${index}-no-messages`,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        TreatMissingData: 'breaching',
      });
      expect(props.AlarmDescription).toContain('received no Binance WebSocket message in 5 minutes');
      const queries = props.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
      expect(queries.find((q) => q.Expression)).toMatchObject({ Expression: 'FILL(messages, 0)' });
      expect(queries.find((q) => q.Id === 'messages')).toMatchObject({
        MetricStat: {
          Metric: {
            Namespace: COLLECTOR_METRICS_NAMESPACE,
            MetricName: 'collector_messages_total',
            Dimensions: [
              { Name: 'ClusterName', Value: ref(built.stack, built.resources.cluster) },
              { Name: 'ServiceName', Value: getAtt(built.stack, service, 'Name') },
            ],
          },
          Period: 60,
          Stat: 'Sum',
        },
      });
    });
  });

  it('ingest errors: Lambda Errors + RecordsFailed > 0 in 3 of 5 minutes', () => {
    const props = alarmProps('ingestErrors');
    expect(props).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
    const queries = props.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
    expect(queries.find((q) => q.Expression)).toMatchObject({ Expression: 'FILL(errors, 0) + FILL(failed, 0)' });
    expect(queries.find((q) => q.Id === 'errors')).toMatchObject({
      MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: ref(built.stack, built.resources.fn) }] }, Period: 60, Stat: 'Sum' },
    });
    expect(queries.find((q) => q.Id === 'failed')).toMatchObject({
      MetricStat: { Metric: { Namespace: INGEST_METRICS_NAMESPACE, MetricName: 'RecordsFailed', Dimensions: [{ Name: 'service', Value: 'ingest' }] }, Period: 60, Stat: 'Sum' },
    });
  });

  it('RDS free storage: minimum below 10 GiB by default', () => {
    expect(alarmProps('databaseFreeStorageLow')).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'FreeStorageSpace',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: ref(built.stack, built.resources.db) }],
      Statistic: 'Minimum',
      Period: 300,
      Threshold: DEFAULT_DATABASE_FREE_STORAGE_THRESHOLD_BYTES,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
    });
    expect(DEFAULT_DATABASE_FREE_STORAGE_THRESHOLD_BYTES).toBe(26 * 1024 * 1024 * 1024);
  });

  it('topic: KMS-encrypted with a rotating key CloudWatch may use, TLS enforced, e-mail subscribed', () => {
    const t = built.template;
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topicRef });
  });

  it('dashboard: named after the stage, with the required widgets and metric sources', () => {
    built.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    built.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'test-market-data' });
    const dashboards = built.template.findResources('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardBody);
    for (const title of [
      'Alarms',
      'Binance collector messages / s',
      'Binance collector update latency (average)',
      'Binance collector running vs desired tasks',
      'Binance collector reconnects',
      'Binance collector rejected messages',
      'Binance collector SQS batches by result',
      'SQS queue depth',
      'SQS oldest message age',
      'DLQ depth',
      'Ingest errors',
      'Ingest duration (p99)',
      'Ingest rows',
      'RDS CPU',
      'RDS connections',
      'RDS free storage',
      'Redis engine CPU',
      'Redis memory',
    ]) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const fragment of [
      `\\"${COLLECTOR_METRICS_NAMESPACE}\\",\\"collector_messages_total\\",\\"ClusterName\\"`,
      '\\"collector_update_latency_seconds\\"',
      '\\"collector_reconnects_total\\"',
      '\\"collector_rejected_messages_total\\"',
      '\\"collector_sqs_batches_total\\"',
      `\\"${INGEST_METRICS_NAMESPACE}\\",\\"RowsInserted\\",\\"service\\",\\"ingest\\"`,
      '\\"BatchLatency\\"',
      '\\"stat\\":\\"p99\\"',
      '\\"AWS/ElastiCache\\",\\"EngineCPUUtilization\\",\\"CacheClusterId\\",\\"',
      '\\"AWS/ElastiCache\\",\\"DatabaseMemoryUsagePercentage\\"',
      '\\"ECS/ContainerInsights\\",\\"RunningTaskCount\\"',
      '\\"AWS/RDS\\",\\"FreeStorageSpace\\"',
    ]) {
      expect(body).toContain(fragment);
    }
    // Redis per node: CacheClusterId <replicationGroupId>-001 and -002.
    const redisId = built.stack.getLogicalId(built.resources.redis);
    for (const node of ['001', '002']) expect(body).toContain(JSON.stringify({ 'Fn::Join': ['-', [{ Ref: redisId }, node]] }));
  });

  it('passes the cdk-nag AwsSolutions checks for its own resources', () => {
    const report = new AwsSolutionsChecks().validateScope(built.monitoring);
    expect(report.violations).toEqual([]);
  });

  it('publishes the awsemf metric declarations the sidecar must use', () => {
    expect(COLLECTOR_EMF_METRIC_DECLARATIONS[0]?.dimensions).toEqual([['ClusterName', 'ServiceName']]);
    expect(COLLECTOR_EMF_METRIC_DECLARATIONS.flatMap((d) => d.metric_name_selectors)).toContain('^collector_update_latency_seconds$');
  });
});

describe('Monitoring of three exchanges', () => {
  let built: Built;
  let body: string;
  const alarmProps = (key: string) => {
    const alarm = built.monitoring.alarms[key];
    if (!alarm) throw new Error(`no alarm ${key}`);
    return built.template.toJSON().Resources[built.stack.getLogicalId(alarm.node.defaultChild as never)].Properties;
  };

  beforeAll(() => {
    built = build({}, { exchanges: ['binance', 'okx', 'bybit'], shards: 2 });
    body = JSON.stringify(Object.values(built.template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody);
  });

  it('gives every service its task and no-message alarms, and Bybit shards a trades-lost alarm', () => {
    const keys = Object.keys(built.monitoring.alarms).filter((key) => key.startsWith('collector'));
    expect(keys.sort()).toEqual(
      [
        'collectorTasksBelowDesired0',
        'collectorTasksBelowDesired1',
        'collectorTasksBelowDesiredOkx0',
        'collectorTasksBelowDesiredOkx1',
        'collectorTasksBelowDesiredBybit0',
        'collectorTasksBelowDesiredBybit1',
        'collectorNoMessagesBinance0',
        'collectorNoMessagesBinance1',
        'collectorNoMessagesOkx0',
        'collectorNoMessagesOkx1',
        'collectorNoMessagesBybit0',
        'collectorNoMessagesBybit1',
        'collectorTradesLostBybit0',
        'collectorTradesLostBybit1',
      ].sort(),
    );
    built.template.resourceCountIs('AWS::CloudWatch::Alarm', 5 + keys.length);
  });

  it('names the exchange in the name and description of every collector alarm', () => {
    for (const [exchange, name] of [['okx', 'OKX'], ['bybit', 'Bybit']] as const) {
      const p = exchange === 'okx' ? 'Okx' : 'Bybit';
      for (const shard of [0, 1]) {
        const tasks = alarmProps(`collectorTasksBelowDesired${p}${shard}`);
        expect(tasks.AlarmName).toBe(`test-market-data-collector-${exchange}-${shard}-tasks-below-desired`);
        expect(tasks.AlarmDescription).toContain(`${name} collector service collector-${exchange}-shard-${shard} (shard ${shard} of 2)`);
        const silent = alarmProps(`collectorNoMessages${p}${shard}`);
        expect(silent.AlarmName).toBe(`test-market-data-collector-${exchange}-${shard}-no-messages`);
        expect(silent.AlarmDescription).toContain(`no ${name} WebSocket message`);
        expect(silent.AlarmDescription.length).toBeLessThanOrEqual(1024);
      }
    }
  });

  it('Bybit trades lost: any reconnect of the service, described as unrecoverable data loss with what to do', () => {
    const service = built.resources.collectors.find((c) => c.exchange === 'bybit' && c.shard === 1)!.service;
    const props = alarmProps('collectorTradesLostBybit1');
    expect(props).toMatchObject({
      AlarmName: 'test-market-data-collector-bybit-1-trades-lost',
      Namespace: COLLECTOR_METRICS_NAMESPACE,
      MetricName: 'collector_reconnects_total',
      Dimensions: [
        { Name: 'ClusterName', Value: ref(built.stack, built.resources.cluster) },
        { Name: 'ServiceName', Value: getAtt(built.stack, service, 'Name') },
      ],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(props.AlarmDescription).toContain('unrecoverable data loss');
    expect(props.AlarmDescription).toContain('only the latest 60 trades');
    expect(props.AlarmDescription).toMatch(/What to do: .+tasksPerShard/);
    expect(props.AlarmDescription.length).toBeLessThanOrEqual(1024);
  });

  it('dashboard: a header and two rows of graphs per exchange, each over its own services only', () => {
    for (const name of ['Binance', 'OKX', 'Bybit']) {
      for (const title of ['messages / s', 'update latency (average)', 'running vs desired tasks', 'rejected messages', 'SQS batches by result']) {
        expect(body).toContain(`\\"title\\":\\"${name} collector ${title}\\"`);
      }
      expect(body).toContain(`#### ${name} collector: 2 shards`);
    }
    expect(body).toContain('\\"title\\":\\"OKX collector reconnects\\"');
    expect(body).toContain('\\"title\\":\\"Bybit collector reconnects (each loses trades)\\"');
    expect(body).toContain('Bybit cannot refill trade gaps');
    const widgets = (Object.values(built.template.toJSON().Resources as Record<string, { Type: string; Properties: { DashboardBody: unknown } }>).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    // The OKX messages graph names exactly the two OKX services.
    const text = widgets.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
    const start = text.indexOf('OKX collector messages / s');
    const okxGraph = text.slice(start, text.indexOf('title', start + 10));
    expect(okxGraph).toContain('collector_messages_total');
    const okxIds = built.resources.collectors.filter((c) => c.exchange === 'okx').map((c) => built.stack.getLogicalId(c.service.node.defaultChild as never));
    for (const id of okxIds) expect(okxGraph).toContain(id);
    for (const other of built.resources.collectors.filter((c) => c.exchange !== 'okx')) expect(okxGraph).not.toContain(built.stack.getLogicalId(other.service.node.defaultChild as never));
  });

  it('passes the cdk-nag AwsSolutions checks for its own resources', () => {
    expect(new AwsSolutionsChecks().validateScope(built.monitoring).violations).toEqual([]);
  });
});

describe('Monitoring without e-mail, custom threshold, Container Insights off', () => {
  it('subscribes nobody, uses the threshold and warns about Container Insights', () => {
    const { template, stack } = build({ databaseFreeStorageThresholdBytes: 5 * 1024 ** 3 }, { shards: 1, containerInsights: false });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FreeStorageSpace', Threshold: 5 * 1024 ** 3 });
    Annotations.fromStack(stack).hasWarning('/MonitoringTest/Monitoring', Match.stringLikeRegexp('Container Insights'));
  });
});

describe('Monitoring with the config API', () => {
  let built: Built;
  const alarmProps = (key: string) => {
    const alarm = built.monitoring.alarms[key];
    if (!alarm) throw new Error(`no alarm ${key}`);
    return built.template.toJSON().Resources[built.stack.getLogicalId(alarm.node.defaultChild as never)].Properties;
  };

  beforeAll(() => {
    built = build({}, { api: true });
  });

  it('adds the three API alarms, notifying the topic like the others', () => {
    expect(Object.keys(built.monitoring.alarms)).toEqual(expect.arrayContaining(['apiServerErrors', 'apiFunctionErrors', 'configReconcileFailing']));
    built.template.resourceCountIs('AWS::CloudWatch::Alarm', 12);
    const topicRef = { Ref: built.stack.getLogicalId(built.monitoring.topic.node.defaultChild as never) };
    for (const key of ['apiServerErrors', 'apiFunctionErrors', 'configReconcileFailing']) {
      const props = alarmProps(key);
      expect(props.AlarmActions).toEqual([topicRef]);
      expect(props.OKActions).toEqual([topicRef]);
      expect(props.AlarmDescription).toMatch(/What to do: .+docs\/operations\.md/);
      expect(props.AlarmDescription.length).toBeLessThanOrEqual(1024);
    }
  });

  it('API 5XX: 5XXError of the stage > 0 in 2 of 5 minutes', () => {
    const stageId = built.stack.getLogicalId(built.api!.restApi.deploymentStage.node.defaultChild as never);
    expect(alarmProps('apiServerErrors')).toMatchObject({
      AlarmName: 'test-market-data-api-5xx',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'test-config' }, { Name: 'Stage', Value: { Ref: stageId } }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  it('API function: Lambda Errors + Throttles > 0 in 3 of 5 minutes', () => {
    const props = alarmProps('apiFunctionErrors');
    expect(props).toMatchObject({ AlarmName: 'test-market-data-api-function-errors', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
    const queries = props.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
    expect(queries.find((q) => q.Expression)).toMatchObject({ Expression: 'FILL(errors, 0) + FILL(throttles, 0)' });
    const fnRef = ref(built.stack, built.api!.fn);
    for (const [id, metricName] of [['errors', 'Errors'], ['throttles', 'Throttles']] as const) {
      expect(queries.find((q) => q.Id === id)).toMatchObject({
        MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: fnRef }] }, Period: 60, Stat: 'Sum' },
      });
    }
  });

  it('reconciliation: missing schedule invocations, ConfigReconcileFailures or FailedInvocations in 3 of 5 minutes; no data = ALARM', () => {
    const props = alarmProps('configReconcileFailing');
    expect(props).toMatchObject({ AlarmName: 'test-market-data-config-reconcile-failing', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'breaching' });
    const queries = props.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
    expect(queries.find((q) => q.Expression)).toMatchObject({ Expression: 'IF(FILL(invocations, 0) < 1, 1, 0) + FILL(failures, 0) + FILL(failedInvocations, 0)' });
    const ruleDims = [{ Name: 'RuleName', Value: ref(built.stack, built.api!.rule) }];
    expect(queries.find((q) => q.Id === 'invocations')).toMatchObject({ MetricStat: { Metric: { Namespace: 'AWS/Events', MetricName: 'Invocations', Dimensions: ruleDims }, Period: 60, Stat: 'Sum' } });
    expect(queries.find((q) => q.Id === 'failedInvocations')).toMatchObject({ MetricStat: { Metric: { Namespace: 'AWS/Events', MetricName: 'FailedInvocations', Dimensions: ruleDims }, Period: 60, Stat: 'Sum' } });
    expect(queries.find((q) => q.Id === 'failures')).toMatchObject({
      MetricStat: { Metric: { Namespace: API_METRICS_NAMESPACE, MetricName: 'ConfigReconcileFailures', Dimensions: [{ Name: 'service', Value: 'config-api' }] }, Period: 60, Stat: 'Sum' },
    });
    expect(API_METRICS_NAMESPACE).toBe('MarketDataApi');
  });

  it('dashboard: API requests, 4XX / 5XX, latency p50 / p99, function errors, reconciliation', () => {
    const body = JSON.stringify(Object.values(built.template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody);
    for (const title of ['API requests', 'API 4XX / 5XX', 'API latency (p50 / p99)', 'API function errors', 'Config reconciliation', 'API function duration']) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const fragment of ['\\"AWS/ApiGateway\\",\\"Count\\",\\"ApiName\\",\\"test-config\\",\\"Stage\\"', '\\"4XXError\\"', '\\"5XXError\\"', '\\"Latency\\"', '\\"stat\\":\\"p50\\"', '\\"ConfigReconcileFailures\\"', '\\"AWS/Events\\",\\"Invocations\\"']) {
      expect(body).toContain(fragment);
    }
  });

  it('passes the cdk-nag AwsSolutions checks for its own resources', () => {
    expect(new AwsSolutionsChecks().validateScope(built.monitoring).violations).toEqual([]);
  });
});
