import { Duration, RemovalPolicy, aws_ec2 as ec2, aws_logs as logs, aws_rds as rds, aws_secretsmanager as secretsmanager, Validations } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';

export interface DatabaseProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  /** Instance class without the `db.` prefix, e.g. `t4g.medium`. */
  instanceClass: string;
  allocatedStorageGiB: number;
  maxAllocatedStorageGiB: number;
  logRetention: logs.RetentionDays;
  /** The Secrets Manager endpoint the rotation function calls from the isolated subnets. */
  secretsManagerEndpoint: ec2.IInterfaceVpcEndpoint;
}

export const DATABASE_NAME = 'mdc';
export const POSTGRES_PORT = 5432;
/** Rotation period of every database secret. */
export const DATABASE_SECRET_ROTATION = Duration.days(30);

/**
 * RDS for PostgreSQL 16, Multi-AZ, encrypted, with generated credentials in
 * Secrets Manager rotated every 30 days, and an RDS Proxy (TLS required) for the
 * Lambda functions. The parameter group preloads pg_cron, which is how Amazon
 * RDS documents running pg_partman's maintenance (`partman.run_maintenance_proc`)
 * on a schedule, with `cron.database_name` pointing at the application database.
 * TimescaleDB is not offered on RDS; the migrations pick pg_partman there.
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  readonly securityGroup: ec2.SecurityGroup;
  readonly proxySecurityGroup: ec2.SecurityGroup;
  /** The ingest function's login (role mdc_ingest, migration 0011), attached to the instance. */
  readonly ingestSecret: secretsmanager.ISecret;
  /** The config API's login (role mdc_api). */
  readonly apiSecret: secretsmanager.ISecret;
  /**
   * The rotation schedules of the function logins. Creating one rotates at once,
   * and the rotation function first logs in with the current secret, which
   * works only once migrate has made the role a login with that password: the
   * stack makes them wait for migrate (lib/market-data-stack.ts).
   */
  readonly functionSecretRotationSchedules: IConstruct[] = [];

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16_13 });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PostgreSQL: 5432 from RDS Proxy, the migrate function and the rotation function only',
      allowAllOutbound: false,
    });
    this.proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc: props.vpc,
      description: 'RDS Proxy: 5432 from the ingest (and later API) functions only',
      allowAllOutbound: false,
    });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Market data: pg_cron for partition maintenance, TLS only',
      parameters: {
        shared_preload_libraries: 'pg_stat_statements,pg_cron',
        'cron.database_name': DATABASE_NAME,
        'rds.force_ssl': '1',
        log_min_duration_statement: '1000',
      },
    });
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: new ec2.InstanceType(props.instanceClass),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      multiAz: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageEncrypted: true,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('mdc_admin', { excludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\' }),
      parameterGroup,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      backupRetention: Duration.days(7),
      copyTagsToSnapshot: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      enablePerformanceInsights: true,
      monitoringInterval: Duration.seconds(60),
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: props.logRetention,
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'Enhanced Monitoring requires this AWS-documented service policy on the monitoring role RDS assumes; it grants only writes to the RDSOSMetrics log group.',
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'PostgreSQL keeps its default port: RDS Proxy and the clients expect 5432, and only the proxy, migrate and rotation security groups may connect.',
    });

    // Rotation replaces the password every 30 days; the proxy and the functions read the secret again.
    this.instance.addRotationSingleUser({
      automaticallyAfter: DATABASE_SECRET_ROTATION,
      vpcSubnets: props.subnets,
      endpoint: props.secretsManagerEndpoint,
    });

    // One login per function, so neither uses the master user (migrate alone
    // does). Generated here, given to the roles by migrate, and rotated by the
    // multi-user scheme: the master sets the password of the role's `_clone`
    // (a member of the role) and switches the secret to it, so connections on
    // the previous login keep working through the switch.
    const functionSecret = (id: string, username: string): secretsmanager.ISecret => {
      const secret = new rds.DatabaseSecret(this, id, {
        username,
        // The functions and the rotation function take the database from the
        // secret (secret.ts falls back to `postgres`, where the roles have no grants).
        dbname: DATABASE_NAME,
        masterSecret: this.instance.secret!,
        excludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\',
      });
      const attached = secret.attach(this.instance);
      this.instance.addRotationMultiUser(`${id}Rotation`, {
        secret: attached,
        automaticallyAfter: DATABASE_SECRET_ROTATION,
        vpcSubnets: props.subnets,
        endpoint: props.secretsManagerEndpoint,
      });
      const schedule = attached.node.tryFindChild('RotationSchedule');
      if (!schedule) throw new Error(`${id}: no rotation schedule under the secret attachment (aws-cdk-lib changed its construct tree?)`);
      this.functionSecretRotationSchedules.push(schedule);
      return attached;
    };
    this.ingestSecret = functionSecret('IngestSecret', 'mdc_ingest');
    this.apiSecret = functionSecret('ApiSecret', 'mdc_api');

    this.proxy = this.instance.addProxy('Proxy', {
      // The proxy logs in as whichever user a client names, with that user's secret.
      secrets: [this.instance.secret!, this.ingestSecret, this.apiSecret],
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.proxySecurityGroup],
      requireTLS: true,
      iamAuth: false,
      // Lambda connections are short-lived; idle clients are dropped after 10 minutes.
      idleClientTimeout: Duration.minutes(10),
      maxConnectionsPercent: 80,
    });
    // addProxy admits the proxy's security group on the instance port itself.
  }

  /** The master secret: migrate (and rotation) only. */
  get secretArn(): string {
    return this.instance.secret!.secretArn;
  }

  /** Lets a function connect through the proxy (ingest, API). */
  allowProxyFrom(peer: ec2.IConnectable, description: string): void {
    this.proxySecurityGroup.connections.allowFrom(peer, ec2.Port.tcp(POSTGRES_PORT), description);
  }

  /** Lets a function connect to the instance directly (migrate: it holds a session advisory lock). */
  allowDirectFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(POSTGRES_PORT), description);
  }
}
