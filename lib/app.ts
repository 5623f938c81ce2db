import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, loadTarget, type AppConfig } from './config';
import { EXCHANGE_DISPLAY_NAMES } from './exchanges';
import { LOCAL_STACK_NAME, LocalMarketDataStack } from './local-stack';
import { MarketDataStack } from './market-data-stack';

export interface BuiltApp {
  app: App;
  stack: MarketDataStack;
  config: AppConfig;
}

export interface BuiltLocalApp {
  app: App;
  stack: LocalMarketDataStack;
  config: AppConfig;
}

/** cdk-nag's AwsSolutions pack as a validation plugin: synthesis fails on any unacknowledged error. */
function addChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * Builds the CDK app: configuration from context, the stack, tags, and the
 * cdk-nag AwsSolutions pack as a validation plugin (synthesis fails on any
 * unacknowledged error). Shared by bin/app.ts and the infrastructure tests.
 *
 * Without arguments (bin/app.ts) it builds the target the `target` context key
 * selects: the AWS stack by default, `MarketData-local` with `-c target=localstack`.
 * Given an App it builds the AWS stack, and refuses an App whose context selects
 * another target (use buildLocalApp for that).
 */
export function buildApp(): BuiltApp | BuiltLocalApp;
export function buildApp(app: App, overrides?: Partial<AppConfig>): BuiltApp;
export function buildApp(app?: App, overrides: Partial<AppConfig> = {}): BuiltApp | BuiltLocalApp {
  const scope = app ?? new App();
  const target = loadTarget(scope.node);
  if (target === 'localstack') {
    if (app) throw new Error('buildApp(app) builds the AWS stack, but the context selects target=localstack: call buildLocalApp(app)');
    return buildLocalApp(scope, overrides);
  }
  const config = loadConfig(scope.node, overrides);
  const stack = new MarketDataStack(scope, `MarketData-${config.stageName}`, {
    config,
    description: `Market data collector (${config.stageName}): ${config.exchanges.map((e) => EXCHANGE_DISPLAY_NAMES[e]).join(', ')} -> ECS collector -> Redis + SQS -> Lambda -> PostgreSQL`,
  });
  Tags.of(stack).add('project', 'market-data-collector');
  Tags.of(stack).add('stage', config.stageName);
  addChecks(scope);
  return { app: scope, stack, config };
}

/**
 * The LocalStack variant (`-c target=localstack`): the stack `MarketData-local` with
 * the history queue, its DLQ and the ingest function, for `cdklocal deploy`
 * (docs/localstack.md). cdk-nag runs on it as on the AWS app.
 */
export function buildLocalApp(app: App = new App(), overrides: Partial<AppConfig> = {}): BuiltLocalApp {
  const config = loadConfig(app.node, overrides);
  const stack = new LocalMarketDataStack(app, LOCAL_STACK_NAME, {
    config,
    description: 'Market data collector on LocalStack: SQS -> Lambda -> the compose PostgreSQL (no VPC, RDS, ElastiCache or ECS)',
  });
  Tags.of(stack).add('project', 'market-data-collector');
  Tags.of(stack).add('stage', 'local');
  addChecks(app);
  return { app, stack, config };
}
