import { App, Stack, aws_aps as aps, aws_ec2 as ec2, aws_ecs as ecs, aws_logs as logs, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Gateway, GATEWAY_IDLE_TIMEOUT, GATEWAY_PORT, type GatewayProps } from '../../lib/constructs/gateway';

type Resource = { Type: string; Properties: Record<string, unknown> };

function build(overrides: Partial<GatewayProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'GatewayTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
    ],
  });
  const gateway = new Gateway(stack, 'Gateway', {
    vpc,
    publicSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    taskSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
    stageName: 'test',
    redisUrl: 'rediss://redis.internal:6379/0',
    redisAuthToken: new secretsmanager.Secret(stack, 'RedisToken'),
    logRetention: logs.RetentionDays.ONE_MONTH,
    metricsNamespace: 'MarketData/test',
    certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
    ...overrides,
  });
  const template = Template.fromStack(stack);
  return { stack, gateway, template, resources: template.toJSON().Resources as Record<string, Resource> };
}

// One synthesis for most assertions: bundling the rotation function with esbuild costs seconds.
let built: ReturnType<typeof build>;
beforeAll(() => {
  built = build();
});

describe('Gateway', () => {
  test('an internet-facing ALB with an idle timeout above the client ping interval and dropped invalid headers', () => {
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'idle_timeout.timeout_seconds', Value: String(GATEWAY_IDLE_TIMEOUT.toSeconds()) },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
  });

  test('HTTPS with the given certificate and a redirect from HTTP', () => {
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }],
    });
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })],
    });
    expect(built.gateway.protocol).toBe('https');
  });

  test('health checks /ready on the gateway port', () => {
    built.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: GATEWAY_PORT,
      TargetType: 'ip',
      HealthCheckPath: '/ready',
    });
  });

  test('tasks accept traffic only from the load balancer and send only on 443 (and to Redis where the stack allows it)', () => {
    const ingress = Object.values(built.resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress').map((r) => r.Properties);
    const lbGroup = built.stack.resolve(built.gateway.loadBalancerSecurityGroup.securityGroupId);
    const taskGroup = built.stack.resolve(built.gateway.securityGroup.securityGroupId);
    const toTasks = ingress.filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(taskGroup));
    expect(toTasks).toEqual([expect.objectContaining({ FromPort: GATEWAY_PORT, ToPort: GATEWAY_PORT, SourceSecurityGroupId: lbGroup })]);
    const taskSg = Object.values(built.resources).find((r) => r.Type === 'AWS::EC2::SecurityGroup' && String(r.Properties.GroupDescription).startsWith('Stream gateway tasks'))!;
    expect(taskSg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })]);
  });

  test('at least two ARM64 tasks, scaling on CPU and on active connections', () => {
    built.template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2 });
    built.template.hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' } });
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'TargetTrackingScaling' });
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ActiveConnectionCount', Namespace: 'AWS/ApplicationELB' });
  });

  test('token auth with the signing key in Secrets Manager, rotated every 30 days, readable by the tasks', () => {
    const container = (Object.values(built.resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition')!.Properties.ContainerDefinitions as Array<Record<string, unknown>>)[0]!;
    const environment = Object.fromEntries((container.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]));
    expect(environment.GATEWAY_AUTH).toBe('token');
    // Behind the ALB: per-IP limits count the client address it appends to X-Forwarded-For.
    expect(environment.GATEWAY_TRUST_PROXY).toBe('true');
    expect(environment.GATEWAY_TOKEN_SECRET_ARN).toEqual({ Ref: built.stack.getLogicalId(built.gateway.tokenSigningKey.node.defaultChild as never) });
    built.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' } });
  });

  test('no WAF unless a rate limit is given; with one, a rate-based rule on the load balancer', () => {
    built.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    const withWaf = build({ wafRateLimit: 2_000 });
    withWaf.template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: [Match.objectLike({ Statement: { RateBasedStatement: { Limit: 2_000, AggregateKeyType: 'IP' } }, Action: { Block: {} } })],
    });
    withWaf.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  test('refuses to serve plain HTTP without a reason, and warns with one', () => {
    expect(() => build({ certificateArn: undefined })).toThrow(/gatewayCertificateArn|gatewayHttpOnlyReason/);
    const httpOnly = build({ certificateArn: undefined, httpOnlyReason: 'load-test stage without a domain' });
    httpOnly.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP', DefaultActions: [Match.objectLike({ Type: 'forward' })] });
    Annotations.fromStack(httpOnly.stack).hasWarning('/GatewayTest/Gateway', Match.stringLikeRegexp('plain HTTP: load-test stage'));
    expect(httpOnly.gateway.protocol).toBe('http');
  });

  test('cdk-nag AwsSolutions: nothing unacknowledged in the gateway', () => {
    const report = new AwsSolutionsChecks().validateScope(built.gateway);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('metrics sidecar', () => {
  test('with `metrics`, an ADOT sidecar scrapes the gateway and the workspace gets the gateway rules; without it, neither', () => {
    const withMetrics = (() => {
      const app = new App();
      const stack = new Stack(app, 'GatewayMetricsTest', { env: { account: '123456789012', region: 'eu-west-1' } });
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
      const workspace = new aps.CfnWorkspace(stack, 'Workspace', { alias: 'test' });
      new Gateway(stack, 'Gateway', {
        vpc,
        publicSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        taskSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
        stageName: 'test',
        redisUrl: 'rediss://redis.internal:6379/0',
        redisAuthToken: new secretsmanager.Secret(stack, 'RedisToken'),
        logRetention: logs.RetentionDays.ONE_MONTH,
        metricsNamespace: 'MarketDataGateway',
        httpOnlyReason: 'a test stage without a domain',
        metrics: { adotImage: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.42.0', workspace },
      });
      return Template.fromStack(stack);
    })();
    const containers = (t: Template) => Object.values(t.findResources('AWS::ECS::TaskDefinition')).flatMap((r) => (r.Properties.ContainerDefinitions as Array<{ Name: string }>).map((c) => c.Name));
    expect(containers(withMetrics).sort()).toEqual(['adot', 'gateway']);
    withMetrics.resourceCountIs('AWS::APS::RuleGroupsNamespace', 1);
    expect(JSON.stringify(withMetrics.findResources('AWS::IAM::Policy'))).toContain('aps:RemoteWrite');
    expect(containers(built.template)).toEqual(['gateway']);
    built.template.resourceCountIs('AWS::APS::RuleGroupsNamespace', 0);
  });
});
