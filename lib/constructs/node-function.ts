import { join } from 'node:path';
import { Duration, RemovalPolicy, aws_lambda as lambda, aws_lambda_nodejs as nodejs, aws_logs as logs, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The repository root: NodejsFunction entry points and the lock file are resolved from here. */
export const REPO_ROOT = join(__dirname, '..', '..');

/**
 * Runtime CAs for `sslmode=verify-full`: from Node.js 20 on, Lambda no longer loads
 * the Amazon RDS CA bundle by default; this file in the runtime holds it.
 */
const LAMBDA_RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

export interface NodeFunctionProps {
  /** Entry file relative to the repository root, e.g. `lambdas/ingest/index.ts`. */
  entry: string;
  /** Exported handler name. Default `handler`. */
  handler?: string;
  /** Powertools service name (POWERTOOLS_SERVICE_NAME), also the log and metric `service`. */
  serviceName: string;
  /** Powertools metrics namespace (POWERTOOLS_METRICS_NAMESPACE). */
  metricsNamespace: string;
  logRetention: logs.RetentionDays;
  timeout: Duration;
  memorySize?: number;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  environment?: Record<string, string>;
  vpc?: lambda.FunctionProps['vpc'];
  vpcSubnets?: lambda.FunctionProps['vpcSubnets'];
  securityGroups?: lambda.FunctionProps['securityGroups'];
  reservedConcurrentExecutions?: number;
  /** Extra bundling hooks, e.g. copying data files next to the bundle. */
  commandHooks?: nodejs.ICommandHooks;
  description?: string;
}

/**
 * Every Node.js function of the project is built here so they are configured the
 * same way: Node.js 22 on ARM64 (Graviton), X-Ray tracing, a log group with the
 * stage's retention, JSON logs, source maps in stack traces, the Powertools
 * environment, and bundling by the local esbuild (never Docker).
 */
export class NodeFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 512,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        sourceMap: true,
        minify: true,
        // The Node.js 22 runtime ships AWS SDK v3; optional native add-ons of ws/pg are not used.
        externalModules: ['@aws-sdk/*', 'pg-native', 'bufferutil', 'utf-8-validate'],
        commandHooks: props.commandHooks,
      },
    });
    const acknowledge = (id: string, reason: string) => Validations.of(this.function).acknowledge({ id, reason });
    acknowledge('AwsSolutions-L1', 'Node.js 22 is the production runtime the code is bundled for (esbuild target node22) and tested on; moving to a newer runtime is a deliberate upgrade of every function at once here.');
    acknowledge(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The Lambda-documented basic execution policy (CloudWatch Logs writes); the function logs only to its own log group created here.',
    );
    if (props.vpc) {
      acknowledge(
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'Required for a function in a VPC: Lambda manages the function\'s network interfaces with these EC2 actions, which AWS documents as this managed policy.',
      );
    }
    acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (tracing: ACTIVE) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    );
  }
}
