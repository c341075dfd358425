/**
 * Pop3IngestStack: the deployable stack, one Pop3Poller configured from a mailboxes file.
 *
 * Environment-agnostic on purpose (no account, no region, no lookups): `cdk synth` works
 * offline on a fresh clone, and the same template deploys to any account and region.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { DeployConfig } from './deploy-config.js';
import { Pop3Poller, type Pop3PollerProps } from './constructs/pop3-poller.js';

/** Properties of Pop3IngestStack. */
export interface Pop3IngestStackProps extends StackProps {
  /** The validated mailboxes file (see loadDeployConfig). */
  readonly deployConfig: DeployConfig;
  /** Send alarm notifications to this existing SNS topic. */
  readonly alarmTopicArn?: string;
  /** Everything else Pop3Poller accepts (memory, retries, VPC, fixed egress IP, ...). */
  readonly poller?: Omit<Pop3PollerProps, 'config' | 'configSource' | 'alarmTopic'>;
}

/** The pop3-ingest stack. */
export class Pop3IngestStack extends Stack {
  /** The poller and everything around it. */
  readonly poller: Pop3Poller;

  constructor(scope: Construct, id: string, props: Pop3IngestStackProps) {
    super(scope, id, props);
    const alarmTopic = props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : undefined;
    this.poller = new Pop3Poller(this, 'Pop3Poller', {
      ...props.poller,
      config: props.deployConfig.raw,
      configSource: props.deployConfig.source,
      ...(alarmTopic ? { alarmTopic } : {}),
    });
    // Outputs at the stack's top level, so their names are exactly these (docs/deploy.md).
    const poller = this.poller;
    output(this, 'BucketName', poller.bucket.bucketName, 'Raw messages, seen-state and leases');
    output(this, 'EventBusName', poller.eventBus.eventBusName, 'One event per stored message');
    output(this, 'EventBusArn', poller.eventBusArn, 'What the function publishes to (works across accounts and regions)');
    output(this, 'FunctionName', poller.function.functionName, 'The poller (invoke with {"mailboxId": "<id>"})');
    output(this, 'DeadLetterQueueUrl', poller.deadLetterQueue.queueUrl, 'Dropped or failed scheduled polls');
    if (poller.monitoring.dashboard) output(this, 'DashboardName', poller.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    if (poller.egress) output(this, 'EgressIpAddress', poller.egress.egressIp, 'The fixed public IP POP3 connections come from: add it to the mail provider\'s allowlist');
  }
}

/** Names of the stack's outputs, as docs/deploy.md lists them. */
export const STACK_OUTPUTS = ['BucketName', 'EventBusName', 'EventBusArn', 'FunctionName', 'DeadLetterQueueUrl', 'DashboardName', 'EgressIpAddress'] as const;

function output(stack: Stack, name: (typeof STACK_OUTPUTS)[number], value: string, description: string): void {
  new CfnOutput(stack, name, { value, description });
}
