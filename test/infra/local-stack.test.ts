import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp, buildLocalApp } from '../../lib/app';
import { loadTarget } from '../../lib/config';
import { MAX_RECEIVE_COUNT } from '../../lib/constructs/history-queue';
import { LOCAL_DATABASE_URL, LOCAL_STACK_NAME, type LocalMarketDataStack } from '../../lib/local-stack';

type Resource = { Type: string; Properties: Record<string, unknown> };

// One synthesis for the whole file: bundling the NodejsFunction with esbuild costs seconds.
let app: App;
let stack: LocalMarketDataStack;
let template: Template;
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(() => {
  app = new App({ context: { target: 'localstack' } });
  ({ stack } = buildLocalApp(app));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
});

describe('target switch', () => {
  test('context target selects the app; anything else is refused', () => {
    expect(loadTarget(new App().node)).toBe('aws');
    expect(loadTarget(new App({ context: { target: 'localstack' } }).node)).toBe('localstack');
    expect(() => loadTarget(new App({ context: { target: 'local' } }).node)).toThrow(/target=local is invalid/);
    // buildApp(app) is typed to return the AWS stack: it refuses instead of building another one.
    expect(() => buildApp(new App({ context: { target: 'localstack' } }))).toThrow(/buildLocalApp/);
  });

  test('the stack is MarketData-local', () => {
    expect(stack.stackName).toBe(LOCAL_STACK_NAME);
    expect(LOCAL_STACK_NAME).toBe('MarketData-local');
  });
});

describe('queue', () => {
  test('history queue and DLQ, redrive after MAX_RECEIVE_COUNT receives, SQS-managed encryption', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues).toHaveLength(2);
    for (const [, queue] of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const dlqId = template.getResourceId('AWS::SQS::Queue', { Properties: Match.objectLike({ MessageRetentionPeriod: 14 * 24 * 3600 }) });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 30 + 2,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  });
});

describe('ingest function', () => {
  test('Node.js 22 on ARM64, outside any VPC, writing to the compose PostgreSQL', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(1);
    const [, fn] = functions[0]!;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', Timeout: 30 });
    expect(fn.Properties.VpcConfig).toBeUndefined();
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.DATABASE_URL).toBe(LOCAL_DATABASE_URL);
    expect(LOCAL_DATABASE_URL).toBe('postgres://mdc:mdc@postgres:5432/mdc');
    expect(variables).not.toHaveProperty('DB_SECRET_ARN');
    const queueId = template.getResourceId('AWS::SQS::Queue', { Properties: Match.objectLike({ RedrivePolicy: Match.anyValue() }) });
    expect(variables.INGEST_QUEUE_URL).toEqual({ Ref: queueId });
  });

  test('SQS event source with partial batch responses on the history queue', () => {
    const queueId = template.getResourceId('AWS::SQS::Queue', { Properties: Match.objectLike({ RedrivePolicy: Match.anyValue() }) });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^IngestFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });
});

describe('only what the LocalStack free tier runs', () => {
  test('no VPC, RDS, ElastiCache, ECS or Secrets Manager resources', () => {
    const types = new Set(Object.values(resources).map((r) => r.Type));
    for (const type of types) {
      expect(type).not.toMatch(/^AWS::(EC2|RDS|ElastiCache|ECS|ECR|SecretsManager|APS)::/);
    }
    expect([...types].sort()).toEqual([
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::Lambda::EventSourceMapping',
      'AWS::Lambda::Function',
      'AWS::Logs::LogGroup',
      'AWS::SQS::Queue',
      'AWS::SQS::QueuePolicy',
    ]);
  });

  test('cdk-nag AwsSolutions reports no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});
