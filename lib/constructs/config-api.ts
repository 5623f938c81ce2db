import {
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
  aws_apigateway as apigw,
  aws_ec2 as ec2,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ROUTES, routeArnPath, type RouteAccess } from '../../lambdas/api/routes';
import type { Database } from './database';
import { NodeFunction } from './node-function';
import type { Redis } from './redis';

/** Entry of the config API function (exported `handler`), relative to the repository root. */
export const CONFIG_API_ENTRY = 'lambdas/api/index.ts';
/** Powertools service name of the function: the `service` dimension of its EMF metrics. */
export const CONFIG_API_SERVICE_NAME = 'config-api';
/** Below API Gateway's 29 s integration timeout, so the function's own timeout is what fails a slow request. */
export const CONFIG_API_TIMEOUT = Duration.seconds(28);
/** Stage throttling defaults: requests per second (steady) and burst. */
export const DEFAULT_API_THROTTLING_RATE_LIMIT = 50;
export const DEFAULT_API_THROTTLING_BURST_LIMIT = 100;
/**
 * Reserved concurrency of the API function: at most this many requests run at
 * once, so at most this many API statements run on the database ingest writes
 * to, each bounded by its statement timeout (API_HISTORY_STATEMENT_TIMEOUT_MS).
 * At the 50 rps stage throttle a history page of ~10-60 ms keeps 1-3 instances
 * busy; 10 absorbs the burst of 100 for requests up to 100 ms. Connections: 10
 * instances x a pool of 2 = 20 through RDS Proxy, beside ingest's 4 x 2 = 8, of
 * the ~330 the proxy may open on a db.t4g.medium (80 % of max_connections ~410);
 * docs/api.md "Reads cannot starve ingest" has the arithmetic.
 */
export const DEFAULT_API_RESERVED_CONCURRENCY = 10;
/** How often EventBridge invokes the function to reconcile the Redis config snapshot with PostgreSQL. */
export const RECONCILE_INTERVAL = Duration.minutes(1);

/**
 * Body of every gateway response (errors API Gateway answers itself: unsigned or
 * badly signed requests, denied principals, throttling, unknown paths, integration
 * failures), in the handler's error shape. `messageString` is already a quoted JSON string.
 */
export const GATEWAY_ERROR_TEMPLATE = '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}';

/** Gateway responses given the project's error shape: the two defaults and the ones callers meet most. */
export const GATEWAY_RESPONSE_TYPES: ReadonlyArray<[string, apigw.ResponseType]> = [
  ['Default4xx', apigw.ResponseType.DEFAULT_4XX],
  ['Default5xx', apigw.ResponseType.DEFAULT_5XX],
  ['MissingAuthenticationToken', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN],
  ['InvalidSignature', apigw.ResponseType.INVALID_SIGNATURE],
  ['ExpiredToken', apigw.ResponseType.EXPIRED_TOKEN],
  ['AccessDenied', apigw.ResponseType.ACCESS_DENIED],
  ['RequestTooLarge', apigw.ResponseType.REQUEST_TOO_LARGE],
  ['Throttled', apigw.ResponseType.THROTTLED],
];

export interface ConfigApiProps {
  vpc: ec2.IVpc;
  /** Subnets of the function: the isolated data subnets (it reaches only RDS Proxy, Redis and the Secrets Manager endpoint). */
  subnets: ec2.SubnetSelection;
  database: Database;
  redis: Redis;
  /** The Secrets Manager interface endpoint; the function's security group may reach it on 443. */
  secretsManagerEndpoint: ec2.IConnectable;
  /**
   * The deployment stage (`dev`, `prod`): it names the API (`market-data-<stage>-config`)
   * and is the API Gateway stage name, so URLs, access logs, metrics and `API_STAGE`
   * all say which environment a request went to.
   */
  stageName: string;
  logRetention: logs.RetentionDays;
  /** Powertools metrics namespace of the function (POWERTOOLS_METRICS_NAMESPACE). */
  metricsNamespace: string;
  /** Stage-wide steady request rate per second. Default 50. */
  throttlingRateLimit?: number;
  /** Stage-wide burst. Default 100. */
  throttlingBurstLimit?: number;
  /** Reserved concurrency of the function. Default DEFAULT_API_RESERVED_CONCURRENCY (10). */
  reservedConcurrency?: number;
  /**
   * Who may assume the reader and admin roles. Default the account root: the account's
   * IAM administrators then decide, with `sts:AssumeRole` in identity policies, which
   * people and services get which role.
   */
  trustedPrincipal?: iam.IPrincipal;
}

/**
 * The config API: an API Gateway REST API whose resources and methods are generated
 * from the route table (`lambdas/api/routes.ts`), every method `AWS_IAM`, proxying to
 * one Node.js function in the VPC that reads and writes the configuration in
 * PostgreSQL (through RDS Proxy) and pushes the snapshot to Redis. EventBridge invokes
 * the same function every minute to reconcile the Redis snapshot with PostgreSQL.
 *
 * Two roles come with it, scoped from the same table: the reader role may invoke the
 * `read` routes, the admin role every route, each as one execute-api ARN per method and
 * path on this stage. Their ARNs are the function's API_READER_PRINCIPALS /
 * API_ADMIN_PRINCIPALS, so IAM and the handler agree on who is who, and a principal that
 * IAM lets through some other way (an administrator's own execute-api permission) is
 * still refused by the handler.
 */
export class ConfigApi extends Construct {
  readonly api: apigw.RestApi;
  readonly stage: apigw.Stage;
  readonly function: NodeFunction;
  readonly securityGroup: ec2.SecurityGroup;
  readonly readerRole: iam.Role;
  readonly adminRole: iam.Role;
  readonly accessLogGroup: logs.LogGroup;
  readonly executionLogGroup: logs.LogGroup;
  readonly reconcileRule: events.Rule;
  /** Every generated method, keyed `METHOD /path` as in the route table. */
  readonly methods = new Map<string, apigw.Method>();
  /** The execute-api ARNs granted to each role (what `routeArns` computed). */
  readonly grantedArns: Record<'reader' | 'admin', string[]>;

  constructor(scope: Construct, id: string, props: ConfigApiProps) {
    super(scope, id);
    const { stageName } = props;

    // --- Function -------------------------------------------------------------
    // No outbound beyond what it needs: RDS Proxy, Redis and Secrets Manager (the
    // isolated subnets have no route anywhere else anyway).
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'config API function: RDS Proxy, Redis and Secrets Manager through its endpoint',
      allowAllOutbound: false,
    });
    const trusted = props.trustedPrincipal ?? new iam.AccountRootPrincipal();
    this.readerRole = new iam.Role(this, 'ReaderRole', {
      assumedBy: trusted,
      description: `Market data ${stageName} config API: read routes (execute-api:Invoke on GET routes)`,
    });
    this.adminRole = new iam.Role(this, 'AdminRole', {
      assumedBy: trusted,
      description: `Market data ${stageName} config API: every route`,
    });

    this.function = new NodeFunction(this, 'Function', {
      entry: CONFIG_API_ENTRY,
      handler: 'handler',
      description: 'Config API (API Gateway, AWS_IAM) and the minute reconciliation of the Redis config snapshot',
      serviceName: CONFIG_API_SERVICE_NAME,
      metricsNamespace: props.metricsNamespace,
      logRetention: props.logRetention,
      timeout: CONFIG_API_TIMEOUT,
      memorySize: 512,
      // Bounds the database work reads can take from ingest (and the connections they hold).
      reservedConcurrentExecutions: props.reservedConcurrency ?? DEFAULT_API_RESERVED_CONCURRENCY,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      environment: {
        // The handler matches sessions (`assumed-role/<name>/…`) of these roles.
        API_READER_PRINCIPALS: this.readerRole.roleArn,
        API_ADMIN_PRINCIPALS: this.adminRole.roleArn,
        // Its own login (mdc_api): it can read history and write the config, nothing else.
        DB_SECRET_ARN: props.database.apiSecret.secretArn,
        DB_HOST: props.database.proxy.endpoint,
        DB_SSLMODE: 'verify-full',
        // rediss:// = TLS, as for the collector; the AUTH token is the secret's plain string.
        REDIS_URL: props.redis.url,
        REDIS_AUTH_SECRET_ARN: props.redis.authToken.secretArn,
        API_STAGE: stageName,
      },
    });
    const fn = this.function.function;
    props.database.apiSecret.grantRead(fn);
    props.redis.authToken.grantRead(fn);
    props.database.allowProxyFrom(this.securityGroup, 'config API function');
    props.redis.allowFrom(this.securityGroup, 'config API function');
    this.securityGroup.connections.allowTo(props.secretsManagerEndpoint, ec2.Port.tcp(443), 'config API function: Secrets Manager');

    // --- REST API ---------------------------------------------------------------
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const throttlingRateLimit = props.throttlingRateLimit ?? DEFAULT_API_THROTTLING_RATE_LIMIT;
    const throttlingBurstLimit = props.throttlingBurstLimit ?? DEFAULT_API_THROTTLING_BURST_LIMIT;
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `market-data-${stageName}-config`,
      description: `Market data collector configuration (${stageName}); every method AWS_IAM`,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Access and execution logs need the account-level CloudWatch role of API Gateway
      // (one per account and region; kept when the stack is deleted, since other APIs may use it).
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        // Execution logs for errors only, never request or response bodies.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit,
        throttlingBurstLimit,
      },
    });
    this.stage = this.api.deploymentStage;
    // RestApi adds an `Endpoint` output of its own; the stack names the URL output (ConfigApiUrl).
    this.api.node.tryRemoveChild('Endpoint');

    // API Gateway creates the execution log group on first use without retention;
    // created here first, it keeps the stage's retention and goes with the stack.
    this.executionLogGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage.node.addDependency(this.executionLogGroup);

    // Resources and methods from the route table, nothing else.
    const integration = new apigw.LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });
    for (const route of ROUTES) {
      const resource = route.path
        .split('/')
        .filter(Boolean)
        .reduce<apigw.IResource>((parent, part) => parent.getResource(part) ?? parent.addResource(part), this.api.root);
      const method = resource.addMethod(route.method, integration, {
        authorizationType: apigw.AuthorizationType.IAM,
        operationName: route.operationId,
      });
      this.methods.set(`${route.method} ${route.path}`, method);
    }

    for (const [name, type] of GATEWAY_RESPONSE_TYPES) {
      this.api.addGatewayResponse(`${name}Response`, { type, templates: { 'application/json': GATEWAY_ERROR_TEMPLATE } });
    }

    // --- Roles --------------------------------------------------------------------
    this.grantedArns = {
      reader: routeArns(this.api, stageName, 'read'),
      admin: routeArns(this.api, stageName),
    };
    this.readerRole.addToPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: this.grantedArns.reader }));
    this.adminRole.addToPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: this.grantedArns.admin }));

    // --- Reconciliation -----------------------------------------------------------
    // A failed run is not retried: the next one comes a minute later.
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    this.reconcileRule = new events.Rule(this, 'ReconcileSchedule', {
      description: `Every minute: the config API function reconciles the Redis config snapshot with PostgreSQL (${stageName})`,
      schedule: events.Schedule.rate(RECONCILE_INTERVAL),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2, maxEventAge: Duration.minutes(1) })],
    });

    this.acknowledge();
  }

  /** The stage's invoke URL (ends with `/`); routes are below `v1/`. */
  get url(): string {
    return this.api.url;
  }

  private acknowledge(): void {
    const stack = Stack.of(this);
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'The handler validates every path, query and body against the route table\'s zod schemas (the ones the OpenAPI document is generated from) and answers 400/413/415/422 in the API\'s error shape; a second, weaker copy of those schemas as API Gateway models could only drift from them.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Every method requires a SigV4 signature of the reader or admin role (API Gateway refuses anything else before the function runs) and the stage is throttled; callers are operators and internal services, so a web ACL would add cost without blocking anything IAM does not.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Callers are IAM principals (operators and services assuming the reader or admin role), not end users: every method uses AWS_IAM authorization, there is no Cognito user pool.',
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'API Gateway\'s account-level logging role; AWS documents this managed policy for it, and access and execution logging of the stage do not work without it.',
      });
    }
    // The execute-api ARNs end in `*` where the route has a path parameter
    // (`/v1/symbols/*/*`): one statement resource per method and path, never a wildcard
    // method, stage or API.
    for (const [role, arns] of [[this.readerRole, this.grantedArns.reader], [this.adminRole, this.grantedArns.admin]] as const) {
      for (const arn of arns.filter((a) => nagArn(stack, a).includes('*'))) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagArn(stack, arn)}]`,
          reason: 'execute-api:Invoke on one method and route of this API and stage; the * stands for a path parameter ({exchange}, {symbol}), as API Gateway ARNs cannot name parameters.',
        });
      }
    }
  }
}

/** One execute-api ARN per route (optionally only those with the given access): `<api>/<stage>/<METHOD>/<path with * for parameters>`. */
export function routeArns(api: apigw.IRestApi, stageName: string, access?: RouteAccess): string[] {
  return ROUTES.filter((route) => access === undefined || route.access === access).map((route) => api.arnForExecuteApi(route.method, routeArnPath(route.path), stageName));
}

/**
 * How cdk-nag names a resource in an IAM5 finding: the resolved value with
 * pseudo-parameters and references written as `<AWS::Region>` / `<LogicalId>`.
 */
function nagArn(stack: Stack, arn: string): string {
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if ('Ref' in v) return `<${String(v.Ref)}>`;
      if ('Fn::Join' in v) {
        const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
        return parts.map(render).join(separator);
      }
      if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    }
    return JSON.stringify(value);
  };
  return render(stack.resolve(arn));
}

/**
 * JSON access log lines with who called what and how it ended: the caller's ARN (the
 * assumed role session), method, resource and path, status, latencies, the gateway's
 * error type and message (authentication, throttling) and the X-Ray trace.
 */
function accessLogFormat(): apigw.AccessLogFormat {
  const F = apigw.AccessLogField;
  const quoted: Record<string, string> = {
    requestId: F.contextRequestId(),
    extendedRequestId: F.contextExtendedRequestId(),
    requestTime: F.contextRequestTime(),
    ip: F.contextIdentitySourceIp(),
    userArn: F.contextIdentityUserArn(),
    userAgent: F.contextIdentityUserAgent(),
    httpMethod: F.contextHttpMethod(),
    resourcePath: F.contextResourcePath(),
    path: F.contextPath(),
    protocol: F.contextProtocol(),
    status: F.contextStatus(),
    responseLength: F.contextResponseLength(),
    responseLatency: F.contextResponseLatency(),
    integrationLatency: F.contextIntegrationLatency(),
    integrationStatus: F.contextIntegrationStatus(),
    errorType: F.contextErrorResponseType(),
    xrayTraceId: F.contextXrayTraceId(),
  };
  const fields = Object.entries(quoted).map(([key, value]) => `"${key}":"${value}"`);
  // Already a quoted JSON string (escapes quotes in the message).
  fields.push(`"errorMessage":${F.contextErrorMessageString()}`);
  return apigw.AccessLogFormat.custom(`{${fields.join(',')}}`);
}
