import { RemovalPolicy, aws_ec2 as ec2, aws_logs as logs, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface NetworkProps {
  logRetention: logs.RetentionDays;
}

/**
 * VPC over two availability zones: private subnets with NAT egress for the
 * collector (the exchange is on the internet), isolated subnets for Redis,
 * PostgreSQL and the Lambda functions, and VPC endpoints so AWS API calls stay
 * inside the VPC (and the isolated subnets need no NAT at all).
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      // One NAT gateway per AZ: the collector's exchange connections survive the loss of an AZ.
      natGateways: 2,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: true,
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    // ECR image layers come from S3: the gateway endpoint keeps them off the NAT (and its per-GB charge).
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const endpointSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const endpoint = (name: string, service: ec2.InterfaceVpcEndpointAwsService) => {
      const created = this.vpc.addInterfaceEndpoint(name, { service, subnets: endpointSubnets, privateDnsEnabled: true, open: true });
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'The endpoint admits 443 from the VPC CIDR only (open: true = Fn::GetAtt Vpc.CidrBlock, which the rule cannot evaluate), never from 0.0.0.0/0.',
      });
      return created;
    };
    endpoint('Sqs', ec2.InterfaceVpcEndpointAwsService.SQS);
    this.secretsManagerEndpoint = endpoint('SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER);
    endpoint('Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS);
    endpoint('EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR);
    endpoint('EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER);
  }

  get appSubnets(): ec2.SubnetSelection {
    return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  }

  get dataSubnets(): ec2.SubnetSelection {
    return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  }
}
