/**
 * Threat: the function drifts from the house defaults (an old runtime, x86, unbounded log
 * retention, a secret in its environment, reserved concurrency eating the account pool).
 */
import { describe, expect, it } from 'vitest';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lambda/config/schema.js';
import { resourcesOf, synthDefault, synthPoller, synthVariant } from './synth.js';

function theFunction(template: ReturnType<typeof synthDefault>['template']): Record<string, unknown> {
  const fns = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
  expect(fns).toHaveLength(1);
  return fns[0]?.Properties ?? {};
}

describe('poller function: house defaults', () => {
  it('runs Node.js 24 on arm64 with 512 MB and JSON logs into its own log group', () => {
    const { template } = synthDefault();
    const fn = theFunction(template);
    expect(fn.Runtime).toBe(lambda.Runtime.NODEJS_24_X.name);
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.MemorySize).toBe(512);
    const logGroup = Object.keys(resourcesOf(template, 'AWS::Logs::LogGroup'))[0];
    expect(fn.LoggingConfig).toEqual({ LogFormat: 'JSON', LogGroup: { Ref: logGroup } });
  });

  it('keeps logs for a month by default, and as long as asked', () => {
    synthDefault().template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    synthVariant().template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('has no reserved concurrency by default, and takes it as an option', () => {
    expect(theFunction(synthDefault().template).ReservedConcurrentExecutions).toBeUndefined();
    expect(theFunction(synthVariant().template).ReservedConcurrentExecutions).toBe(2);
  });

  it('takes memory as an option', () => {
    expect(theFunction(synthVariant().template).MemorySize).toBe(1024);
  });

  it('passes prebuilt code the config inline as written, plus the bucket and bus, which the handler parses to the same result', () => {
    const { template, stack } = synthDefault();
    const env = (theFunction(template).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('pop3-ingest');
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('Pop3Ingest');
    // Resolve the tokens to stand-ins and parse the result as the handler will.
    const json = JSON.stringify(stack.resolve(env.POP3_INGEST_CONFIG));
    const [, parts] = (JSON.parse(json) as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const text = parts.map((p) => (typeof p === 'string' ? p : 'stand-in-name')).join('');
    const config = parseConfig(JSON.parse(text), 'POP3_INGEST_CONFIG');
    expect(config.storage.bucket).toBe('stand-in-name');
    expect(config.events.busName).toBe('stand-in-name');
    expect(config.mailboxes.map((m) => m.id)).toEqual(['support', 'invoices']);
  });

  it('references secrets by name or ARN only: no secret resource, no secret value in the template', () => {
    const { template } = synthDefault();
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/"password"\s*:\s*"[^"]/i);
    expect(text).not.toMatch(/SecretString/);
    expect(text).not.toMatch(/\{\{resolve:secretsmanager/);
  });

  it('runs the shipped bundle without source maps by default: Node would parse the whole map at every cold start', () => {
    const { template } = synthPoller({}, { realFunctionCode: true });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'handler.handler',
      Runtime: 'nodejs24.x',
      Environment: { Variables: Match.objectLike({ POP3_INGEST_CONFIG_FILE: '/var/task/pop3-ingest.config.json' }) },
    });
    const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function'))[0];
    expect((fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS).toBeUndefined();
  });

  it('turns source maps on when asked, with the flag that makes Node read them', () => {
    synthPoller({ sourceMaps: true }, { realFunctionCode: true }).template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });
});

