import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnResource, CustomResource, Duration, RemovalPolicy, Stack, aws_ec2 as ec2, aws_logs as logs, custom_resources as cr, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Database } from './database';
import { NodeFunction, REPO_ROOT } from './node-function';

export const MIGRATIONS_DIR = join(REPO_ROOT, 'lambdas', 'migrate', 'migrations');

/** SHA-256 over the names and contents of the SQL files, in apply order. */
export function migrationsHash(dir: string = MIGRATIONS_DIR): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    hash.update(name).update('\0').update(readFileSync(join(dir, name))).update('\0');
  }
  return hash.digest('hex');
}

export interface MigrationsProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  database: Database;
  logRetention: logs.RetentionDays;
  metricsNamespace: string;
}

/**
 * Applies lambdas/migrate on deploy through a custom resource. The resource's
 * `MigrationsHash` property changes whenever a SQL file is added or edited, which
 * makes CloudFormation send an Update and the function apply what is pending.
 *
 * The function connects to the instance directly, not through RDS Proxy: the
 * migration runner holds a session-level advisory lock across statements, which
 * pins the proxy connection anyway, and a 10+ minute DDL session gains nothing
 * from pooling. Direct access is limited to this function's security group.
 */
export class Migrations extends Construct {
  readonly function: NodeFunction;
  readonly resource: CustomResource;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'migrate function: PostgreSQL directly and Secrets Manager through its endpoint',
    });
    this.function = new NodeFunction(this, 'Migrate', {
      entry: 'lambdas/migrate/index.ts',
      handler: 'handler',
      description: 'Applies the SQL migrations (custom resource on every deploy that changes them)',
      serviceName: 'migrate',
      metricsNamespace: props.metricsNamespace,
      logRetention: props.logRetention,
      timeout: Duration.minutes(14),
      memorySize: 256,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      // The master login (it owns the schema), and the functions' secrets to give their roles the passwords.
      environment: {
        DB_SECRET_ARN: props.database.secretArn,
        DB_SSLMODE: 'verify-full',
        INGEST_DB_SECRET_ARN: props.database.ingestSecret.secretArn,
        API_DB_SECRET_ARN: props.database.apiSecret.secretArn,
      },
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // The migrator reads its SQL files from `migrations/` next to index.js.
        afterBundling: (inputDir: string, outputDir: string) => [`cp -R "${join(inputDir, 'lambdas', 'migrate', 'migrations')}" "${join(outputDir, 'migrations')}"`],
      },
    });
    props.database.instance.secret!.grantRead(this.function.function);
    props.database.ingestSecret.grantRead(this.function.function);
    props.database.apiSecret.grantRead(this.function.function);
    props.database.allowDirectFrom(this.securityGroup, 'migrate function (session advisory lock)');

    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const provider = new cr.Provider(this, 'Provider', { onEventHandler: this.function.function, logGroup: providerLogs });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SchemaMigrations',
      properties: { MigrationsHash: migrationsHash(), DatabaseEndpoint: props.database.instance.dbInstanceEndpointAddress },
    });
    this.resource.node.addDependency(props.database.instance);

    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The custom resource framework function is created by aws-cdk-lib with the runtime that CDK version pins; it only relays events to the migrate function, which runs Node.js 22.',
    });
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The CDK custom resource framework function uses the Lambda basic execution policy to write its own logs.',
    });
    Validations.of(provider).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.function.function.node.defaultChild as CfnResource)}.Arn>:*]`,
      reason: 'The framework may invoke only the migrate function; the :* suffix covers its versions and aliases, as generated by custom_resources.Provider.',
    });
  }
}
