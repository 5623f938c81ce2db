import { App, CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ROUTES, routeArnPath } from '../../lambdas/api/routes';
import { buildApp } from '../../lib/app';
import { DEFAULT_API_RESERVED_CONCURRENCY, DEFAULT_API_THROTTLING_BURST_LIMIT, DEFAULT_API_THROTTLING_RATE_LIMIT, GATEWAY_ERROR_TEMPLATE } from '../../lib/constructs/config-api';
import type { MarketDataStack } from '../../lib/market-data-stack';
import { API_METRICS_NAMESPACE } from '../../lib/monitoring';

/** The AWS stack needs a certificate or an HTTP-only reason for the stream gateway. */
const HTTP_ONLY = { gatewayHttpOnlyReason: 'infrastructure test: no domain, nothing deployed' };

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string | string[] };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

// One synthesis for the whole file: bundling each NodejsFunction with esbuild costs seconds.
let app: App;
let stack: MarketDataStack;
let template: Template;
let resources: Record<string, Resource>;

const STAGE = 'test';
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (construct: IConstruct) => stack.getLogicalId((CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement);
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const json = (value: unknown) => JSON.stringify(value);

/** An intrinsic-laden value as text: `{ Ref: X }` -> `${X}`, joins concatenated. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v && 'Ref' in v) return `\${${String(v.Ref)}}`;
  if (v && 'Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  if (v && 'Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  throw new Error(`cannot render ${json(value)}`);
}

beforeAll(() => {
  app = new App({ context: { stageName: STAGE, shardCount: 1, ...HTTP_ONLY } });
  ({ stack } = buildApp(app));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
});

const apiId = () => logicalId(stack.configApi.api);
const executeApiArn = (method: string, path: string, stage = STAGE) =>
  `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${apiId()}}/${stage}/${method}${routeArnPath(path)}`;

/** `METHOD /full/path` of every method in the template, paths rebuilt from the PathPart / ParentId chains. */
function deployedRoutes(): string[] {
  const apiResources = new Map(ofType('AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties]));
  const rootRef = json({ 'Fn::GetAtt': [apiId(), 'RootResourceId'] });
  const pathOf = (ref: unknown): string => {
    if (json(ref) === rootRef) return '';
    const id = (ref as { Ref?: string }).Ref;
    const resource = id === undefined ? undefined : apiResources.get(id);
    if (!resource) throw new Error(`unknown parent ${json(ref)}`);
    expect(resource.RestApiId).toEqual({ Ref: apiId() });
    return `${pathOf(resource.ParentId)}/${String(resource.PathPart)}`;
  };
  return ofType('AWS::ApiGateway::Method').map(([, m]) => `${String(m.Properties.HttpMethod)} ${pathOf(m.Properties.ResourceId) || '/'}`);
}

describe('routes: the API is the route table', () => {
  test('the deployed (method, path) set equals ROUTES exactly (drift test)', () => {
    const expected = ROUTES.map((route) => `${route.method} ${route.path}`).sort();
    expect(deployedRoutes().sort()).toEqual(expected);
    expect(new Set(expected).size).toBe(ROUTES.length);
  });

  test('no resource exists that no route needs', () => {
    const prefixes = new Set(ROUTES.flatMap((route) => route.path.split('/').slice(1).map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`)));
    expect(ofType('AWS::ApiGateway::Resource')).toHaveLength(prefixes.size);
  });

  test('every method is AWS_IAM, without an authorizer, with a Lambda proxy integration to the API function', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    expect(methods).toHaveLength(ROUTES.length);
    const fnArn = json({ 'Fn::GetAtt': [logicalId(stack.configApi.function.function), 'Arn'] });
    for (const [id, method] of methods) {
      expect([id, method.Properties.AuthorizationType]).toEqual([id, 'AWS_IAM']);
      expect(method.Properties.AuthorizerId).toBeUndefined();
      expect(method.Properties.ApiKeyRequired).not.toBe(true);
      expect(method.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(json(method.Properties.Integration)).toContain(fnArn);
    }
  });

  test('API Gateway may invoke the function only per method on this stage (no test-invoke, no wildcard method)', () => {
    const permissions = ofType('AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(permissions).toHaveLength(ROUTES.length);
    const sourceArns = permissions.map((p) => render(p.SourceArn)).sort();
    // The stage is referenced (Ref of the stage = its name), so a permission never outlives its stage.
    const stageRef = `\${${logicalId(stack.configApi.stage)}}`;
    expect(sourceArns).toEqual(ROUTES.map((route) => executeApiArn(route.method, route.path, stageRef)).sort());
    for (const p of permissions) expect(p.FunctionName).toEqual({ 'Fn::GetAtt': [logicalId(stack.configApi.function.function), 'Arn'] });
  });
});

describe('reader and admin roles', () => {
  const policiesOf = (roleId: string) =>
    ofType('AWS::IAM::Policy')
      .map(([, p]) => p.Properties)
      .filter((p) => (p.Roles as unknown[]).some((r) => json(r) === json({ Ref: roleId })));
  const statementsOf = (roleId: string) => policiesOf(roleId).flatMap((p) => (p.PolicyDocument as { Statement: Statement[] }).Statement);

  test.each([
    ['reader', 'read'] as const,
    ['admin', undefined] as const,
  ])('the %s role may execute-api:Invoke exactly its routes, one ARN per method and path on this stage', (role, access) => {
    const roleId = logicalId(role === 'reader' ? stack.configApi.readerRole : stack.configApi.adminRole);
    const statements = statementsOf(roleId);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      expect(list(s.Action)).toEqual(['execute-api:Invoke']);
    }
    const granted = statements.flatMap((s) => list(s.Resource)).map(render).sort();
    const expected = ROUTES.filter((route) => access === undefined || route.access === access).map((route) => executeApiArn(route.method, route.path)).sort();
    expect(granted).toEqual(expected);
    // Nothing broader: a concrete stage and method in every ARN, `*` only for path parameters.
    for (const arn of granted) {
      const [, stage, method, ...path] = arn.split(`\${${apiId()}}`)[1]!.split('/');
      expect(stage).toBe(STAGE);
      expect(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).toContain(method);
      expect(path.every((segment) => segment === '*' || !segment.includes('*'))).toBe(true);
    }
    const role_ = resources[roleId]!.Properties;
    expect(role_.ManagedPolicyArns).toBeUndefined();
    expect(role_.Policies).toBeUndefined();
  });

  test('the reader role cannot reach any write route', () => {
    const granted = statementsOf(logicalId(stack.configApi.readerRole)).flatMap((s) => list(s.Resource)).map(render);
    for (const route of ROUTES.filter((r) => r.access === 'write')) expect(granted).not.toContain(executeApiArn(route.method, route.path));
    expect(ROUTES.filter((r) => r.access === 'write').every((r) => r.method !== 'GET')).toBe(true);
  });

  test('the roles trust the account (its IAM administrators grant sts:AssumeRole), and only they get execute-api:Invoke', () => {
    for (const role of [stack.configApi.readerRole, stack.configApi.adminRole]) {
      const trust = resources[logicalId(role)]!.Properties.AssumeRolePolicyDocument as { Statement: Array<{ Principal: { AWS: unknown }; Action: string }> };
      expect(trust.Statement).toHaveLength(1);
      expect(trust.Statement[0]!.Action).toBe('sts:AssumeRole');
      expect(render(trust.Statement[0]!.Principal.AWS)).toBe('arn:${AWS::Partition}:iam::${AWS::AccountId}:root');
    }
    const invokers = ofType('AWS::IAM::Policy')
      .filter(([, p]) => json(p.Properties.PolicyDocument).includes('execute-api:'))
      .flatMap(([, p]) => p.Properties.Roles as unknown[]);
    expect(invokers.map(json).sort()).toEqual([stack.configApi.readerRole, stack.configApi.adminRole].map((r) => json({ Ref: logicalId(r) })).sort());
  });

  test('the stack outputs the API URL and both role ARNs', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ConfigApiReaderRoleArn!.Value).toEqual({ 'Fn::GetAtt': [logicalId(stack.configApi.readerRole), 'Arn'] });
    expect(outputs.ConfigApiAdminRoleArn!.Value).toEqual({ 'Fn::GetAtt': [logicalId(stack.configApi.adminRole), 'Arn'] });
    expect(render(outputs.ConfigApiUrl!.Value)).toBe(`https://\${${apiId()}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/\${${logicalId(stack.configApi.stage)}}/`);
    // RestApi's own Endpoint output is removed: one URL output.
    expect(Object.keys(outputs).filter((key) => /Endpoint[0-9A-F]{8}$/.test(key))).toEqual([]);
  });
});

describe('function', () => {
  const fnProps = () => resources[logicalId(stack.configApi.function.function)]!.Properties;
  const env = () => (fnProps().Environment as { Variables: Record<string, unknown> }).Variables;

  test('the handler gets its principals, database, Redis and stage settings', () => {
    expect(env()).toMatchObject({
      API_READER_PRINCIPALS: { 'Fn::GetAtt': [logicalId(stack.configApi.readerRole), 'Arn'] },
      API_ADMIN_PRINCIPALS: { 'Fn::GetAtt': [logicalId(stack.configApi.adminRole), 'Arn'] },
      DB_HOST: { 'Fn::GetAtt': [logicalId(stack.database.proxy), 'Endpoint'] },
      DB_SSLMODE: 'verify-full',
      REDIS_AUTH_SECRET_ARN: { Ref: logicalId(stack.redis.authToken) },
      API_STAGE: STAGE,
      POWERTOOLS_SERVICE_NAME: 'config-api',
      POWERTOOLS_METRICS_NAMESPACE: API_METRICS_NAMESPACE,
    });
    // Its own login (mdc_api): neither ingest's nor the master's. The URL is TLS (rediss://) like the collector's.
    const ingestEnv = (resources[logicalId(stack.ingest.function)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env().DB_SECRET_ARN).toEqual(stack.resolve(stack.database.apiSecret.secretArn));
    expect(ingestEnv.DB_SECRET_ARN).toEqual(stack.resolve(stack.database.ingestSecret.secretArn));
    expect(env().DB_SECRET_ARN).not.toEqual(stack.resolve(stack.database.secretArn));
    expect(render(env().REDIS_URL)).toMatch(/^rediss:\/\/\$\{.+\.PrimaryEndPoint\.Address\}:\$\{.+\.PrimaryEndPoint\.Port\}\/0$/);
    expect(env()).not.toHaveProperty('REDIS_PASSWORD');
    expect(env()).not.toHaveProperty('DATABASE_URL');
  });

  test('its reserved concurrency bounds the requests, and so the database statements, reads run at once', () => {
    expect(DEFAULT_API_RESERVED_CONCURRENCY).toBe(10);
    expect(fnProps().ReservedConcurrentExecutions).toBe(DEFAULT_API_RESERVED_CONCURRENCY);
  });

  test('apiReservedConcurrency sets it, within 1 to 100', () => {
    const { stack: tuned } = buildApp(new App({ context: HTTP_ONLY }), { apiReservedConcurrency: 4 });
    const tunedFn = Template.fromStack(tuned).toJSON().Resources[tuned.getLogicalId(tuned.configApi.function.function.node.defaultChild as CfnElement)];
    expect(tunedFn.Properties.ReservedConcurrentExecutions).toBe(4);
    expect(() => buildApp(new App({ context: HTTP_ONLY }), { apiReservedConcurrency: 0 })).toThrow(/apiReservedConcurrency=0 must be an integer from 1 to 100/);
  });

  test('Node.js 22 on ARM64 in the isolated subnets with its own security group, below the gateway timeout', () => {
    expect(fnProps()).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' } });
    expect(fnProps().Timeout as number).toBeLessThan(29);
    const vpcConfig = fnProps().VpcConfig as { SecurityGroupIds: unknown[]; SubnetIds: Array<{ Ref: string }> };
    expect(vpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [logicalId(stack.configApi.securityGroup), 'GroupId'] }]);
    for (const subnet of vpcConfig.SubnetIds) expect(subnet.Ref).toMatch(/dataSubnet/);
  });

  test('it may read the database secret, the Redis AUTH token and the stream token signing key, nothing else of Secrets Manager', () => {
    const roleRef = json(fnProps().Role);
    const roleId = (fnProps().Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    expect(roleRef).toContain(roleId);
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => json(r) === json({ Ref: roleId })))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const secretResources = statements.filter((s) => list(s.Action).includes('secretsmanager:GetSecretValue')).flatMap((s) => list(s.Resource)).map(json);
    expect(secretResources.sort()).toEqual([json({ Ref: logicalId(stack.redis.authToken) }), json(env().DB_SECRET_ARN), json(env().GATEWAY_TOKEN_SECRET_ARN)].sort());
    expect(env().GATEWAY_TOKEN_SECRET_ARN).toEqual({ Ref: logicalId(stack.gateway.tokenSigningKey) });
  });

  test('security groups: Redis and RDS Proxy admit it; it reaches only them and the Secrets Manager endpoint', () => {
    const sgRef = { 'Fn::GetAtt': [logicalId(stack.configApi.securityGroup), 'GroupId'] };
    const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    const from = (group: IConstruct, port: number) =>
      ingress.filter((p) => json(p.GroupId) === json({ 'Fn::GetAtt': [logicalId(group), 'GroupId'] }) && json(p.SourceSecurityGroupId) === json(sgRef) && p.FromPort === port && p.ToPort === port);
    expect(from(stack.redis.securityGroup, 6379)).toHaveLength(1);
    expect(from(stack.database.proxySecurityGroup, 5432)).toHaveLength(1);
    // Never the instance directly: RDS Proxy only.
    expect(ingress.filter((p) => json(p.GroupId) === json({ 'Fn::GetAtt': [logicalId(stack.database.securityGroup), 'GroupId'] }) && json(p.SourceSecurityGroupId) === json(sgRef))).toEqual([]);

    const sg = resources[logicalId(stack.configApi.securityGroup)]!.Properties;
    // allowAllOutbound: false and explicit egress rules: nothing inline, in particular no 0.0.0.0/0.
    expect(sg.SecurityGroupEgress).toBeUndefined();
    const egress = ofType('AWS::EC2::SecurityGroupEgress')
      .map(([, r]) => r.Properties)
      .filter((p) => json(p.GroupId) === json(sgRef));
    const targets = egress.map((p) => `${json(p.DestinationSecurityGroupId)}:${String(p.FromPort)}`).sort();
    const secretsEndpointSg = stack.network.secretsManagerEndpoint.connections.securityGroups[0]!;
    expect(targets).toEqual(
      [
        `${json({ 'Fn::GetAtt': [logicalId(stack.redis.securityGroup), 'GroupId'] })}:6379`,
        `${json({ 'Fn::GetAtt': [logicalId(stack.database.proxySecurityGroup), 'GroupId'] })}:5432`,
        `${json({ 'Fn::GetAtt': [logicalId(secretsEndpointSg), 'GroupId'] })}:443`,
      ].sort(),
    );
    for (const p of egress) expect(p.CidrIp).toBeUndefined();
  });
});

describe('stage', () => {
  const stageProps = () => resources[logicalId(stack.configApi.stage)]!.Properties;

  test('named after the deployment stage, traced, JSON access logs to a log group with the stage retention', () => {
    expect(stageProps()).toMatchObject({ StageName: STAGE, TracingEnabled: true });
    const access = stageProps().AccessLogSetting as { DestinationArn: unknown; Format: string };
    expect(access.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalId(stack.configApi.accessLogGroup), 'Arn'] });
    // Valid JSON once API Gateway substitutes the variables ($context.error.messageString is a quoted string).
    const line = JSON.parse(access.Format.replace('$context.error.messageString', '"denied \\"x\\""')) as Record<string, string>;
    expect(line).toMatchObject({ userArn: '$context.identity.userArn', status: '$context.status', resourcePath: '$context.resourcePath', httpMethod: '$context.httpMethod', errorType: '$context.error.responseType', errorMessage: 'denied "x"' });
    expect(resources[logicalId(stack.configApi.accessLogGroup)]!.Properties.RetentionInDays).toBe(30);
  });

  test('throttled, with metrics and error execution logs for every method, never request bodies', () => {
    expect(stageProps().MethodSettings).toEqual([
      {
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: DEFAULT_API_THROTTLING_RATE_LIMIT,
        ThrottlingBurstLimit: DEFAULT_API_THROTTLING_BURST_LIMIT,
        MetricsEnabled: true,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
      },
    ]);
    expect([DEFAULT_API_THROTTLING_RATE_LIMIT, DEFAULT_API_THROTTLING_BURST_LIMIT]).toEqual([50, 100]);
  });

  test('the execution log group exists before the stage, with the stage retention', () => {
    const group = resources[logicalId(stack.configApi.executionLogGroup)]!.Properties;
    expect(render(group.LogGroupName)).toBe(`API-Gateway-Execution-Logs_\${${apiId()}}/${STAGE}`);
    expect(group.RetentionInDays).toBe(30);
    expect(list(resources[logicalId(stack.configApi.stage)]!.DependsOn ?? [])).toContain(logicalId(stack.configApi.executionLogGroup));
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  test('gateway responses answer in the API error shape', () => {
    const responses = ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(
      ['DEFAULT_4XX', 'DEFAULT_5XX', 'MISSING_AUTHENTICATION_TOKEN', 'INVALID_SIGNATURE', 'EXPIRED_TOKEN', 'ACCESS_DENIED', 'REQUEST_TOO_LARGE', 'THROTTLED'].sort(),
    );
    for (const r of responses) {
      expect(r.RestApiId).toEqual({ Ref: apiId() });
      expect(r.ResponseTemplates).toEqual({ 'application/json': GATEWAY_ERROR_TEMPLATE });
    }
    const body = JSON.parse(GATEWAY_ERROR_TEMPLATE.replace('$context.error.responseType', 'ACCESS_DENIED').replace('$context.error.messageString', '"User is not authorized"')) as unknown;
    expect(body).toEqual({ error: { code: 'ACCESS_DENIED', message: 'User is not authorized' } });
  });
});

describe('reconciliation schedule', () => {
  test('an EventBridge rule invokes the function every minute, once the migrations ran', () => {
    const ruleId = logicalId(stack.configApi.reconcileRule);
    const rule = resources[ruleId]!;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(rule.Properties.EventPattern).toBeUndefined();
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [logicalId(stack.configApi.function.function), 'Arn'] } }),
    ]);
    expect((rule.Properties.Targets as Array<{ Input?: unknown }>)[0]!.Input).toBeUndefined();
    expect(list(rule.DependsOn ?? [])).toContain(logicalId(stack.migrations.resource));
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack.configApi.function.function), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.configApi.function.function) },
      MaximumRetryAttempts: 0,
    });
  });
});

describe('monitoring and checks', () => {
  test('the stack alarms on API 5XX, API function errors and the reconciliation', () => {
    expect(Object.keys(stack.monitoring.alarms)).toEqual(expect.arrayContaining(['apiServerErrors', 'apiFunctionErrors', 'configReconcileFailing']));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${STAGE}-market-data-api-5xx`,
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: Match.arrayWith([{ Name: 'ApiName', Value: `market-data-${STAGE}-config` }, { Name: 'Stage', Value: { Ref: logicalId(stack.configApi.stage) } }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${STAGE}-market-data-config-reconcile-failing`,
      Metrics: Match.arrayWith([
        Match.objectLike({ Id: 'invocations', MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/Events', MetricName: 'Invocations', Dimensions: [{ Name: 'RuleName', Value: { Ref: logicalId(stack.configApi.reconcileRule) } }] } }) }),
        Match.objectLike({ Id: 'failures', MetricStat: Match.objectLike({ Metric: { Namespace: API_METRICS_NAMESPACE, MetricName: 'ConfigReconcileFailures', Dimensions: [{ Name: 'service', Value: 'config-api' }] } }) }),
      ]),
    });
  });

  test('no dependency cycle in the template (roles -> API -> function -> roles)', () => {
    const ids = new Set(Object.keys(resources));
    const edges = new Map<string, Set<string>>();
    const collect = (value: unknown, into: Set<string>) => {
      if (Array.isArray(value)) value.forEach((v) => collect(v, into));
      else if (value && typeof value === 'object') {
        for (const [key, v] of Object.entries(value)) {
          if (key === 'Ref' && typeof v === 'string' && ids.has(v)) into.add(v);
          else if (key === 'Fn::GetAtt' && Array.isArray(v) && ids.has(v[0] as string)) into.add(v[0] as string);
          else collect(v, into);
        }
      }
    };
    for (const [id, r] of Object.entries(resources)) {
      const deps = new Set<string>(list(r.DependsOn ?? []));
      collect(r.Properties, deps);
      edges.set(id, deps);
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, path: string[]): string[] | undefined => {
      state.set(id, 'visiting');
      for (const next of edges.get(id) ?? []) {
        if (state.get(next) === 'visiting') return [...path, next];
        if (!state.has(next)) {
          const cycle = visit(next, [...path, next]);
          if (cycle) return cycle;
        }
      }
      state.set(id, 'done');
      return undefined;
    };
    for (const id of ids) if (!state.has(id)) expect(visit(id, [id])).toBeUndefined();
  });

  test('cdk-nag AwsSolutions: nothing unacknowledged in the config API, warnings included', () => {
    const report = new AwsSolutionsChecks().validateScope(stack.configApi);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
