import { Duration, RemovalPolicy, Stack, aws_aps as aps, aws_ec2 as ec2, aws_efs as efs, aws_ecr_assets as ecrAssets, aws_ecs as ecs, aws_iam as iam, aws_logs as logs, aws_secretsmanager as secretsmanager, aws_sqs as sqs, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { CollectorDeployment } from '../config';
import { collectorLogPrefix, collectorServiceName, collectorShardId, collectorSpillPath, EXCHANGE_ENDPOINT_VARIABLES, type ExchangeId } from '../exchanges';
import { COLLECTOR_DIMENSIONS, COLLECTOR_EXCHANGE_LABEL, COLLECTOR_EMF_METRIC_DECLARATIONS, COLLECTOR_METRICS } from '../monitoring/metrics';
import { CollectorPrometheusRules } from '../monitoring/prometheus-rules';
import { adotConfig } from './adot-config';
import { REPO_ROOT } from './node-function';

export interface CollectorProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  stageName: string;
  /** One set of shard services per exchange. */
  deployments: CollectorDeployment[];
  tasksPerShard: number;
  cpu: number;
  memoryMiB: number;
  symbols: string;
  redisUrl: string;
  redisAuthToken: secretsmanager.ISecret;
  queue: sqs.IQueue;
  logRetention: logs.RetentionDays;
  adotImage: string;
  metricsNamespace: string;
}

/** Collector HTTP port: /health, /ready, /status, /metrics. */
export const COLLECTOR_HTTP_PORT = 8080;
/**
 * Where the collector spills unsent SQS batches: an EFS access point per
 * service, so a spill outlives the task that wrote it (deploy, scale-in, OOM,
 * crash during an SQS outage) and the service's next task adopts and drains it.
 */
export const SPILL_DIR = '/app/spill';
/** The `node` user of the node:22-slim image the collector runs as. */
const CONTAINER_UID = '1000';

/** One collector service: an exchange's shard. */
export interface CollectorShard {
  exchange: ExchangeId;
  shard: number;
  /** Shards of this exchange (SHARD_COUNT). */
  shardCount: number;
  /** The explicit ECS service name: the `ServiceName` dimension of its metrics. */
  serviceName: string;
  service: ecs.FargateService;
  accessPoint: efs.AccessPoint;
}

/**
 * The collector on ECS Fargate (ARM64): one service per exchange and shard
 * (`EXCHANGE`, and SHARD_INDEX / SHARD_COUNT of that exchange), each running
 * `tasksPerShard` identical tasks (active-active; duplicates are idempotent
 * downstream). Deployments start the new task before stopping the old one
 * (100 % / 200 %) and roll back when the circuit breaker trips. Each task has an
 * ADOT sidecar that scrapes /metrics into the stack's Amazon Managed Service for
 * Prometheus workspace and CloudWatch (namespace `metricsNamespace`); the
 * workspace evaluates the collector's alerting rules (lib/monitoring/prometheus).
 */
export class Collector extends Construct {
  readonly cluster: ecs.Cluster;
  readonly services: ecs.FargateService[] = [];
  /** The services with their exchange and shard, in `deployments` order. */
  readonly shards: CollectorShard[] = [];
  readonly securityGroup: ec2.SecurityGroup;
  readonly workspace: aps.CfnWorkspace;
  readonly prometheusRules: CollectorPrometheusRules;
  readonly taskRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly metricsLogGroup: logs.LogGroup;
  readonly spillFileSystem: efs.FileSystem;
  readonly spillAccessPoints: efs.AccessPoint[] = [];

  constructor(scope: Construct, id: string, props: CollectorProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Collector tasks: no inbound; outbound to the exchange (NAT), Redis, SQS and AWS endpoints',
      allowAllOutbound: true,
    });
    this.workspace = new aps.CfnWorkspace(this, 'Prometheus', { alias: `market-data-${props.stageName}` });
    // The alerts on the collector's own metrics live next to the series they read.
    this.prometheusRules = new CollectorPrometheusRules(this, 'PrometheusRules', { workspaceArn: this.workspace.attrArn });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.metricsLogGroup = new logs.LogGroup(this, 'MetricsLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });

    // One role for every exchange's and shard's tasks: send to the history queue, remote-write to
    // this workspace only, and write EMF events to the metrics log group only.
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Market data collector tasks',
    });
    props.queue.grantSendMessages(this.taskRole);
    this.taskRole.addToPolicy(new iam.PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [this.workspace.attrArn] }));
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.metricsLogGroup.logGroupArn],
      }),
    );

    // Spill storage: encrypted at rest and in transit, mounted only through the
    // services' access points with IAM authorization. Its content is transient
    // (batches waiting for SQS), so it is neither backed up nor retained.
    this.spillFileSystem = new efs.FileSystem(this, 'Spill', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      encrypted: true,
      throughputMode: efs.ThroughputMode.ELASTIC,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      enableAutomaticBackups: false,
      allowAnonymousAccess: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.spillFileSystem.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['*'],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    this.spillFileSystem.connections.allowDefaultPortFrom(this.securityGroup, 'collector tasks mount their spill access point');

    const image = new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: REPO_ROOT,
      file: 'services/collector/Dockerfile',
      platform: ecrAssets.Platform.LINUX_ARM64,
    });

    const shards = props.deployments.flatMap((deployment) => Array.from({ length: deployment.shardCount }, (_, shard) => ({ ...deployment, shard })));
    for (const { exchange, shard, shardCount, endpoints } of shards) {
      // Explicit service names: the CloudWatch dimension ServiceName of the collector metrics.
      const serviceName = collectorServiceName(exchange, shard);
      const id = collectorShardId(exchange, shard);
      // `exchange` reaches Prometheus only: CloudWatch keeps ServiceName (which names the exchange) as its dimension.
      const labels: Record<(typeof COLLECTOR_DIMENSIONS)[number] | typeof COLLECTOR_EXCHANGE_LABEL, string> = {
        ClusterName: this.cluster.clusterName,
        ServiceName: serviceName,
        [COLLECTOR_EXCHANGE_LABEL]: exchange,
      };
      const endpointVariables = EXCHANGE_ENDPOINT_VARIABLES[exchange];
      const taskDefinition = new ecs.FargateTaskDefinition(this, `${id}Task`, {
        cpu: props.cpu,
        memoryLimitMiB: props.memoryMiB,
        runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
        taskRole: this.taskRole,
      });
      // One directory per service: its tasks adopt each other's orphaned spills, never another shard's or exchange's.
      const accessPoint = this.spillFileSystem.addAccessPoint(`${id}Spill`, {
        path: collectorSpillPath(exchange, shard),
        createAcl: { ownerUid: CONTAINER_UID, ownerGid: CONTAINER_UID, permissions: '750' },
        posixUser: { uid: CONTAINER_UID, gid: CONTAINER_UID },
      });
      this.spillAccessPoints.push(accessPoint);
      taskDefinition.addVolume({
        name: 'spill',
        efsVolumeConfiguration: {
          fileSystemId: this.spillFileSystem.fileSystemId,
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: accessPoint.accessPointId, iam: 'ENABLED' },
        },
      });
      const collectorContainer = taskDefinition.addContainer('collector', {
        image: ecs.ContainerImage.fromDockerImageAsset(image),
        essential: true,
        environment: {
          EXCHANGE: exchange,
          SHARD_INDEX: String(shard),
          SHARD_COUNT: String(shardCount),
          SYMBOLS: props.symbols,
          [endpointVariables.ws]: endpoints.wsUrl,
          [endpointVariables.rest]: endpoints.restUrl,
          REDIS_URL: props.redisUrl,
          SQS_QUEUE_URL: props.queue.queueUrl,
          AWS_REGION: region,
          HTTP_PORT: String(COLLECTOR_HTTP_PORT),
          SPILL_DIR,
          LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        },
        secrets: { REDIS_PASSWORD: ecs.Secret.fromSecretsManager(props.redisAuthToken) },
        portMappings: [{ containerPort: COLLECTOR_HTTP_PORT, name: 'http' }],
        // node:22-slim has no curl; Node's fetch probes liveness.
        healthCheck: {
          command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${COLLECTOR_HTTP_PORT}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
          interval: Duration.seconds(15),
          timeout: Duration.seconds(5),
          retries: 3,
          startPeriod: Duration.seconds(60),
        },
        // The graceful stop (flush to Redis and SQS, spill the rest) takes at most 10 s.
        stopTimeout: Duration.seconds(30),
        logging: ecs.LogDrivers.awsLogs({ streamPrefix: collectorLogPrefix('collector', exchange, shard), logGroup: this.logGroup }),
      });
      collectorContainer.addMountPoints({ containerPath: SPILL_DIR, sourceVolume: 'spill', readOnly: false });
      taskDefinition.addContainer('adot', {
        image: ecs.ContainerImage.fromRegistry(props.adotImage),
        // Losing metrics export must not stop the collector.
        essential: false,
        cpu: 64,
        memoryReservationMiB: 128,
        environment: {
          AOT_CONFIG_CONTENT: adotConfig({
            prometheusEndpoint: this.workspace.attrPrometheusEndpoint,
            region,
            namespace: props.metricsNamespace,
            emfLogGroupName: this.metricsLogGroup.logGroupName,
            labels,
            metricsPort: COLLECTOR_HTTP_PORT,
            cloudWatchMetricNames: Object.values(COLLECTOR_METRICS),
            metricDeclarations: COLLECTOR_EMF_METRIC_DECLARATIONS.map((d) => ({ dimensions: d.dimensions.map((set) => [...set]), metric_name_selectors: [...d.metric_name_selectors] })),
            cloudWatchHistograms: [COLLECTOR_METRICS.updateLatency],
          }),
        },
        logging: ecs.LogDrivers.awsLogs({ streamPrefix: collectorLogPrefix('adot', exchange, shard), logGroup: this.logGroup }),
      });
      Validations.of(taskDefinition).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason: 'The environment holds only non-secret settings (exchange, shard, URLs, queue URL, ADOT pipeline); the Redis AUTH token comes from Secrets Manager through `secrets`.',
      });

      const service = new ecs.FargateService(this, id, {
        cluster: this.cluster,
        serviceName,
        taskDefinition,
        desiredCount: props.tasksPerShard,
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        circuitBreaker: { enable: true, rollback: true },
        securityGroups: [this.securityGroup],
        vpcSubnets: props.subnets,
        assignPublicIp: false,
        platformVersion: ecs.FargatePlatformVersion.LATEST,
        propagateTags: ecs.PropagatedTagSource.SERVICE,
        availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.ENABLED,
      });
      this.services.push(service);
      this.shards.push({ exchange, shard, shardCount, serviceName, service, accessPoint });
    }

    // Mount and write, no root access, and only through this stack's collector access points.
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: [this.spillFileSystem.fileSystemArn],
        conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': this.spillAccessPoints.map((ap) => ap.accessPointArn) } },
      }),
    );

    // The execution role pulls the image and reads the AUTH token for the container.
    for (const service of this.services) {
      const role = service.taskDefinition.executionRole;
      if (role) {
        Validations.of(role).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'ecr:GetAuthorizationToken has no resource-level permissions; the image pull actions themselves are limited to the asset repository.',
        });
      }
    }
  }
}
