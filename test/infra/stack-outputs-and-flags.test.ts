/**
 * Threat: the docs name outputs the stack does not have (CfnOutputs inside a construct get a
 * path-and-hash logical id, so `BucketName` came out as `Pop3PollerBucketName1A2B3C4D`), and
 * `cdk synth` runs with CDK's legacy behaviours because cdk.json lacks the recommended flags.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { validateDeployConfig } from '../../infra/deploy-config.js';
import { Pop3IngestStack, STACK_OUTPUTS } from '../../infra/stack.js';
import { sampleConfig } from './synth.js';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

function outputsOf(poller: ConstructorParameters<typeof Pop3IngestStack>[2]['poller'] = {}): string[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Pop3IngestStack(app, 'Pop3Ingest', { deployConfig: validateDeployConfig(sampleConfig(), 'sample'), poller });
  return Object.keys(Template.fromStack(stack).toJSON().Outputs as Record<string, unknown>).sort();
}

describe('stack outputs', () => {
  it('are named exactly as docs/deploy.md says', () => {
    expect(outputsOf()).toEqual(['BucketName', 'DashboardName', 'DeadLetterQueueUrl', 'EventBusArn', 'EventBusName', 'FunctionName']);
    expect(outputsOf({ fixedEgressIp: true })).toContain('EgressIpAddress');
    const docs = read('docs/deploy.md');
    for (const name of STACK_OUTPUTS) expect(docs, name).toContain(`\`${name}\``);
  }, 60_000);
});

describe('cdk.json', () => {
  it('carries every recommended feature flag of the aws-cdk-lib in use, at its recommended value', () => {
    const recommended = JSON.parse(read('node_modules/aws-cdk-lib/recommended-feature-flags.json')) as Record<string, unknown>;
    const context = (JSON.parse(read('cdk.json')) as { context: Record<string, unknown> }).context;
    expect(Object.keys(recommended).length).toBeGreaterThan(50);
    for (const [flag, value] of Object.entries(recommended)) expect(context[flag], flag).toEqual(value);
  });
});
