/**
 * Threat: a team with hundreds of mailboxes cannot deploy at all, because the whole configuration
 * rides in Lambda's 4 KB environment (about 17 mailboxes); or the fix loses the bucket and bus
 * the stack resolves at deploy time, or ships a config the handler would refuse.
 * The stack bundles the config as /var/task/pop3-ingest.config.json and passes only the bucket
 * and bus in the environment. Bundling is skipped here (fast); bundle-offline.test.ts checks the
 * file really lands in the asset.
 */
import { describe, expect, it } from 'vitest';
import { App, Duration, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { PollerFunction } from '../../infra/constructs/poller-function.js';
import { BUNDLED_CONFIG_NAME, BUNDLED_CONFIG_PATH } from '../../infra/constructs/pop3-poller.js';
import { parseConfig } from '../../lambda/config/schema.js';
import { allResourcesOf, resourcesOf, sampleConfig, synthPoller, type Synthesized } from './synth.js';

/** A config with `count` mailboxes shaped like the sample's first one. */
function manyMailboxes(count: number): Record<string, unknown> {
  const config = sampleConfig();
  const template = (config.mailboxes as Record<string, unknown>[])[0] ?? {};
  return { ...config, mailboxes: Array.from({ length: count }, (_, i) => ({ ...template, id: `box-${String(i).padStart(3, '0')}` })) };
}

function functionEnvironment(synth: Synthesized): Record<string, unknown> {
  const fns = Object.values(resourcesOf(synth.template, 'AWS::Lambda::Function'));
  expect(fns).toHaveLength(1);
  return (fns[0]?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('the bundled function configuration', () => {
  it('points the handler at the bundled file and passes only the bucket and bus in the environment', () => {
    // Prepare
    const synth = synthPoller({}, { realFunctionCode: true });

    // Act
    const env = functionEnvironment(synth);

    // Assess
    expect(BUNDLED_CONFIG_PATH).toBe(`/var/task/${BUNDLED_CONFIG_NAME}`);
    expect(env.POP3_INGEST_CONFIG_FILE).toBe('/var/task/pop3-ingest.config.json');
    expect(env.POP3_INGEST_CONFIG).toBeUndefined();
    const [bucketId] = Object.keys(resourcesOf(synth.template, 'AWS::S3::Bucket')).filter((id) => id.includes('Storage'));
    const [busId] = Object.keys(resourcesOf(synth.template, 'AWS::Events::EventBus'));
    expect(env.POP3_INGEST_BUCKET).toEqual({ Ref: bucketId });
    // The ARN, not the name: PutEvents with a name looks in the function's own account and region.
    expect(env.POP3_INGEST_EVENT_BUS).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
  });

  it('ships the config as written, which the handler parses to the same mailboxes, without deploy-time values', () => {
    // Prepare
    const { poller } = synthPoller({ config: { $schema: './schema.json', ...sampleConfig(), events: { source: 'acme.mail' } } }, { realFunctionCode: true });

    // Act
    const shipped = poller.bundledConfig ?? '';
    const config = parseConfig(JSON.parse(shipped), BUNDLED_CONFIG_NAME);

    // Assess
    expect(Token.isUnresolved(shipped)).toBe(false);
    expect(config.mailboxes.map((m) => m.id)).toEqual(['support', 'invoices']);
    expect(config.storage).toEqual({ prefix: 'mail/', statePrefix: expect.any(String) as string });
    expect(config.storage.bucket).toBeUndefined();
    expect(config.events).toEqual({ source: 'acme.mail' });
    expect(shipped).not.toContain('$schema');
  });

  it('overrides a bucket and bus named in the config with the ones the stack resolved', () => {
    // Prepare
    const named = { ...sampleConfig(), storage: { prefix: 'mail/', bucket: 'acme-mail' }, events: { busName: 'acme-bus' } };

    // Act
    const synth = synthPoller({ config: named }, { realFunctionCode: true });

    // Assess
    const env = functionEnvironment(synth);
    expect(synth.stack.resolve(env.POP3_INGEST_BUCKET)).toBe('acme-mail');
    expect(JSON.stringify(synth.stack.resolve(env.POP3_INGEST_EVENT_BUS))).toContain(':event-bus/acme-bus');
    expect(synth.poller.bundledConfig).not.toContain('acme-');
  });

  it('synthesizes 300 mailboxes: 300 schedules, a small environment, no 4 KB error', { timeout: 90_000 }, () => {
    // Prepare
    const config = manyMailboxes(300);
    expect(JSON.stringify(config).length).toBeGreaterThan(4096 * 10);

    // Act
    const synth = synthPoller({ config }, { realFunctionCode: true });

    // Assess: CDK's own 500-resources check is on; the schedules sit in nested stacks
    expect(Object.keys(allResourcesOf(synth, 'AWS::Scheduler::Schedule'))).toHaveLength(300);
    const env = functionEnvironment(synth);
    expect(JSON.stringify(env).length).toBeLessThan(1024);
    expect(parseConfig(JSON.parse(synth.poller.bundledConfig ?? ''), BUNDLED_CONFIG_NAME).mailboxes).toHaveLength(300);
  });

  it('still refuses a config over 4 KB with prebuilt code, which can only take it inline, and names the fix', () => {
    const { stack } = synthPoller({ config: manyMailboxes(30) });
    Annotations.fromStack(stack).hasError('*', Match.stringLikeRegexp('4096-byte limit.*leave `code` unset'));
  });

  it('refuses a config holding a CDK token: the bundled file is written at synth time', () => {
    const config = sampleConfig();
    const [first, ...rest] = config.mailboxes as Record<string, unknown>[];
    const tokenized = { ...config, mailboxes: [{ ...first, host: Token.asString({ Ref: 'SomeHost' }) }, ...rest] };
    expect(() => synthPoller({ config: tokenized }, { realFunctionCode: true })).toThrow(/CDK token/);
  });
});

describe('PollerFunction bundled files', () => {
  const stackAndProps = () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'T');
    return { stack, props: { timeout: Duration.minutes(1),
    environment: {},
    retryAttempts: 1,
    maxEventAge: Duration.minutes(2),
    deadLetterQueue: new sqs.Queue(stack, 'Dlq') } };
  };

  it('cannot be added to prebuilt code', () => {
    const { stack, props } = stackAndProps();
    expect(
      () => new PollerFunction(stack, 'F', { ...props, code: lambda.Code.fromInline('x'), bundledFiles: { 'a.json': '{}' } }),
    ).toThrow(/prebuilt code/);
  });

  it('refuses a name that is a path or could break out of the copy command', () => {
    for (const name of ['../escape.json', "a'; rm -rf ~; '.json", 'dir/file.json']) {
      const { stack, props } = stackAndProps();
      expect(() => new PollerFunction(stack, 'F', { ...props, bundledFiles: { [name]: '{}' } })).toThrow(/plain file name/);
    }
  });
});
