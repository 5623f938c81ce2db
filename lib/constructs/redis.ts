import { aws_ec2 as ec2, aws_elasticache as elasticache, aws_secretsmanager as secretsmanager, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface RedisProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  nodeType: string;
  stageName: string;
}

export const REDIS_PORT = 6379;

/**
 * ElastiCache for Valkey (Redis OSS compatible) replication group: a primary and
 * a replica in different AZs with automatic failover, TLS in transit, encryption
 * at rest, and an AUTH token generated into Secrets Manager (CloudFormation reads
 * it through a dynamic reference, so it never appears in the template). The
 * security group admits port 6379 only from what `allowFrom` names.
 */
export class Redis extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly authToken: secretsmanager.Secret;
  readonly securityGroup: ec2.SecurityGroup;
  /** rediss://host:port/0 of the primary endpoint. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'ElastiCache: 6379 from the collector (and functions that are allowed explicitly)',
      allowAllOutbound: false,
    });
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: `AUTH token of the ${props.stageName} market data Redis`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.authToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'ElastiCache AUTH tokens have no Secrets Manager rotation function; rotating one means ModifyReplicationGroup with AuthTokenUpdateStrategy ROTATE and a collector restart, done by an operator (docs/deployment.md).',
    });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'Isolated data subnets of the market data VPC',
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      // Lower-case and explicit: the CloudWatch CacheClusterId dimensions are derived from it.
      replicationGroupId: `market-data-${props.stageName}`,
      replicationGroupDescription: `Market data latest rates (${props.stageName})`,
      engine: 'valkey',
      engineVersion: '8.0',
      cacheNodeType: props.nodeType,
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      port: REDIS_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      snapshotRetentionLimit: 1,
      autoMinorVersionUpgrade: true,
    });
    Validations.of(this.replicationGroup).acknowledge({
      id: 'AwsSolutions-AEC5',
      reason: 'The default port is kept so standard Redis clients and tooling work; access is limited by the security group to the collector, not by port obscurity.',
    });
    this.url = `rediss://${this.replicationGroup.attrPrimaryEndPointAddress}:${this.replicationGroup.attrPrimaryEndPointPort}/0`;
  }

  /** Admits 6379 from the given peer's security groups only. */
  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(REDIS_PORT), description);
  }
}
