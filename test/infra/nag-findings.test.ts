/**
 * Threat: an insecure resource slips in unnoticed, or a finding is silenced without a reason.
 * cdk-nag's AwsSolutions pack must report 0 unacknowledged findings for every shape the stack
 * takes, and every acknowledgement must say why.
 */
import { describe, expect, it } from 'vitest';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { validateDeployConfig } from '../../infra/deploy-config.js';
import { Pop3IngestStack } from '../../infra/stack.js';
import { nagFindings, sampleConfig, synthDefault, synthPoller, synthVariant } from './synth.js';

/** Every acknowledgement recorded in the tree: rule id and reason. */
function acknowledgements(root: IConstruct): { id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason }))),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default poller', () => {
    expect(nagFindings(synthDefault().app)).toEqual([]);
  });

  it('finds nothing unacknowledged with KMS, access logs, alarms and every option on', () => {
    expect(nagFindings(synthVariant().app)).toEqual([]);
  });

  it('finds nothing unacknowledged in the fixed-egress-IP network variant', () => {
    const { app, template } = synthPoller({ fixedEgressIp: true });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::EIP', 1);
    template.hasResourceProperties('AWS::EC2::FlowLog', {});
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }) });
    expect(nagFindings(app)).toEqual([]);
  });

  it('finds nothing unacknowledged in the stack as the CDK app builds it', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new Pop3IngestStack(app, 'Pop3Ingest', {
      deployConfig: validateDeployConfig(sampleConfig(), 'sample'),
      alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:ops',
      poller: { code: lambda.Code.fromInline('export const handler = async () => ({});') },
    });
    expect(nagFindings(app)).toEqual([]);
  });

  it('synthesizes without CDK warnings or errors (deprecated APIs, invalid settings)', () => {
    for (const { stack } of [synthDefault(), synthVariant()]) {
      const warnings = Annotations.fromStack(stack)
        .findWarning('*', Match.anyValue())
        .map((w) => String(w.entry.data))
        // Expected: an imported log bucket's own policy must admit S3 logging (documented on the prop).
        .filter((w) => !w.includes('@aws-cdk/aws-s3:accessLogsPolicyNotAdded'));
      expect(warnings).toEqual([]);
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    }
  });

  it('still catches an insecure resource (the check is live)', () => {
    const { app, stack } = synthPoller();
    new lambda.Function(stack, 'Old', { runtime: lambda.Runtime.NODEJS_18_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=()=>1') });
    expect(nagFindings(app).some((f) => f.startsWith('AwsSolutions-L1') || f.startsWith('AwsSolutions-IAM4'))).toBe(true);
  });

  it('gives a written reason with every acknowledgement', () => {
    const all = [synthDefault().app, synthVariant().app, synthPoller({ fixedEgressIp: true }).app].flatMap(acknowledgements);
    expect(all.length).toBeGreaterThan(0);
    for (const { id, reason } of all) {
      expect(reason.length, id).toBeGreaterThan(40);
    }
  });
});
