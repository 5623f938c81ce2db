import { DEFAULT_FREE_STORAGE_ALARM_GIB } from '../sizing';
import {
  Annotations,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Token,
  aws_aps as aps,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cwActions,
  aws_ecs as ecs,
  aws_elasticache as elasticache,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { GATEWAY_CONNECTIONS_PER_TASK } from '../constructs/gateway';
import { EXCHANGE_CAN_BACKFILL_TRADES, EXCHANGE_DISPLAY_NAMES, collectorServiceName, pascal, type ExchangeId } from '../exchanges';
import { MAX_RECEIVE_COUNT } from '../constructs/history-queue';
import {
  API_METRICS,
  API_METRICS_NAMESPACE,
  API_METRICS_SERVICE,
  COLLECTOR_METRICS,
  GATEWAY_METRICS,
  GATEWAY_METRICS_NAMESPACE,
  INGEST_METRICS,
  INGEST_METRICS_NAMESPACE,
  INGEST_METRICS_SERVICE,
  SQS_BATCH_RESULTS,
} from './metrics';
import { COLLECTOR_METRICS_NAMESPACE, type ApiMonitoringProps, type CollectorMonitoringProps, type GatewayMonitoringProps, type MonitoringProps } from './props';

export * from './metrics';
export * from './prometheus-rules';
export * from './props';

/** Default free-storage threshold of the RDS alarm: one day of history growth at the default scale (lib/sizing.ts). */
export const DEFAULT_DATABASE_FREE_STORAGE_THRESHOLD_BYTES = DEFAULT_FREE_STORAGE_ALARM_GIB * 1024 ** 3;

/** Namespace of ECS Container Insights (service-level task counts). */
export const CONTAINER_INSIGHTS_NAMESPACE = 'ECS/ContainerInsights';

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
const WIDGET_WIDTH = 8;
const WIDGET_HEIGHT = 6;
const OPERATIONS_DOC = 'docs/operations.md';

/**
 * CloudWatch dashboard, alarms and their SNS topic for the market-data
 * pipeline: collector (ECS Fargate, one service per exchange and shard), SQS
 * queue and DLQ, ingest Lambda, RDS PostgreSQL and ElastiCache Redis.
 *
 * Alarm keys in `alarms`: `dlqNotEmpty`, `queueOldestMessage`, `noBatchesSent`,
 * `ingestErrors`, `databaseFreeStorageLow`, per collector service
 * `collectorTasksBelowDesired<Exchange><shard>` and
 * `collectorNoMessages<Exchange><shard>`, and for an exchange that cannot
 * refill trade gaps (Bybit) `collectorTradesLost<Exchange><shard>`
 * (collectorAlarmNames; Binance's task
 * alarm keeps its key, id and name from before other exchanges,
 * `collectorTasksBelowDesired<shard>`), and with `api` given `apiServerErrors`,
 * `apiFunctionErrors` and `configReconcileFailing`, and with `gateway` given
 * `gatewayUnhealthyHosts`, `gatewayServerErrors`, `gatewayConnectionsHigh`,
 * `gatewaySlowClientDisconnects` and `gatewayAuthRefusals` (its fan-out p99
 * alert is a Prometheus rule, lib/monitoring/prometheus/gateway-rules.yml).
 * What each means and what to do: docs/operations.md.
 */
export class Monitoring extends Construct {
  /** Receives every alarm's ALARM and OK notifications. */
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stageName } = props;
    const prefix = `${stageName}-market-data`;
    checkContainerInsights(this, props.cluster);

    // --- Notifications -------------------------------------------------------
    // A customer-managed key: CloudWatch alarms cannot publish to a topic
    // encrypted with the AWS-managed `alias/aws/sns` key, whose policy cannot
    // be changed to admit cloudwatch.amazonaws.com.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `${prefix} alarm notifications (SNS server-side encryption)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${prefix} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    const { account, region } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${Stack.of(this).partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    if (props.prometheusWorkspace) this.routePrometheusAlerts(props.prometheusWorkspace, key);
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new cwActions.SnsAction(this.topic);

    const addAlarm = (key: string, alarmId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const alarm = new cloudwatch.Alarm(this, alarmId, alarmProps);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms[key] = alarm;
      return alarm;
    };

    // --- Metrics ------------------------------------------------------------
    const clusterName = props.cluster.clusterName;
    const services = props.collectors.map((collector, index) => ({ ...collector, index, label: `shard ${collector.shard}` }));
    const collectorMetric = (metricName: string, service: ecs.FargateService, options: cloudwatch.MetricOptions = {}) =>
      new cloudwatch.Metric({
        namespace: COLLECTOR_METRICS_NAMESPACE,
        metricName,
        period: ONE_MINUTE,
        statistic: cloudwatch.Stats.SUM,
        ...options,
        dimensionsMap: { ClusterName: clusterName, ServiceName: service.serviceName, ...options.dimensionsMap },
      });
    const containerInsights = (metricName: string, service: ecs.FargateService) =>
      new cloudwatch.Metric({
        namespace: CONTAINER_INSIGHTS_NAMESPACE,
        metricName,
        dimensionsMap: { ClusterName: clusterName, ServiceName: service.serviceName },
        statistic: cloudwatch.Stats.AVERAGE,
        period: ONE_MINUTE,
      });
    const ingestMetric = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: INGEST_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: INGEST_METRICS_SERVICE },
        statistic,
        period: ONE_MINUTE,
        label,
      });

    const queue = props.queue;
    const dlq = props.deadLetterQueue;
    const fn = props.ingestFunction;
    const db = props.database;
    const freeStorageThreshold = props.databaseFreeStorageThresholdBytes ?? DEFAULT_DATABASE_FREE_STORAGE_THRESHOLD_BYTES;

    // --- Alarms -------------------------------------------------------------
    addAlarm('dlqNotEmpty', 'DlqNotEmptyAlarm', {
      alarmName: `${prefix}-dlq-not-empty`,
      alarmDescription: describe(
        `History batches reached the dead-letter queue: the ingest function refused them on every one of their ${MAX_RECEIVE_COUNT} receives (poison: invalid, or refused by the database), so they are NOT in PostgreSQL.`,
        'Inspect one with `aws sqs receive-message` on the DLQ, fix the cause (ingest logs, RDS), then redrive with `aws sqs start-message-move-task`.',
      ),
      metric: dlq.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    addAlarm('queueOldestMessage', 'QueueOldestMessageAlarm', {
      alarmName: `${prefix}-queue-oldest-message`,
      alarmDescription: describe(
        'The oldest history batch in the ingest queue is older than 2 minutes: ingestion lags or stopped (history in PostgreSQL is delayed; live rates in Redis are unaffected).',
        'Check the ingest function errors and throttles, its event source mapping, and RDS / RDS Proxy health.',
      ),
      metric: queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 120,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    addAlarm('noBatchesSent', 'NoBatchesSentAlarm', {
      alarmName: `${prefix}-no-batches-sent`,
      alarmDescription: describe(
        'No collector sent a history batch to SQS for 2 minutes: collection stalled, every collector is down, or SQS is unreachable (batches then spill to local disk).',
        "Check a collector's /status, the ECS service events, SQS reachability (VPC endpoint) and the spill metrics.",
      ),
      metric: queue.metricNumberOfMessagesSent({ period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    for (const collector of services) {
      const { service, exchange, shard, shardCount } = collector;
      const names = collectorAlarmNames(exchange, shard);
      const who = `${EXCHANGE_DISPLAY_NAMES[exchange]} collector service ${collectorServiceName(exchange, shard)} (shard ${shard} of ${shardCount})`;
      addAlarm(names.tasksBelowDesired.key, names.tasksBelowDesired.id, {
        alarmName: `${prefix}-${names.tasksBelowDesired.name}`,
        alarmDescription: describe(
          `${who} has run fewer tasks than desired for 3 minutes (or reports no task counts): its ${EXCHANGE_DISPLAY_NAMES[exchange]} symbols lost redundancy or are not collected at all.`,
          'Read the ECS service events and stopped-task reasons (image pull, health check, OOM); a failed deployment is rolled back by the circuit breaker.',
        ),
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(desired, REPEAT) - FILL(running, 0)',
          usingMetrics: { desired: containerInsights('DesiredTaskCount', service), running: containerInsights('RunningTaskCount', service) },
          period: ONE_MINUTE,
          label: `${collector.label} missing tasks`,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });

      // Every WebSocket frame counts, the keepalive answers (Binance pings, OKX / Bybit pongs
      // every 20 s) included, so a healthy service never has a silent minute, even on a quiet market.
      addAlarm(names.noMessages.key, names.noMessages.id, {
        alarmName: `${prefix}-${names.noMessages.name}`,
        alarmDescription: describe(
          `${who} received no ${EXCHANGE_DISPLAY_NAMES[exchange]} WebSocket message in 5 minutes (or published no metrics): the rates of its symbols in Redis are stale or expire, and no history is written for them.`,
          `Read a task's /status (connections, lastMessageAt) and logs (connect, subscribe or REST errors); check NAT egress and ${EXCHANGE_DISPLAY_NAMES[exchange]}'s status page; a dead sidecar (no metrics at all) shows as the adot container stopped in the task.`,
        ),
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(messages, 0)',
          usingMetrics: { messages: collectorMetric(COLLECTOR_METRICS.messages, service) },
          period: ONE_MINUTE,
          label: `${collector.label} messages`,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        // No data at all: the service or its sidecar is not running.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });

      // Where missed trades cannot be fetched again, the reconnect itself is the gap:
      // the exchange's trade ids carry no sequence to detect one by.
      if (!EXCHANGE_CAN_BACKFILL_TRADES[exchange]) {
        addAlarm(names.tradesLost.key, names.tradesLost.id, {
          alarmName: `${prefix}-${names.tradesLost.name}`,
          alarmDescription: describe(
            `A task of ${who} reconnected: it missed the trades ${EXCHANGE_DISPLAY_NAMES[exchange]} published while it was disconnected, and a gap on ${EXCHANGE_DISPLAY_NAMES[exchange]} is unrecoverable data loss: its REST API returns only the latest 60 trades and cannot page back, so the collector cannot refill it. The trades are kept only if another task of the shard (tasksPerShard, default 2) stayed connected meanwhile; otherwise the history in PostgreSQL has a hole (live rates recover with the next trades).`,
            'Check in Prometheus (collector_reconnects_total by task and reason) whether every task of the shard reconnected in the same minutes: if so, record the window for users of the history. Repeated reconnects point at NAT / network trouble or missed pings (task CPU). Keep tasksPerShard at 2 or more.',
          ),
          metric: collectorMetric(COLLECTOR_METRICS.reconnects, service),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
    }

    const lambdaErrors = fn.metricErrors({ period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM, label: 'Lambda errors' });
    const recordsFailed = ingestMetric(INGEST_METRICS.recordsFailed, cloudwatch.Stats.SUM, 'Records failed');
    addAlarm('ingestErrors', 'IngestErrorsAlarm', {
      alarmName: `${prefix}-ingest-errors`,
      alarmDescription: describe(
        'The ingest function failed invocations or SQS records in at least 3 of the last 5 minutes: batches are being retried and may end in the DLQ.',
        'Read the ingest function logs (`batch partly failed`, errors), check RDS / RDS Proxy and the database secret.',
      ),
      ...failuresIn3Of5('Ingest errors + failed records', { errors: lambdaErrors, failed: recordsFailed }),
    });

    addAlarm('databaseFreeStorageLow', 'DatabaseFreeStorageLowAlarm', {
      alarmName: `${prefix}-database-free-storage-low`,
      alarmDescription: describe(
        `PostgreSQL free storage is below ${formatBytes(freeStorageThreshold)}: when it runs out the instance stops accepting writes and ingestion fails.`,
        'Check history retention (collection_settings raw_retention_days / rollup_retention_days, docs/database.md "Sizing") and partition maintenance, then raise the maximum allocated storage.',
      ),
      metric: db.metricFreeStorageSpace({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MINIMUM }),
      threshold: freeStorageThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });

    // --- Config API -----------------------------------------------------------
    const apiRows: cloudwatch.IWidget[][] = [];
    if (props.api) apiRows.push(...this.apiAlarmsAndWidgets(props.api, prefix, addAlarm));

    // --- Stream gateway -------------------------------------------------------
    const gatewayRows: cloudwatch.IWidget[][] = [];
    if (props.gateway) gatewayRows.push(...this.gatewayAlarmsAndWidgets(props.gateway, clusterName, prefix, addAlarm));

    // --- Dashboard ----------------------------------------------------------
    type Monitored = (typeof services)[number];
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: WIDGET_WIDTH, height: WIDGET_HEIGHT, period: ONE_MINUTE, ...extra });
    const perMinute = { leftYAxis: { min: 0, label: 'per minute', showUnits: false } };
    // A header and two rows per exchange: each exchange's shards on graphs of their own.
    const collectorRows = (exchange: ExchangeId, members: Monitored[]): cloudwatch.IWidget[][] => {
      const name = EXCHANGE_DISPLAY_NAMES[exchange];
      const perService = (build: (collector: Monitored) => cloudwatch.IMetric) => members.map(build);
      const header = [
        `#### ${name} collector: ${members.length} shard${members.length === 1 ? '' : 's'} (services ${members.map((m) => `\`${collectorServiceName(m.exchange, m.shard)}\``).join(', ')})`,
        EXCHANGE_CAN_BACKFILL_TRADES[exchange] ? '' : ` · ${name} cannot refill trade gaps: every reconnect loses the trades it missed`,
      ].join('');
      return [
        [new cloudwatch.TextWidget({ markdown: header, width: 3 * WIDGET_WIDTH, height: 1 })],
        [
          graph(
            `${name} collector messages / s`,
            perService(
              ({ service, index, label }) =>
                new cloudwatch.MathExpression({ expression: `m${index} / PERIOD(m${index})`, usingMetrics: { [`m${index}`]: collectorMetric(COLLECTOR_METRICS.messages, service) }, label, period: ONE_MINUTE }),
            ),
            { leftYAxis: { min: 0, label: 'per second', showUnits: false } },
          ),
          graph(
            `${name} collector update latency (average)`,
            perService(({ service, label }) => collectorMetric(COLLECTOR_METRICS.updateLatency, service, { statistic: cloudwatch.Stats.AVERAGE, label })),
            { leftYAxis: { min: 0, label: 'seconds', showUnits: false }, leftAnnotations: [{ value: 0.1, label: '100 ms', color: cloudwatch.Color.ORANGE }] },
          ),
          graph(
            `${name} collector running vs desired tasks`,
            members.flatMap(({ service, label }) => [
              containerInsights('RunningTaskCount', service).with({ label: `${label} running` }),
              containerInsights('DesiredTaskCount', service).with({ label: `${label} desired` }),
            ]),
            { leftYAxis: { min: 0, showUnits: false } },
          ),
        ],
        [
          graph(
            EXCHANGE_CAN_BACKFILL_TRADES[exchange] ? `${name} collector reconnects` : `${name} collector reconnects (each loses trades)`,
            perService(({ service, label }) => collectorMetric(COLLECTOR_METRICS.reconnects, service, { label })),
            perMinute,
          ),
          graph(`${name} collector rejected messages`, perService(({ service, label }) => collectorMetric(COLLECTOR_METRICS.rejectedMessages, service, { label })), perMinute),
          graph(
            `${name} collector SQS batches by result`,
            SQS_BATCH_RESULTS.map((result) => sumOverServices(members, result, (service) => collectorMetric(COLLECTOR_METRICS.sqsBatches, service, { dimensionsMap: { result } }))),
            perMinute,
          ),
        ],
      ];
    };
    const exchangesInOrder = [...new Set(services.map((c) => c.exchange))];
    const collectorSections = exchangesInOrder.flatMap((exchange) => collectorRows(exchange, services.filter((c) => c.exchange === exchange)));
    const redisNodes = redisCacheClusterIds(props.redis);
    const redisMetric = (metricName: string, nodeId: string, index: number) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { CacheClusterId: nodeId },
        statistic: cloudwatch.Stats.AVERAGE,
        period: ONE_MINUTE,
        label: `node ${index + 1}`,
      });

    const alarmList = Object.values(this.alarms);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: alarmList, width: 16, height: 4 }),
          new cloudwatch.TextWidget({
            width: 8,
            height: 4,
            markdown: [
              `### ${prefix}`,
              `What each alarm means and what to do: \`${OPERATIONS_DOC}\` in the repository.`,
              'Collector latency percentiles, per-reason breakdowns and connection states: the Grafana dashboard',
              '(`docs/grafana/collector-dashboard.json`) on the Amazon Managed Service for Prometheus workspace.',
            ].join('\n\n'),
          }),
        ],
        ...collectorSections,
        [
          graph('SQS queue depth', [
            queue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label: 'visible' }),
            queue.metricApproximateNumberOfMessagesNotVisible({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label: 'in flight' }),
          ], { right: [queue.metricNumberOfMessagesSent({ period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM, label: 'sent / min' })] }),
          graph('SQS oldest message age', [queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label: 'oldest message (s)' })], {
            leftAnnotations: [{ value: 120, label: 'alarm: 2 min', color: cloudwatch.Color.RED }],
            leftYAxis: { min: 0, label: 'seconds', showUnits: false },
          }),
          graph('DLQ depth', [dlq.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label: 'DLQ visible' })], {
            leftYAxis: { min: 0, showUnits: false },
          }),
        ],
        [
          graph('Ingest errors', [
            lambdaErrors,
            fn.metricThrottles({ period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM, label: 'Lambda throttles' }),
            recordsFailed,
          ], { leftYAxis: { min: 0, showUnits: false } }),
          graph('Ingest duration (p99)', [
            fn.metricDuration({ period: ONE_MINUTE, statistic: cloudwatch.Stats.p(99), label: 'Lambda duration p99' }),
            ingestMetric(INGEST_METRICS.batchLatency, cloudwatch.Stats.p(99), 'BatchLatency p99'),
          ], { leftYAxis: { min: 0, label: 'ms', showUnits: false } }),
          graph('Ingest rows', [
            ingestMetric(INGEST_METRICS.rowsInserted, cloudwatch.Stats.SUM, 'rows inserted'),
            ingestMetric(INGEST_METRICS.rowsUnchanged, cloudwatch.Stats.SUM, 'rows unchanged'),
          ], { leftYAxis: { min: 0, label: 'per minute', showUnits: false } }),
        ],
        ...apiRows,
        ...gatewayRows,
        [
          graph('RDS CPU', [db.metricCPUUtilization({ period: ONE_MINUTE, statistic: cloudwatch.Stats.AVERAGE, label: 'CPU %' })], {
            leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
          }),
          graph('RDS connections', [db.metricDatabaseConnections({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label: 'connections' })], {
            leftYAxis: { min: 0, showUnits: false },
          }),
          graph('RDS free storage', [db.metricFreeStorageSpace({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MINIMUM, label: 'free storage' })], {
            period: FIVE_MINUTES,
            leftAnnotations: [{ value: freeStorageThreshold, label: 'alarm threshold', color: cloudwatch.Color.RED }],
            leftYAxis: { min: 0 },
          }),
        ],
        [
          graph('Redis engine CPU', redisNodes.map((nodeId, index) => redisMetric('EngineCPUUtilization', nodeId, index)), {
            leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
          }),
          graph('Redis memory', redisNodes.map((nodeId, index) => redisMetric('DatabaseMemoryUsagePercentage', nodeId, index)), {
            leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
          }),
        ],
      ],
    });
  }

  /**
   * Alarms of the config API (5XX answers, function errors and throttles, the
   * minute reconciliation not running or failing) and its two dashboard rows.
   */

  /**
   * The workspace's alert manager sends the Prometheus alerts
   * (lib/monitoring/prometheus/collector-rules.yml) to the same topic as the
   * CloudWatch alarms, so operators have one place to subscribe. The key's
   * policy names only the account: naming the workspace there would make the
   * key, the topic and the workspace depend on each other.
   */
  private routePrometheusAlerts(workspace: aps.CfnWorkspace, key: kms.Key): void {
    const { account, region } = Stack.of(this);
    workspace.alertManagerDefinition = [
      'alertmanager_config: |',
      '  route:',
      '    receiver: alarm-topic',
      "    group_by: ['alertname', 'ServiceName']",
      '    group_wait: 30s',
      '    group_interval: 5m',
      '    repeat_interval: 4h',
      '  receivers:',
      '    - name: alarm-topic',
      '      sns_configs:',
      `        - topic_arn: ${this.topic.topicArn}`,
      '          sigv4:',
      `            region: ${region}`,
      '          subject: "Prometheus alert {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})"',
      '          attributes:',
      '            source: amazon-managed-prometheus',
      '',
    ].join('\n');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowPrometheusAlertManagerToPublish',
        principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
        actions: ['sns:Publish', 'sns:GetTopicAttributes'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account }, ArnEquals: { 'aws:SourceArn': workspace.attrArn } },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowPrometheusAlertManagerToUseTheKey',
        principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
  }
  private apiAlarmsAndWidgets(
    api: ApiMonitoringProps,
    prefix: string,
    addAlarm: (key: string, alarmId: string, alarmProps: cloudwatch.AlarmProps) => cloudwatch.Alarm,
  ): cloudwatch.IWidget[][] {
    const { stage } = api;
    const fn = api.function;
    const sum = { period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM };
    const serverErrors = stage.metricServerError({ ...sum, label: '5XX' });
    const clientErrors = stage.metricClientError({ ...sum, label: '4XX' });
    const fnErrors = fn.metricErrors({ ...sum, label: 'Lambda errors' });
    const fnThrottles = fn.metricThrottles({ ...sum, label: 'Lambda throttles' });
    const reconcileFailures = new cloudwatch.Metric({
      namespace: API_METRICS_NAMESPACE,
      metricName: API_METRICS.reconcileFailures,
      dimensionsMap: { service: API_METRICS_SERVICE },
      ...sum,
      label: 'reconciliations failed',
    });
    // Rules on the default event bus publish with the RuleName dimension only.
    const ruleMetric = (metricName: string, label: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/Events', metricName, dimensionsMap: { RuleName: api.reconcileRule.ruleName }, ...sum, label });
    const ruleInvocations = ruleMetric('Invocations', 'schedule invocations');
    const ruleFailedInvocations = ruleMetric('FailedInvocations', 'schedule failed invocations');

    addAlarm('apiServerErrors', 'ApiServerErrorsAlarm', {
      alarmName: `${prefix}-api-5xx`,
      alarmDescription: describe(
        'The config API answered 5XX in at least 2 of the last 5 minutes: configuration reads or changes fail (the collectors keep running on the last snapshot).',
        'Read the API access log (status, errorType, integrationStatus) and the config API function logs; check RDS / RDS Proxy, Redis, and the function errors and throttles.',
      ),
      metric: stage.metricServerError(sum),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    addAlarm('apiFunctionErrors', 'ApiFunctionErrorsAlarm', {
      alarmName: `${prefix}-api-function-errors`,
      alarmDescription: describe(
        'The config API function failed or was throttled in at least 3 of the last 5 minutes: API requests get 5XX and the minute reconciliation may not run.',
        'Read the config API function logs (init errors, timeouts, unhandled errors); for throttles check the account\'s Lambda concurrency; check RDS Proxy, Redis and the secrets.',
      ),
      ...failuresIn3Of5('API function errors + throttles', { errors: fnErrors, throttles: fnThrottles }),
    });

    addAlarm('configReconcileFailing', 'ConfigReconcileFailingAlarm', {
      alarmName: `${prefix}-config-reconcile-failing`,
      alarmDescription: describe(
        'The minute reconciliation of the Redis config snapshot with PostgreSQL failed or did not run in at least 3 of the last 5 minutes: a config change whose Redis push failed may not reach the collectors.',
        'Read the config API function logs of the scheduled runs (`Scheduled Event`); check that the EventBridge rule is enabled, RDS / RDS Proxy and Redis; compare config:collector in Redis with GET /v1/settings.',
      ),
      metric: new cloudwatch.MathExpression({
        expression: 'IF(FILL(invocations, 0) < 1, 1, 0) + FILL(failures, 0) + FILL(failedInvocations, 0)',
        usingMetrics: { invocations: ruleInvocations, failures: reconcileFailures, failedInvocations: ruleFailedInvocations },
        period: ONE_MINUTE,
        label: 'reconciliation missing or failed',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      // No data at all: the schedule does not run.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: WIDGET_WIDTH, height: WIDGET_HEIGHT, period: ONE_MINUTE, ...extra });
    const perMinute = { leftYAxis: { min: 0, label: 'per minute', showUnits: false } };
    const latency = (statistic: string, label: string) => stage.metricLatency({ period: ONE_MINUTE, statistic, label });
    return [
      [
        graph('API requests', [stage.metricCount({ ...sum, label: 'requests' })], perMinute),
        graph('API 4XX / 5XX', [clientErrors, serverErrors], perMinute),
        graph('API latency (p50 / p99)', [
          latency(cloudwatch.Stats.p(50), 'latency p50'),
          latency(cloudwatch.Stats.p(99), 'latency p99'),
          stage.metricIntegrationLatency({ period: ONE_MINUTE, statistic: cloudwatch.Stats.p(99), label: 'integration latency p99' }),
        ], { leftYAxis: { min: 0, label: 'ms', showUnits: false } }),
      ],
      [
        graph('API function errors', [fnErrors, fnThrottles], perMinute),
        graph('Config reconciliation', [ruleInvocations, ruleFailedInvocations, reconcileFailures], perMinute),
        graph('API function duration', [
          fn.metricDuration({ period: ONE_MINUTE, statistic: cloudwatch.Stats.p(50), label: 'duration p50' }),
          fn.metricDuration({ period: ONE_MINUTE, statistic: cloudwatch.Stats.p(99), label: 'duration p99' }),
        ], { leftYAxis: { min: 0, label: 'ms', showUnits: false } }),
      ],
    ];
  }
  /**
   * Alarms of the stream gateway (targets unhealthy, 5XX at the load balancer,
   * connections near the scaling ceiling, slow-client disconnects, auth refusal
   * spikes) and its two dashboard rows. The fan-out p99 is a Prometheus alert
   * (CloudWatch gets the histogram as a statistic set, without percentiles); the
   * dashboard shows the mean.
   */
  private gatewayAlarmsAndWidgets(
    gateway: GatewayMonitoringProps,
    clusterName: string,
    prefix: string,
    addAlarm: (key: string, alarmId: string, alarmProps: cloudwatch.AlarmProps) => cloudwatch.Alarm,
  ): cloudwatch.IWidget[][] {
    const sum = { period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM };
    const lb = gateway.loadBalancer.metrics;
    const targets = gateway.targetGroup.metrics;
    const gatewayMetric = (metricName: string, label: string, statistic: string = cloudwatch.Stats.SUM) =>
      new cloudwatch.Metric({ namespace: GATEWAY_METRICS_NAMESPACE, metricName, dimensionsMap: { ClusterName: clusterName, ServiceName: gateway.serviceName }, period: ONE_MINUTE, statistic, label });
    const unhealthy = targets.unhealthyHostCount({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label: 'unhealthy targets' });
    const healthy = targets.healthyHostCount({ period: ONE_MINUTE, statistic: cloudwatch.Stats.MINIMUM, label: 'healthy targets' });
    const elb5xx = lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { ...sum, label: 'load balancer 5XX' });
    const target5xx = targets.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { ...sum, label: 'gateway 5XX' });
    const connections = lb.activeConnectionCount({ ...sum, label: 'active connections' });
    const newConnections = lb.newConnectionCount({ ...sum, label: 'new connections' });
    const slow = gatewayMetric(GATEWAY_METRICS.slowDisconnects, 'slow-client disconnects (1013)');
    const refusals = gatewayMetric(GATEWAY_METRICS.authRefusals, 'auth refusals (401)');
    // The same metric and statistic the connection step scaling reads (lib/constructs/gateway.ts).
    const connectionsThreshold = Math.round(GATEWAY_CONNECTIONS_PER_TASK * gateway.maxTasks * 0.8);

    addAlarm('gatewayUnhealthyHosts', 'GatewayUnhealthyHostsAlarm', {
      alarmName: `${prefix}-gateway-unhealthy-hosts`,
      alarmDescription: describe(
        'A stream gateway task failed the load balancer health check (/ready: subscribed to Redis) in at least 3 of the last 5 minutes: its clients were moved to the other tasks, which carry more load; with none healthy, browsers get 503.',
        'Read the gateway logs (Redis errors, start-up failures) and /ready of a task; check Redis (engine CPU, connections, AUTH token) and the service events in ECS; the circuit breaker rolls a failing deployment back.',
      ),
      metric: unhealthy,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    addAlarm('gatewayServerErrors', 'GatewayServerErrorsAlarm', {
      alarmName: `${prefix}-gateway-5xx`,
      alarmDescription: describe(
        'The stream gateway load balancer answered 5XX (its own, e.g. 502/503 with no healthy target, or the tasks\') in at least 3 of the last 5 minutes: pages and streams fail to connect.',
        'Check the healthy target count and the gateway-unhealthy-hosts alarm, the gateway logs, and the load balancer access logs (elb_status_code, target_status_code) in the access log bucket.',
      ),
      ...failuresIn3Of5('gateway 5XX', { elb: elb5xx, target: target5xx }),
    });

    addAlarm('gatewayConnectionsHigh', 'GatewayConnectionsHighAlarm', {
      alarmName: `${prefix}-gateway-connections-high`,
      alarmDescription: describe(
        `The stream gateway holds more than ${connectionsThreshold} connections (80% of what ${gateway.maxTasks} tasks, its autoscaling ceiling, are sized for) in 3 of the last 5 minutes: it cannot scale out further, and latency rises.`,
        'Raise gatewayMaxTasks (and the task size) and deploy; check for one client IP opening many connections (access logs; enable gatewayWafRateLimit).',
      ),
      metric: connections,
      threshold: connectionsThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    addAlarm('gatewaySlowClientDisconnects', 'GatewaySlowClientDisconnectsAlarm', {
      alarmName: `${prefix}-gateway-slow-client-disconnects`,
      alarmDescription: describe(
        'The stream gateway closed more than 20 clients a minute with 1013 (they stayed behind longer than the bound) in 3 of the last 5 minutes: many clients cannot keep up, or the tasks cannot write fast enough.',
        'Compare with task CPU and the fan-out latency: high CPU means scale out (gatewayMaxTasks, task size); normal CPU means the clients\' networks (one region or customer in the access logs); raising GATEWAY_CONFLATE_MS sends fewer updates per client.',
      ),
      metric: slow,
      threshold: 20,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    addAlarm('gatewayAuthRefusals', 'GatewayAuthRefusalsAlarm', {
      alarmName: `${prefix}-gateway-auth-refusals`,
      alarmDescription: describe(
        'The stream gateway refused more than 100 requests a minute with 401 (missing, malformed, forged or expired tokens) in 3 of the last 5 minutes: a frontend is not getting tokens, keeps expired ones, or someone is probing.',
        'Read gateway_auth_refusals_total by reason in Prometheus: expired means a frontend does not renew (POST /v1/stream-tokens before expiresAt); forged after a key rotation means a gateway or the API reads another key (check GATEWAY_TOKEN_SECRET_ARN on both); missing or malformed from few IPs is probing (enable gatewayWafRateLimit).',
      ),
      metric: refusals,
      threshold: 100,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: WIDGET_WIDTH, height: WIDGET_HEIGHT, period: ONE_MINUTE, ...extra });
    const perMinute = { leftYAxis: { min: 0, label: 'per minute', showUnits: false } };
    const fanoutMean = new cloudwatch.MathExpression({
      // Sum / SampleCount of the delta-converted histogram: seconds -> ms.
      expression: '1000 * latencySum / latencyCount',
      usingMetrics: {
        latencySum: gatewayMetric(GATEWAY_METRICS.fanoutLatency, 'sum', cloudwatch.Stats.SUM),
        latencyCount: gatewayMetric(GATEWAY_METRICS.fanoutLatency, 'count', cloudwatch.Stats.SAMPLE_COUNT),
      },
      period: ONE_MINUTE,
      label: 'fan-out latency, mean (p99: Grafana / Prometheus alert)',
    });
    return [
      [
        graph('Gateway targets', [healthy, unhealthy], { leftYAxis: { min: 0, showUnits: false } }),
        graph('Gateway connections', [connections, newConnections], { leftAnnotations: [{ value: connectionsThreshold, label: 'alarm threshold', color: cloudwatch.Color.RED }], leftYAxis: { min: 0, showUnits: false } }),
        graph('Gateway 5XX', [elb5xx, target5xx], perMinute),
      ],
      [
        graph('Gateway fan-out latency (trade -> socket write)', [fanoutMean], { leftYAxis: { min: 0, label: 'ms', showUnits: false } }),
        graph('Gateway slow-client disconnects / auth refusals', [slow, refusals], perMinute),
        graph('Gateway CPU / memory', [gateway.service.metricCpuUtilization({ period: ONE_MINUTE, label: 'CPU %' }), gateway.service.metricMemoryUtilization({ period: ONE_MINUTE, label: 'memory %' })], {
          leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
        }),
      ],
    ];
  }
}

/** Alarm description: meaning, action, pointer to the runbook (CloudWatch allows 1024 characters). */
/** Failure counts summed (missing data is none), breaching in 3 of the last 5 minutes. */
function failuresIn3Of5(
  label: string,
  metrics: Record<string, cloudwatch.IMetric>,
): Pick<cloudwatch.AlarmProps, 'metric' | 'threshold' | 'comparisonOperator' | 'evaluationPeriods' | 'datapointsToAlarm' | 'treatMissingData'> {
  return {
    metric: new cloudwatch.MathExpression({
      expression: Object.keys(metrics).map((name) => `FILL(${name}, 0)`).join(' + '),
      usingMetrics: metrics,
      period: ONE_MINUTE,
      label,
    }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
}

/** Key in `alarms`, construct id and name suffix (after `<stage>-market-data-`) of one collector service's alarms. */
export interface CollectorAlarmName {
  key: string;
  id: string;
  name: string;
}

/**
 * The names of a collector service's alarms. Binance's task alarm keeps the
 * key, construct id and name it had when Binance was the only exchange
 * (`collector-<shard>-tasks-below-desired`): a new name would replace the
 * alarm and drop its history. Every other name carries the exchange.
 */
export function collectorAlarmNames(exchange: ExchangeId, shard: number): { tasksBelowDesired: CollectorAlarmName; noMessages: CollectorAlarmName; tradesLost: CollectorAlarmName } {
  const p = pascal(exchange);
  return {
    tasksBelowDesired:
      exchange === 'binance'
        ? { key: `collectorTasksBelowDesired${shard}`, id: `CollectorTasksBelowDesired${shard}Alarm`, name: `collector-${shard}-tasks-below-desired` }
        : { key: `collectorTasksBelowDesired${p}${shard}`, id: `CollectorTasksBelowDesired${p}${shard}Alarm`, name: `collector-${exchange}-${shard}-tasks-below-desired` },
    noMessages: { key: `collectorNoMessages${p}${shard}`, id: `CollectorNoMessages${p}${shard}Alarm`, name: `collector-${exchange}-${shard}-no-messages` },
    tradesLost: { key: `collectorTradesLost${p}${shard}`, id: `CollectorTradesLost${p}${shard}Alarm`, name: `collector-${exchange}-${shard}-trades-lost` },
  };
}

function describe(meaning: string, todo: string): string {
  return `${meaning} What to do: ${todo} Runbook: ${OPERATIONS_DOC}.`;
}

function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return Number.isInteger(gib) ? `${gib} GiB` : `${bytes} bytes`;
}

/** One line per `result`, summed over the collector services. */
function sumOverServices(
  services: readonly (CollectorMonitoringProps & { index: number })[],
  result: string,
  metric: (service: ecs.FargateService) => cloudwatch.Metric,
): cloudwatch.IMetric {
  const usingMetrics = Object.fromEntries(services.map(({ service, index }) => [`${result}${index}`, metric(service)]));
  const ids = Object.keys(usingMetrics);
  const expression = ids.length === 0 ? '0' : ids.length === 1 ? ids[0]! : `SUM([${ids.join(', ')}])`;
  return new cloudwatch.MathExpression({ expression, usingMetrics, label: result, period: ONE_MINUTE });
}

/**
 * CloudWatch has no replication-group dimension for ElastiCache node metrics:
 * they are published per member cluster, `CacheClusterId` =
 * `<replicationGroupId>-001`, `-002`, ... (cluster mode disabled) or
 * `<replicationGroupId>-0001-001`, ... (cluster mode enabled, per shard).
 * `Ref` of the replication group is its id (ElastiCache stores ids in
 * lower case, so give the group a lower-case `replicationGroupId`).
 */
export function redisCacheClusterIds(redis: elasticache.CfnReplicationGroup): string[] {
  const groupId = redis.ref;
  const num = (value: number | undefined, fallback: number) => (typeof value === 'number' && !Token.isUnresolved(value) ? value : fallback);
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  const shards = num(redis.numNodeGroups, 1);
  const clusterModeEnabled = redis.clusterMode === 'enabled' || shards > 1;
  if (clusterModeEnabled) {
    const nodesPerShard = num(redis.replicasPerNodeGroup, 1) + 1;
    return range(shards).flatMap((shard) => range(nodesPerShard).map((node) => Fn.join('-', [groupId, pad(shard + 1, 4), pad(node + 1, 3)])));
  }
  const nodes = num(redis.numCacheClusters, redis.replicasPerNodeGroup !== undefined ? num(redis.replicasPerNodeGroup, 1) + 1 : 2);
  return range(nodes).map((node) => Fn.join('-', [groupId, pad(node + 1, 3)]));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * The task-count alarms read Container Insights; without it they stay in ALARM
 * (missing data is breaching). Warn at synth time when the cluster is ours to
 * inspect and does not enable it.
 */
function checkContainerInsights(scope: Construct, cluster: ecs.ICluster): void {
  const cfn = cluster.node.defaultChild;
  if (!(cfn instanceof ecs.CfnCluster)) return;
  const settings = cfn.clusterSettings;
  if (settings === undefined || Token.isUnresolved(settings) || !Array.isArray(settings)) {
    if (settings === undefined) warnContainerInsights(scope);
    return;
  }
  const enabled = settings.some((s) => !Token.isUnresolved(s) && (s as ecs.CfnCluster.ClusterSettingsProperty).name === 'containerInsights' && ['enabled', 'enhanced'].includes(String((s as ecs.CfnCluster.ClusterSettingsProperty).value)));
  if (!enabled) warnContainerInsights(scope);
}

function warnContainerInsights(scope: Construct): void {
  Annotations.of(scope).addWarningV2(
    'market-data:monitoring:containerInsights',
    'The collector cluster does not enable Container Insights (containerInsightsV2: ENABLED or ENHANCED); the "tasks below desired" alarms read ECS/ContainerInsights and will stay in ALARM without it.',
  );
}
