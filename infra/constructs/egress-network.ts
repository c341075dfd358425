/**
 * A small VPC whose only way out is one NAT gateway with an Elastic IP the stack owns, for mail
 * providers that only accept POP3 connections from allowlisted addresses. The address survives
 * redeployments because the EIP is its own resource (retained when the stack is deleted).
 *
 * Costs money even when idle (a NAT gateway bills per hour): opt-in only, see docs/cost.md.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Properties of EgressNetwork. */
export interface EgressNetworkProps {
  /** @default '10.42.0.0/24' */
  readonly cidr?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
}

/** A VPC with private subnets behind one NAT gateway whose public IP is fixed. */
export class EgressNetwork extends Construct {
  /** The VPC. */
  readonly vpc: ec2.Vpc;
  /** The fixed public address mail providers see (give this to the provider's allowlist; Pop3IngestStack outputs it as EgressIpAddress). */
  readonly egressIp: string;
  /** Subnets to place the function in. */
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

  constructor(scope: Construct, id: string, props: EgressNetworkProps = {}) {
    super(scope, id);
    const eip = new ec2.CfnEIP(this, 'EgressIp', { domain: 'vpc', tags: [{ key: 'Name', value: 'pop3-ingest-egress' }] });
    // Keep the allowlisted address even if the stack goes away: re-creating it would change it.
    eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.egressIp = eip.ref;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.42.0.0/24'),
      // Two AZs for the function's ENIs; one NAT gateway, because one fixed address is the point.
      maxAzs: 2,
      natGateways: 1,
      natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: [eip.attrAllocationId] }),
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 27 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 26 },
      ],
      // Nothing runs in the default security group (the function gets its own); restricting it
      // would add a custom-resource Lambda for no gain.
      restrictDefaultSecurityGroup: false,
    });
    // Mail goes to S3 through a gateway endpoint: free, and it keeps every stored byte out of
    // the NAT gateway's per-GB processing charge (docs/cost.md).
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', { retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
  }
}
