import { App, CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { DEFAULT_VISIBILITY_BACKOFF, receivesWithin } from '../../lambdas/ingest';
import { buildApp } from '../../lib/app';
import { MAX_RECEIVE_COUNT } from '../../lib/constructs/history-queue';
import type { MarketDataStack } from '../../lib/market-data-stack';
import { COLLECTOR_RULES_NAMESPACE, collectorRules, GATEWAY_RULES_NAMESPACE, gatewayRules } from '../../lib/monitoring';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

// One synthesis for the whole file: bundling each NodejsFunction with esbuild costs seconds.
let app: App;
let stack: MarketDataStack;
let template: Template;
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const logicalId = (construct: IConstruct) => stack.getLogicalId((CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement);
const ref = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });
const containers = (td: Record<string, unknown>) => td.ContainerDefinitions as Array<Record<string, unknown>>;
/** The collectors' task definitions (the gateway's has its own tests below). */
const taskDefinitions = () =>
  ofType('AWS::ECS::TaskDefinition')
    .map(([, r]) => r.Properties)
    .filter((td) => containers(td).some((c) => c.Name === 'collector'));
const gatewayTaskDefinition = () => {
  const found = ofType('AWS::ECS::TaskDefinition').map(([, r]) => r.Properties).filter((td) => containers(td).some((c) => c.Name === 'gateway'));
  expect(found).toHaveLength(1);
  return found[0]!;
};

beforeAll(() => {
  app = new App({ context: { stageName: 'test', shardCount: 2, alarmEmail: 'ops@example.com', gatewayCertificateArn: CERTIFICATE_ARN, gatewayWafRateLimit: 2000 } });
  ({ stack } = buildApp(app));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
});

describe('encryption', () => {
  test('SQS queue and DLQ use SQS-managed encryption and deny non-TLS access', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues).toHaveLength(2);
    for (const [, queue] of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = ofType('AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(2);
    for (const [, policy] of policies) {
      expect(JSON.stringify(policy.Properties)).toContain('"aws:SecureTransport":"false"');
    }
  });

  test('RDS storage is encrypted, Multi-AZ, protected and snapshotted on removal', () => {
    template.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ StorageEncrypted: true, MultiAZ: true, DeletionProtection: true, Engine: 'postgres', EngineVersion: Match.stringLikeRegexp('^16\\.') }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  test('ElastiCache encrypts in transit and at rest, Multi-AZ with failover, AUTH token from Secrets Manager', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      NumCacheClusters: 2,
      AuthToken: { 'Fn::Join': ['', Match.arrayWith(['{{resolve:secretsmanager:', Match.objectLike({ Ref: logicalId(stack.redis.authToken) })])] },
    });
  });

  test('the database parameter group preloads pg_cron and forces TLS', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: Match.objectLike({ shared_preload_libraries: Match.stringLikeRegexp('pg_cron'), 'cron.database_name': 'mdc', 'rds.force_ssl': '1' }),
    });
    template.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL' });
    // The master (single-user) and the ingest and API logins (multi-user, through the master), and the stream token key.
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 4);
  });
});

describe('queue and ingest', () => {
  test('DLQ redrive only after more receives than a retention-long outage takes with the visibility backoff', () => {
    // Prepare
    const retention = 4 * 24 * 3600;

    // Act
    const receives = receivesWithin(retention, DEFAULT_VISIBILITY_BACKOFF);

    // Assert
    expect(receives).toBe(102);
    expect(MAX_RECEIVE_COUNT).toBe(receives + 5);
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: retention,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.history.deadLetterQueue), 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  });

  test('the ingest function may change the visibility of history messages, and reaches SQS from its isolated subnets', () => {
    // Prepare
    const roleId = logicalId(stack.ingest.function.role!);
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

    // Act
    const grants = statements.filter((s) => s.Effect === 'Allow' && actions(s).includes('sqs:ChangeMessageVisibility'));

    // Assert
    expect(grants).toHaveLength(1);
    expect(resourcesOf(grants[0]!)).toEqual([{ 'Fn::GetAtt': [logicalId(stack.history.queue), 'Arn'] }]);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.sqs$')])] }),
      PrivateDnsEnabled: true,
      VpcEndpointType: 'Interface',
    });
    const egress = resources[logicalId(stack.ingestSecurityGroup)]!.Properties.SecurityGroupEgress as Array<Record<string, unknown>>;
    expect(egress).toEqual(expect.arrayContaining([expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: '-1' })]));
  });

  test('visibility timeout is at least 6x the ingest function timeout', () => {
    const fn = resources[logicalId(stack.ingest.function)]!;
    const queue = resources[logicalId(stack.history.queue)]!;
    expect(queue.Properties.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * (fn.Properties.Timeout as number));
  });

  test('the event source reports batch item failures and uses the configured batching', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack.ingest.function) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  test('functions run Node.js 22 on ARM64 with tracing, source maps and Powertools settings', () => {
    for (const fn of [stack.ingest.function, stack.migrations.function.function]) {
      const props = resources[logicalId(fn)]!.Properties;
      expect(props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      expect((props.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: expect.any(String),
        POWERTOOLS_METRICS_NAMESPACE: 'MarketDataIngest',
        LOG_LEVEL: 'INFO',
      });
    }
  });

  test('ingest reaches PostgreSQL through RDS Proxy', () => {
    const env = (resources[logicalId(stack.ingest.function)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.DB_HOST).toEqual({ 'Fn::GetAtt': [logicalId(stack.database.proxy), 'Endpoint'] });
    expect(env.DB_SSLMODE).toBe('verify-full');
    expect(env.DB_SECRET_ARN).toBeDefined();
  });

  test('the migrations custom resource carries a hash of the SQL files and a 10+ minute function', () => {
    template.hasResourceProperties('Custom::SchemaMigrations', { MigrationsHash: Match.stringLikeRegexp('^[0-9a-f]{64}$') });
    expect(resources[logicalId(stack.migrations.function.function)]!.Properties.Timeout as number).toBeGreaterThanOrEqual(600);
    expect(resources[logicalId(stack.ingestEventSource)]!.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^Migrations/)]));
  });
});

describe('least privilege', () => {
  const policyStatements = (): Array<[string, Statement]> =>
    ofType('AWS::IAM::Policy').flatMap(([id, p]) => ((p.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map((s): [string, Statement] => [id, s]));

  test('no policy grants a * action or a service-wide action on data resources', () => {
    for (const [id, statement] of policyStatements()) {
      for (const action of actions(statement)) {
        expect([id, action]).not.toEqual([id, '*']);
        expect([id, action]).not.toEqual([id, expect.stringMatching(/^(sqs|secretsmanager|rds|elasticache|aps|logs|kms):\*$/)]);
      }
    }
  });

  test('the collector task role remote-writes only to the stack workspace and sends only to the history queue', () => {
    const roleId = logicalId(stack.collector.taskRole);
    const statements = policyStatements()
      .filter(([id]) => (resources[id]!.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
      .map(([, s]) => s);
    const aps = statements.filter((s) => actions(s).some((a) => a.startsWith('aps:')));
    expect(aps).toHaveLength(1);
    expect(actions(aps[0]!)).toEqual(['aps:RemoteWrite']);
    expect(resourcesOf(aps[0]!)).toEqual([{ 'Fn::GetAtt': [logicalId(stack.collector.workspace), 'Arn'] }]);
    const sqs = statements.filter((s) => actions(s).some((a) => a.startsWith('sqs:')));
    expect(sqs.flatMap(actions)).toEqual(expect.arrayContaining(['sqs:SendMessage']));
    expect(sqs.flatMap(actions)).not.toEqual(expect.arrayContaining(['sqs:ReceiveMessage']));
    for (const s of sqs) expect(resourcesOf(s)).toEqual([{ 'Fn::GetAtt': [logicalId(stack.history.queue), 'Arn'] }]);
    for (const s of statements) expect(resourcesOf(s)).not.toContain('*');
  });
});

describe('security groups', () => {
  const ingressTo = (groupId: string) =>
    ofType('AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(ref(groupId)));

  test('Redis admits 6379 only from the collector, the config API function and the stream gateway tasks', () => {
    const rules = ingressTo(logicalId(stack.redis.securityGroup));
    expect(rules.length).toBeGreaterThan(0);
    const allowed = [stack.collector.securityGroup, stack.configApi.securityGroup, stack.gateway.securityGroup].map((sg) => ref(logicalId(sg)));
    for (const rule of rules) {
      expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379 });
      expect(rule.CidrIp).toBeUndefined();
      expect(allowed).toContainEqual(rule.SourceSecurityGroupId);
    }
    expect(rules.map((r) => r.SourceSecurityGroupId)).toEqual(expect.arrayContaining(allowed));
    const inline = resources[logicalId(stack.redis.securityGroup)]!.Properties.SecurityGroupIngress;
    expect(inline).toBeUndefined();
  });

  test('PostgreSQL admits 5432 only from the proxy, the migrate function and the rotation function; the proxy only from ingest and the config API', () => {
    const dbRules = ingressTo(logicalId(stack.database.securityGroup));
    expect(dbRules.length).toBeGreaterThanOrEqual(3);
    const allowed = [ref(logicalId(stack.database.proxySecurityGroup)), ref(logicalId(stack.migrations.securityGroup))].map((r) => JSON.stringify(r));
    // The rotation function's rule uses the instance's port attribute (5432).
    const port = [5432, { 'Fn::GetAtt': [logicalId(stack.database.instance), 'Endpoint.Port'] }].map((p) => JSON.stringify(p));
    for (const rule of dbRules) {
      expect(rule.IpProtocol).toBe('tcp');
      expect(port).toContain(JSON.stringify(rule.FromPort));
      expect(port).toContain(JSON.stringify(rule.ToPort));
      expect(rule.CidrIp).toBeUndefined();
      const source = JSON.stringify(rule.SourceSecurityGroupId);
      expect(allowed.includes(source) || /RotationSingleUserSecurityGroup|(Ingest|Api)SecretRotationSecurityGroup/.test(source)).toBe(true);
    }
    const proxyRules = ingressTo(logicalId(stack.database.proxySecurityGroup));
    expect(proxyRules).toEqual(
      expect.arrayContaining([stack.ingestSecurityGroup, stack.configApi.securityGroup].map((sg) => expect.objectContaining({ FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: ref(logicalId(sg)) }))),
    );
    expect(proxyRules).toHaveLength(2);
  });
});

describe('collector', () => {

  test('one ARM64 service per shard with circuit breaker rollback and 100/200 deployment', () => {
    const services = ofType('AWS::ECS::Service').filter(([, r]) => String(r.Properties.ServiceName).startsWith('collector-'));
    expect(services).toHaveLength(2);
    for (const [, service] of services) {
      expect(service.Properties).toMatchObject({
        DesiredCount: 2,
        LaunchType: 'FARGATE',
        DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100, MaximumPercent: 200 },
      });
    }
    for (const td of taskDefinitions()) expect(td.RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  test('the collector container is configured per shard, with a /health check and a 30 s stop timeout', () => {
    const shards = taskDefinitions().map((td) => {
      const container = (td.ContainerDefinitions as Array<Record<string, unknown>>).find((c) => c.Name === 'collector')!;
      const env = Object.fromEntries((container.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]));
      expect(container).toMatchObject({ StopTimeout: 30, HealthCheck: { Command: expect.arrayContaining(['CMD', 'node']) } });
      expect(JSON.stringify(container.HealthCheck)).toContain('/health');
      expect(container.Secrets).toEqual([expect.objectContaining({ Name: 'REDIS_PASSWORD' })]);
      expect(env).toMatchObject({ SHARD_COUNT: '2', SYMBOLS: 'ALL', SPILL_DIR: expect.any(String) });
      expect(JSON.stringify(env.REDIS_URL)).toContain('rediss://');
      return env.SHARD_INDEX;
    });
    expect(shards.sort()).toEqual(['0', '1']);
  });

  test('the ADOT sidecar remote-writes to the stack workspace with SigV4 and exports EMF to the collector namespace', () => {
    for (const td of taskDefinitions()) {
      const adot = (td.ContainerDefinitions as Array<Record<string, unknown>>).find((c) => c.Name === 'adot')!;
      expect(adot.Image).toMatch(/^public\.ecr\.aws\/aws-observability\/aws-otel-collector:v\d+\.\d+\.\d+$/);
      const config = (adot.Environment as Array<{ Name: string; Value: unknown }>).find((e) => e.Name === 'AOT_CONFIG_CONTENT')!.Value;
      const text = JSON.stringify(config);
      expect(text).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.collector.workspace), 'PrometheusEndpoint'] }));
      expect(text).toContain('api/v1/remote_write');
      expect(text).toContain('authenticator: \\"sigv4auth\\"');
      expect(text).toContain('namespace: \\"MarketDataCollector\\"');
      expect(text).toContain('scrape_interval: \\"15s\\"');
    }
  });

  test('the stack workspace evaluates the collector rules file and the gateway rules file, once each', () => {
    // Act
    const namespaces = ofType('AWS::APS::RuleGroupsNamespace').map(([, r]) => r.Properties).sort((a, b) => String(a.Name).localeCompare(String(b.Name)));

    // Assert
    const workspace = { 'Fn::GetAtt': [logicalId(stack.collector.workspace), 'Arn'] };
    expect(namespaces).toEqual([
      { Workspace: workspace, Name: COLLECTOR_RULES_NAMESPACE, Data: collectorRules(), Tags: expect.anything() },
      { Workspace: workspace, Name: GATEWAY_RULES_NAMESPACE, Data: gatewayRules(), Tags: expect.anything() },
    ]);
  });
});

describe('Prometheus alert routing', () => {
  test('the workspace alert manager sends to the alarm topic, which admits only this workspace, through a key that admits the service', () => {
    const [[, workspace]] = ofType('AWS::APS::Workspace') as [[string, Resource]];
    const definition = JSON.stringify(workspace.Properties.AlertManagerDefinition);
    expect(definition).toContain('alertmanager_config: |');
    expect(definition).toContain('sns_configs:');
    expect(definition).toContain(JSON.stringify({ Ref: logicalId(stack.monitoring.topic) }));
    expect(definition).toContain('sigv4:');
    const topicPolicy = ofType('AWS::SNS::TopicPolicy').map(([, r]) => JSON.stringify(r.Properties)).find((text) => text.includes('aps.amazonaws.com'));
    expect(topicPolicy).toContain('AllowPrometheusAlertManagerToPublish');
    expect(topicPolicy).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.collector.workspace), 'Arn'] }));
    const keyPolicies = ofType('AWS::KMS::Key').map(([, r]) => JSON.stringify(r.Properties.KeyPolicy));
    expect(keyPolicies.some((text) => text.includes('AllowPrometheusAlertManagerToUseTheKey') && text.includes('aws:SourceAccount'))).toBe(true);
  });
});

describe('spill on EFS', () => {
  test('an encrypted file system, without backups, that refuses connections without TLS', () => {
    const [[, fileSystem]] = ofType('AWS::EFS::FileSystem') as [[string, Resource]];
    expect(fileSystem.Properties).toMatchObject({ Encrypted: true, ThroughputMode: 'elastic' });
    expect(fileSystem.Properties.BackupPolicy).toBeUndefined();
    expect(JSON.stringify(fileSystem.Properties.FileSystemPolicy)).toContain('"aws:SecureTransport":"false"');
  });

  test('one access point per collector service, owned by the container user, under the service name', () => {
    const accessPoints = ofType('AWS::EFS::AccessPoint').map(([, r]) => r.Properties);
    expect(accessPoints.map((ap) => (ap.RootDirectory as { Path: string }).Path).sort()).toEqual(['/collector-shard-0', '/collector-shard-1']);
    for (const ap of accessPoints) {
      expect(ap).toMatchObject({ PosixUser: { Uid: '1000', Gid: '1000' }, RootDirectory: { CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' } } });
    }
  });

  test('each task mounts its service\'s access point at SPILL_DIR with TLS and IAM authorization', () => {
    const accessPointIds = stack.collector.spillAccessPoints.map((ap) => logicalId(ap));
    const mounted = taskDefinitions().map((td) => {
      const [volume] = td.Volumes as Array<{ Name: string; EFSVolumeConfiguration: { TransitEncryption: string; AuthorizationConfig: { IAM: string; AccessPointId: { Ref: string } } } }>;
      expect(volume!.EFSVolumeConfiguration).toMatchObject({ TransitEncryption: 'ENABLED', AuthorizationConfig: { IAM: 'ENABLED' } });
      const container = (td.ContainerDefinitions as Array<Record<string, unknown>>).find((c) => c.Name === 'collector')!;
      const spillDir = (container.Environment as Array<{ Name: string; Value: unknown }>).find((e) => e.Name === 'SPILL_DIR')!.Value;
      expect(container.MountPoints).toEqual([{ ContainerPath: spillDir, SourceVolume: volume!.Name, ReadOnly: false }]);
      return volume!.EFSVolumeConfiguration.AuthorizationConfig.AccessPointId.Ref;
    });
    expect(mounted.sort()).toEqual([...accessPointIds].sort());
  });

  test('the task role may mount and write through those access points only, never as root', () => {
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(logicalId(stack.collector.taskRole)))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Array<Statement & { Condition?: unknown }> }).Statement)
      .filter((st) => actions(st).some((a) => a.startsWith('elasticfilesystem:')));
    expect(statements).toHaveLength(1);
    expect(actions(statements[0]!).sort()).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
    expect(JSON.stringify(statements[0]!.Condition)).toContain('elasticfilesystem:AccessPointArn');
    for (const id of stack.collector.spillAccessPoints.map((ap) => logicalId(ap))) expect(JSON.stringify(statements[0]!.Condition)).toContain(id);
  });

  test('only the collector tasks reach the file system, on NFS', () => {
    const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties).filter((p) => p.FromPort === 2049);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]).toMatchObject({ IpProtocol: 'tcp', ToPort: 2049, SourceSecurityGroupId: ref(logicalId(stack.collector.securityGroup)) });
  });
});

describe('cdk-nag', () => {
  test('AwsSolutions reports no unacknowledged errors', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.filter((v) => v.severity === 'error').map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});

describe('database logins', () => {
  const envOf = (fn: IConstruct) => (resources[logicalId(fn)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  const secretReadsOf = (fn: { role?: IConstruct }) => {
    const roleId = logicalId(fn.role!);
    return ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((s) => actions(s).includes('secretsmanager:GetSecretValue'))
      .flatMap((s) => resourcesOf(s))
      .map((r) => JSON.stringify(r))
      .sort();
  };

  test('ingest and the config API each connect with their own secret and may read only that one of the database secrets', () => {
    const master = stack.resolve(stack.database.secretArn);
    const ingest = stack.resolve(stack.database.ingestSecret.secretArn);
    const api = stack.resolve(stack.database.apiSecret.secretArn);
    expect(envOf(stack.ingest.function).DB_SECRET_ARN).toEqual(ingest);
    expect(secretReadsOf(stack.ingest.function)).toEqual([JSON.stringify(ingest)]);
    const apiReads = secretReadsOf(stack.configApi.function.function);
    expect(apiReads).toContain(JSON.stringify(api));
    expect(apiReads).not.toContain(JSON.stringify(master));
    expect(apiReads).not.toContain(JSON.stringify(ingest));
  });

  test('migrate logs in as the master and reads the two function secrets to give the roles their passwords', () => {
    const env = envOf(stack.migrations.function.function);
    expect(env).toMatchObject({
      DB_SECRET_ARN: stack.resolve(stack.database.secretArn),
      INGEST_DB_SECRET_ARN: stack.resolve(stack.database.ingestSecret.secretArn),
      API_DB_SECRET_ARN: stack.resolve(stack.database.apiSecret.secretArn),
    });
  });

  test('the function logins first rotate after migrate has provisioned them', () => {
    const schedules = ofType('AWS::SecretsManager::RotationSchedule');
    const migrateId = logicalId(stack.migrations.resource);
    const ingest = JSON.stringify(stack.resolve(stack.database.ingestSecret.secretArn));
    const api = JSON.stringify(stack.resolve(stack.database.apiSecret.secretArn));
    const ofFunctionLogins = schedules.filter(([, schedule]) => [ingest, api].includes(JSON.stringify(schedule.Properties.SecretId)));
    expect(ofFunctionLogins).toHaveLength(2);
    for (const [, schedule] of ofFunctionLogins) expect((schedule as { DependsOn?: string[] }).DependsOn).toContain(migrateId);
  });

  test('RDS Proxy serves all three logins, and the function logins rotate through the master (multi-user)', () => {
    const [, proxy] = ofType('AWS::RDS::DBProxy')[0]!;
    const secrets = (proxy.Properties.Auth as Array<{ SecretArn: unknown }>).map((a) => JSON.stringify(a.SecretArn)).sort();
    expect(secrets).toEqual(
      [stack.database.secretArn, stack.database.ingestSecret.secretArn, stack.database.apiSecret.secretArn].map((arn) => JSON.stringify(stack.resolve(arn))).sort(),
    );
    // The template is a join (the master ARN is a token): look for the user and the masterarn key in it.
    const templates = ofType('AWS::SecretsManager::Secret').map(([, s]) => JSON.stringify((s.Properties.GenerateSecretString as { SecretStringTemplate?: unknown } | undefined)?.SecretStringTemplate ?? ''));
    for (const user of ['mdc_ingest', 'mdc_api']) {
      expect(templates.filter((t) => t.includes(`\\"username\\":\\"${user}\\"`) && t.includes('\\"dbname\\":\\"mdc\\"') && t.includes('masterarn'))).toHaveLength(1);
    }
  });
});

describe('stream gateway', () => {
  test('one ARM64 Fargate service of at least 2 tasks, in the app subnets, behind the load balancer on /ready', () => {
    const [, service] = ofType('AWS::ECS::Service').find(([, r]) => r.Properties.ServiceName === 'gateway-test')!;
    expect(service.Properties).toMatchObject({ DesiredCount: 2, LaunchType: 'FARGATE', DeploymentConfiguration: expect.objectContaining({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }) });
    const subnets = (service.Properties.NetworkConfiguration as { AwsvpcConfiguration: { Subnets: Array<{ Ref: string }> } }).AwsvpcConfiguration.Subnets;
    for (const subnet of subnets) expect(subnet.Ref).toMatch(/appSubnet/);
    expect(gatewayTaskDefinition().RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/ready', TargetType: 'ip' });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10, ScalableDimension: 'ecs:service:DesiredCount' });
  });

  test('the HTTPS listener uses the certificate from context; port 80 only redirects', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERTIFICATE_ARN }] });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP', DefaultActions: [Match.objectLike({ Type: 'redirect' })] });
    template.hasResourceProperties('AWS::WAFv2::WebACL', { Rules: [Match.objectLike({ Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } } })] });
  });

  test('tasks accept traffic from the load balancer only and reach Redis and 443 only', () => {
    const tasks = logicalId(stack.gateway.securityGroup);
    const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties).filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(ref(tasks)));
    expect(ingress.map((p) => p.SourceSecurityGroupId)).toEqual([ref(logicalId(stack.gateway.loadBalancerSecurityGroup))]);
    const egress = [
      ...((resources[tasks]!.Properties.SecurityGroupEgress as Array<Record<string, unknown>> | undefined) ?? []),
      ...ofType('AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties).filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(ref(tasks))),
    ];
    const destinations = egress.map((rule) => (rule.DestinationSecurityGroupId ? `sg:${JSON.stringify(rule.DestinationSecurityGroupId)}:${String(rule.FromPort)}` : `${String(rule.CidrIp)}:${String(rule.FromPort)}`)).sort();
    expect(destinations).toEqual([`0.0.0.0/0:443`, `sg:${JSON.stringify(ref(logicalId(stack.redis.securityGroup)))}:6379`].sort());
  });

  test('the config API signs with the gateway key: GATEWAY_TOKEN_SECRET_ARN and read access to that secret only', () => {
    const fn = resources[logicalId(stack.configApi.function.function)]!.Properties;
    const secretRef = { Ref: logicalId(stack.gateway.tokenSigningKey) };
    expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.GATEWAY_TOKEN_SECRET_ARN).toEqual(secretRef);
    const readers = ofType('AWS::IAM::Policy').filter(([, p]) =>
      (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some((s) => actions(s).includes('secretsmanager:GetSecretValue') && resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(secretRef))),
    );
    const roles = readers.flatMap(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref)).sort();
    // The config API, the gateway tasks, and the rotation function: nobody else.
    expect(roles).toHaveLength(3);
    expect(roles).toContain(JSON.stringify(stack.resolve(stack.configApi.function.function.role!.roleName)).replace(/^\{"Ref":"|"\}$/g, ''));
  });

  test('the signing key rotates every 30 days through the token-keys function', () => {
    const secretRef = { Ref: logicalId(stack.gateway.tokenSigningKey) };
    const schedule = ofType('AWS::SecretsManager::RotationSchedule').find(([, r]) => JSON.stringify(r.Properties.SecretId) === JSON.stringify(secretRef));
    expect(schedule).toBeDefined();
    expect(schedule![1].Properties).toMatchObject({ RotationRules: { ScheduleExpression: 'rate(30 days)' }, RotationLambdaARN: expect.anything() });
  });

  test('the ADOT sidecar exports the gateway metrics to the stack workspace and the gateway namespace', () => {
    const adot = containers(gatewayTaskDefinition()).find((c) => c.Name === 'adot')!;
    expect(adot.Essential).toBe(false);
    const text = JSON.stringify((adot.Environment as Array<{ Name: string; Value: unknown }>).find((e) => e.Name === 'AOT_CONFIG_CONTENT')!.Value);
    expect(text).toContain('namespace: \\"MarketDataGateway\\"');
    expect(text).toContain('job_name: \\"gateway\\"');
    expect(text).toContain('gateway_fanout_latency_seconds');
    expect(text).toContain(`{"Fn::GetAtt":["${logicalId(stack.collector.workspace)}","PrometheusEndpoint"]}`);
  });

  test('alarms: unhealthy hosts, 5XX, connections, slow-client disconnects, auth refusals; all notify the topic', () => {
    for (const key of ['gatewayUnhealthyHosts', 'gatewayServerErrors', 'gatewayConnectionsHigh', 'gatewaySlowClientDisconnects', 'gatewayAuthRefusals']) {
      const alarm = stack.monitoring.alarms[key];
      expect(alarm).toBeDefined();
      const props = resources[logicalId(alarm!)]!.Properties;
      expect(props.AlarmActions).toEqual([{ Ref: logicalId(stack.monitoring.topic) }]);
      expect(String(props.AlarmName)).toMatch(/^test-market-data-gateway-/);
    }
    // 80% of what the autoscaling ceiling (10 tasks x 5,000 connections) carries.
    expect(resources[logicalId(stack.monitoring.alarms.gatewayConnectionsHigh!)]!.Properties.Threshold).toBe(40_000);
    const metricsOf = (key: string) => JSON.stringify(resources[logicalId(stack.monitoring.alarms[key]!)]!.Properties);
    expect(metricsOf('gatewayUnhealthyHosts')).toContain('"MetricName":"UnHealthyHostCount"');
    expect(metricsOf('gatewaySlowClientDisconnects')).toContain('"MetricName":"gateway_slow_client_disconnects_total"');
    expect(metricsOf('gatewaySlowClientDisconnects')).toContain('"Namespace":"MarketDataGateway"');
    expect(metricsOf('gatewaySlowClientDisconnects')).toContain('{"Name":"ServiceName","Value":"gateway-test"}');
  });

  test('the dashboard has the gateway rows', () => {
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of ['Gateway targets', 'Gateway connections', 'Gateway 5XX', 'Gateway fan-out latency', 'Gateway slow-client disconnects']) expect(body).toContain(title);
  });

  test('outputs: the load balancer DNS name, the page URL and the signing key ARN', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.GatewayLoadBalancerDnsName!.Value).toEqual({ 'Fn::GetAtt': [logicalId(stack.gateway.loadBalancer), 'DNSName'] });
    expect(JSON.stringify(outputs.GatewayUrl!.Value)).toContain('https://');
    expect(outputs.GatewayTokenSecretArn!.Value).toEqual({ Ref: logicalId(stack.gateway.tokenSigningKey) });
  });
});

describe('stream gateway context', () => {
  test('an HTTP-only stage needs a reason, which the synth shows as a warning; certificate and reason together are refused', () => {
    const { stack: httpStack } = buildApp(new App({ context: { stageName: 'plain', gatewayHttpOnlyReason: 'load test stage, no domain' } }));
    Annotations.fromStack(httpStack).hasWarning('*', Match.stringLikeRegexp('plain HTTP: load test stage, no domain'));
    Template.fromStack(httpStack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP', DefaultActions: [Match.objectLike({ Type: 'forward' })] });
    expect(() => buildApp(new App({ context: { stageName: 'none' } }))).toThrow(/gatewayCertificateArn/);
    expect(() => buildApp(new App({ context: { gatewayCertificateArn: CERTIFICATE_ARN, gatewayHttpOnlyReason: 'both given here' } }))).toThrow(/not both/);
    expect(() => buildApp(new App({ context: { gatewayCertificateArn: 'arn:aws:iam::123456789012:role/x' } }))).toThrow(/ACM certificate ARN/);
    expect(() => buildApp(new App({ context: { gatewayCertificateArn: CERTIFICATE_ARN, gatewayWafRateLimit: 10 } }))).toThrow(/gatewayWafRateLimit=10 must be an integer from 100/);
    expect(() => buildApp(new App({ context: { gatewayCertificateArn: CERTIFICATE_ARN, gatewayMinTasks: 4, gatewayMaxTasks: 3 } }))).toThrow(/gatewayMaxTasks must be at least gatewayMinTasks/);
    expect(() => buildApp(new App({ context: { gatewayCertificateArn: CERTIFICATE_ARN, gatewayMinTasks: 1 } }))).toThrow(/gatewayMinTasks=1 must be an integer from 2/);
  });
});
