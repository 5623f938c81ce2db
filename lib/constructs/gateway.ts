import {
  Annotations,
  CfnCondition,
  CfnMapping,
  CfnResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Token,
  aws_aps as aps,
  aws_ec2 as ec2,
  aws_ecr_assets as ecrAssets,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_logs as logs,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_wafv2 as wafv2,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { GATEWAY_DIMENSIONS, GATEWAY_EMF_METRIC_DECLARATIONS, GATEWAY_METRICS } from '../monitoring/metrics';
import { GatewayPrometheusRules } from '../monitoring/prometheus-rules';
import { adotConfig } from './adot-config';
import { NodeFunction, REPO_ROOT } from './node-function';

/** Where the gateway's Prometheus metrics go: the collector's workspace and CloudWatch, through an ADOT sidecar. */
export interface GatewayMetricsProps {
  /** ADOT collector image (pinned tag), the collector's. */
  adotImage: string;
  /** The stack's Amazon Managed Service for Prometheus workspace. */
  workspace: aps.CfnWorkspace;
}

export interface GatewayProps {
  vpc: ec2.IVpc;
  /** Where the internet-facing load balancer lives. */
  publicSubnets: ec2.SubnetSelection;
  /** Where the tasks run (private, with egress for the image pull and AWS APIs). */
  taskSubnets: ec2.SubnetSelection;
  cluster: ecs.ICluster;
  stageName: string;
  redisUrl: string;
  redisAuthToken: secretsmanager.ISecret;
  logRetention: logs.RetentionDays;
  metricsNamespace: string;
  /** ACM certificate of the HTTPS listener. Required unless `httpOnlyReason` is given. */
  certificateArn?: string;
  /** A test stage without a certificate: plain HTTP, allowed only with the reason it is acceptable there. */
  httpOnlyReason?: string;
  minTasks?: number;
  maxTasks?: number;
  cpu?: number;
  memoryMiB?: number;
  conflateMs?: number;
  /** Requests per 5 minutes per client IP above which WAF blocks; no WAF when unset. */
  wafRateLimit?: number;
  /** The metrics sidecar; without it /metrics is only scraped by whoever reaches the task. */
  metrics?: GatewayMetricsProps;
}

/** Gateway HTTP port in the task: the page, /v1/stream, /v1/stream/sse, /health, /ready, /metrics. */
export const GATEWAY_PORT = 8090;
/**
 * Longer than the client's ping interval (15 s) with room for a slow network,
 * so the load balancer never closes a live stream; an idle one still goes.
 */
export const GATEWAY_IDLE_TIMEOUT = Duration.seconds(120);
/** Connections per task the step scaling keeps under (the gateway's own gauge, see docs/stream.md). */
export const GATEWAY_CONNECTIONS_PER_TASK = 5_000;

/**
 * The stream gateway on Fargate (ARM64) behind an internet-facing ALB. Tasks
 * accept traffic from the load balancer only and reach Redis (and, on 443, the
 * AWS APIs the platform needs: image pull, logs, the signing key). Scaling
 * tracks CPU and steps on the load balancer's active connections per task.
 * The token signing key lives in Secrets Manager and rotates every 30 days:
 * gateways verify with the current and the previous key, so rotation drops
 * nobody (lambdas/token-keys).
 */
export class Gateway extends Construct {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  readonly tokenSigningKey: secretsmanager.Secret;
  readonly logGroup: logs.LogGroup;
  /** EMF events of the metrics sidecar (CloudWatch namespace `metricsNamespace`), when `metrics` is given. */
  readonly metricsLogGroup?: logs.LogGroup;
  /** The fan-out p99 and Redis subscription alerts in the workspace, when `metrics` is given. */
  readonly prometheusRules?: GatewayPrometheusRules;
  /** The service's explicit name: the CloudWatch dimension ServiceName of its metrics. */
  readonly serviceName: string;
  readonly webAcl?: wafv2.CfnWebACL;
  /** `https` with a certificate, `http` on an HTTP-only test stage. */
  readonly protocol: 'https' | 'http';

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id);
    if (!props.certificateArn && !props.httpOnlyReason) {
      throw new Error('Gateway: give gatewayCertificateArn (an ACM certificate for the HTTPS listener), or gatewayHttpOnlyReason for a test stage served over plain HTTP');
    }
    const minTasks = props.minTasks ?? 2;
    const maxTasks = props.maxTasks ?? 10;

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.tokenSigningKey = new secretsmanager.Secret(this, 'TokenSigningKey', {
      description: `Stream token signing key (${props.stageName}): the config API signs, gateways verify with AWSCURRENT and AWSPREVIOUS`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const rotation = new NodeFunction(this, 'KeyRotation', {
      entry: 'lambdas/token-keys/index.ts',
      serviceName: 'token-key-rotation',
      metricsNamespace: props.metricsNamespace,
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
      description: 'Rotates the stream token signing key (new AWSCURRENT, old AWSPREVIOUS)',
    });
    this.tokenSigningKey.grantRead(rotation.function);
    this.tokenSigningKey.grantWrite(rotation.function);
    rotation.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage'], resources: [this.tokenSigningKey.secretArn] }),
    );
    rotation.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }));
    Validations.of(rotation.function).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'secretsmanager:GetRandomPassword acts on no resource and accepts no resource-level restriction.',
    });
    this.tokenSigningKey.addRotationSchedule('Rotation', { rotationLambda: rotation.function, automaticallyAfter: Duration.days(30) });

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: 'Stream gateway load balancer: HTTPS (and HTTP redirect) from the internet',
      allowAllOutbound: false,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: props.vpc,
      description: 'Stream gateway tasks: from the load balancer only; to Redis and to AWS APIs on 443',
      allowAllOutbound: false,
    });
    this.securityGroup.connections.allowFrom(this.loadBalancerSecurityGroup, ec2.Port.tcp(GATEWAY_PORT), 'load balancer to gateway tasks');
    // Image pull (ECR, S3), CloudWatch Logs and Secrets Manager: the Fargate platform and the key refresh.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs (ECR, S3, CloudWatch Logs, Secrets Manager)');

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      lifecycleRules: [{ expiration: Duration.days(30) }],
    });
    Validations.of(accessLogs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This bucket receives the load balancer access logs; logging the log bucket itself would only log the logging.' });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.publicSubnets,
      internetFacing: true,
      securityGroup: this.loadBalancerSecurityGroup,
      idleTimeout: GATEWAY_IDLE_TIMEOUT,
      dropInvalidHeaderFields: true,
      http2Enabled: true,
    });
    logAccessLogs(this, this.loadBalancer, accessLogs, 'gateway');

    const image = new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: REPO_ROOT,
      file: 'services/gateway/Dockerfile',
      platform: ecrAssets.Platform.LINUX_ARM64,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryMiB ?? 2048,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.tokenSigningKey.grantRead(taskDefinition.taskRole);
    taskDefinition.addContainer('gateway', {
      image: ecs.ContainerImage.fromDockerImageAsset(image),
      essential: true,
      environment: {
        GATEWAY_PORT: String(GATEWAY_PORT),
        REDIS_URL: props.redisUrl,
        GATEWAY_AUTH: 'token',
        // The gateway reads AWSCURRENT and AWSPREVIOUS itself and refreshes them, so a rotation reaches running tasks.
        GATEWAY_TOKEN_SECRET_ARN: this.tokenSigningKey.secretArn,
        GATEWAY_CONFLATE_MS: String(props.conflateMs ?? 250),
        // Every connection comes from the load balancer: the per-IP cap must count the
        // client address the ALB appends to X-Forwarded-For (the last entry, which a
        // client cannot forge since tasks accept the ALB only), not the ALB's own.
        GATEWAY_TRUST_PROXY: 'true',
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      secrets: { REDIS_PASSWORD: ecs.Secret.fromSecretsManager(props.redisAuthToken) },
      portMappings: [{ containerPort: GATEWAY_PORT, name: 'http' }],
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${GATEWAY_PORT}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      // Clients are told to reconnect (close 1001) and do so through the other tasks.
      stopTimeout: Duration.seconds(30),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'gateway', logGroup: this.logGroup }),
    });
    this.serviceName = `gateway-${props.stageName}`;
    if (props.metrics) {
      const metricsLogGroup = new logs.LogGroup(this, 'MetricsLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
      this.metricsLogGroup = metricsLogGroup;
      // The alerts on the gateway's own metrics live next to the series they read.
      this.prometheusRules = new GatewayPrometheusRules(this, 'PrometheusRules', { workspaceArn: props.metrics.workspace.attrArn });
      // Remote-write to this workspace only, EMF events to this log group only.
      taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [props.metrics.workspace.attrArn] }));
      taskDefinition.taskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [metricsLogGroup.logGroupArn] }),
      );
      const labels: Record<(typeof GATEWAY_DIMENSIONS)[number], string> = { ClusterName: props.cluster.clusterName, ServiceName: this.serviceName };
      taskDefinition.addContainer('adot', {
        image: ecs.ContainerImage.fromRegistry(props.metrics.adotImage),
        // Losing metrics export must not stop the streams.
        essential: false,
        cpu: 64,
        memoryReservationMiB: 128,
        environment: {
          AOT_CONFIG_CONTENT: adotConfig({
            prometheusEndpoint: props.metrics.workspace.attrPrometheusEndpoint,
            region: Stack.of(this).region,
            namespace: props.metricsNamespace,
            emfLogGroupName: metricsLogGroup.logGroupName,
            labels,
            metricsPort: GATEWAY_PORT,
            cloudWatchMetricNames: Object.values(GATEWAY_METRICS),
            metricDeclarations: GATEWAY_EMF_METRIC_DECLARATIONS.map((d) => ({ dimensions: d.dimensions.map((set) => [...set]), metric_name_selectors: [...d.metric_name_selectors] })),
            cloudWatchHistograms: [GATEWAY_METRICS.fanoutLatency],
            jobName: 'gateway',
          }),
        },
        logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'adot', logGroup: this.logGroup }),
      });
    }
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The environment holds only non-secret settings (port, Redis URL, the signing key ARN, conflation, the ADOT pipeline); the Redis AUTH token comes from Secrets Manager through `secrets`.',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      serviceName: this.serviceName,
      taskDefinition,
      desiredCount: minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      securityGroups: [this.securityGroup],
      vpcSubnets: props.taskSubnets,
      assignPublicIp: false,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.ENABLED,
    });
    const executionRole = taskDefinition.executionRole;
    if (executionRole) {
      Validations.of(executionRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken has no resource-level permissions; the image pull actions themselves are limited to the asset repository.',
      });
    }

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: props.vpc,
      port: GATEWAY_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [this.service],
      // Ready = subscribed to Redis: a task that cannot fan out gets no clients.
      healthCheck: { path: '/ready', healthyHttpCodes: '200', interval: Duration.seconds(10), timeout: Duration.seconds(5), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
      // Long enough for clients to take the close and reconnect elsewhere, short enough for quick deploys.
      deregistrationDelay: Duration.seconds(30),
    });

    this.protocol = props.certificateArn ? 'https' : 'http';
    if (props.certificateArn) {
      this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: true,
        defaultTargetGroups: [this.targetGroup],
      });
      this.loadBalancer.addRedirect({ sourcePort: 80, sourceProtocol: elbv2.ApplicationProtocol.HTTP, targetPort: 443, targetProtocol: elbv2.ApplicationProtocol.HTTPS });
    } else {
      this.loadBalancer.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, open: true, defaultTargetGroups: [this.targetGroup] });
      Annotations.of(this).addWarningV2('mdc:gateway-http-only', `The stream gateway is served over plain HTTP: ${props.httpOnlyReason}`);
    }
    Validations.of(this.loadBalancerSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'An internet-facing load balancer for browsers: the listener ports are open to the internet on purpose; tasks accept traffic from this security group only.',
    });

    const scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60, scaleInCooldown: Duration.minutes(5), scaleOutCooldown: Duration.minutes(1) });
    scaling.scaleOnMetric('Connections', {
      metric: this.loadBalancer.metrics.activeConnectionCount({ period: Duration.minutes(1), statistic: 'Sum' }),
      scalingSteps: [
        { upper: GATEWAY_CONNECTIONS_PER_TASK * minTasks * 0.5, change: 0 },
        { lower: GATEWAY_CONNECTIONS_PER_TASK * minTasks, change: +1 },
        { lower: GATEWAY_CONNECTIONS_PER_TASK * minTasks * 2, change: +2 },
      ],
      cooldown: Duration.minutes(2),
    });

    if (props.wafRateLimit !== undefined) {
      this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
        scope: 'REGIONAL',
        defaultAction: { allow: {} },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `gateway-${props.stageName}`, sampledRequestsEnabled: true },
        rules: [
          {
            name: 'rate-per-ip',
            priority: 0,
            action: { block: {} },
            statement: { rateBasedStatement: { limit: props.wafRateLimit, aggregateKeyType: 'IP' } },
            visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `gateway-${props.stageName}-rate`, sampledRequestsEnabled: true },
          },
        ],
      });
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.loadBalancer.loadBalancerArn, webAclArn: this.webAcl.attrArn });
    }
  }

  /** `https://host` (or `http://host` on an HTTP-only stage) of the page and the streams. */
  get url(): string {
    return `${this.protocol}://${this.loadBalancer.loadBalancerDnsName}`;
  }
}

/**
 * `logAccessLogs` for an environment-agnostic stack too. The CDK's own needs
 * the region at synth time to pick who may write the logs: the regional Elastic
 * Load Balancing account in regions older than August 2022, the log delivery
 * service principal in newer ones. Without a region this writes both into the
 * bucket policy, the account picked at deploy time from a mapping of the
 * regions the CDK knows (the stack's own account where a region has none, which
 * grants nothing new).
 */
function logAccessLogs(scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer, bucket: s3.Bucket, prefix: string): void {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) {
    loadBalancer.logAccessLogs(bucket, prefix);
    return;
  }
  loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
  loadBalancer.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  loadBalancer.setAttribute('access_logs.s3.prefix', prefix);
  const accounts: Record<string, Record<string, string>> = {};
  for (const region of RegionInfo.regions) {
    accounts[region.name] = { account: region.elbv2Account ?? 'none' };
  }
  const mapping = new CfnMapping(scope, 'ElbAccounts', { mapping: accounts });
  const elbAccount = mapping.findInMap(stack.region, 'account');
  const hasElbAccount = new CfnCondition(scope, 'RegionHasElbAccount', { expression: Fn.conditionNot(Fn.conditionEquals(elbAccount, 'none')) });
  const writer = Fn.conditionIf(hasElbAccount.logicalId, Fn.join('', ['arn:', stack.partition, ':iam::', elbAccount, ':root']), Fn.join('', ['arn:', stack.partition, ':iam::', stack.account, ':root'])).toString();
  const objects = bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`);
  bucket.addToResourcePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], principals: [new iam.ArnPrincipal(writer)], resources: [objects] }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')], resources: [objects] }));
  const lb = loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer;
  const policy = bucket.policy?.node.defaultChild;
  // The load balancer checks that it may write when access logging is switched on.
  if (policy) lb.addResourceDependency(policy as CfnResource);
}
