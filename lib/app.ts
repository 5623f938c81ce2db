import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, type AppConfig } from './config';
import { MarketDataStack } from './market-data-stack';

export interface BuiltApp {
  app: App;
  stack: MarketDataStack;
  config: AppConfig;
}

/**
 * Builds the CDK app: configuration from context, the stack, tags, and the
 * cdk-nag AwsSolutions pack as a validation plugin (synthesis fails on any
 * unacknowledged error). Shared by bin/app.ts and the infrastructure tests.
 */
export function buildApp(app: App = new App(), overrides: Partial<AppConfig> = {}): BuiltApp {
  const config = loadConfig(app.node, overrides);
  const stack = new MarketDataStack(app, `MarketData-${config.stageName}`, {
    config,
    description: `Market data collector (${config.stageName}): Binance -> ECS collector -> Redis + SQS -> Lambda -> PostgreSQL`,
  });
  Tags.of(stack).add('project', 'market-data-collector');
  Tags.of(stack).add('stage', config.stageName);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
