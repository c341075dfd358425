/**
 * Test support: synthesize a Pop3Poller (or the whole stack) without bundling, fast.
 *
 * Most tests give the function inline code so they do not depend on esbuild at all;
 * `bundlingSkipped` keeps the real NodejsFunction path but with the bundling-stacks context
 * set to [] (what `cdk synth --exclusively` does for other stacks), so no esbuild runs.
 */
import { App, Duration, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Pop3Poller, type Pop3PollerProps } from '../../infra/constructs/pop3-poller.js';

/** A valid two-mailbox configuration as a user would write it (Secrets Manager references only). */
export function sampleConfig(): Record<string, unknown> {
  return {
    mailboxes: [
      {
        id: 'support',
        host: 'pop.example.com',
        auth: { user: 'support@example.com', secret: { secretsManager: 'pop3-ingest/support', field: 'password' } },
        schedule: 'rate(5 minutes)',
        delete: 'after-days:7',
      },
      {
        id: 'invoices',
        host: 'outlook.office365.com',
        auth: {
          user: 'invoices@example.com',
          secret: { secretsManager: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:pop3-ingest/invoices-AbC123' },
          oauth2: { provider: 'microsoft', tenant: 'example.com' },
        },
        schedule: 'rate(15 minutes)',
      },
    ],
    storage: { prefix: 'mail/' },
  };
}

/** What a synthesized poller gives a test to look at. */
export interface Synthesized {
  app: App;
  stack: Stack;
  poller: Pop3Poller;
  /** The stack's own template (the schedules live in nested stacks: see `nested`). */
  template: Template;
  /** The schedule shards' nested templates. */
  nested: Template[];
}

/** Props for the poller under test, or a function building them in the test stack (for imported resources). */
export type PropsOrBuilder = Partial<Pop3PollerProps> | ((stack: Stack) => Partial<Pop3PollerProps>);

/** Options of synthPoller. */
export interface SynthOptions {
  /** The real NodejsFunction (bundling still skipped) instead of inline code. */
  realFunctionCode?: boolean;
  /** Extra app context (e.g. a stack resource limit). */
  context?: Record<string, unknown>;
}

/** Builds a stack holding one Pop3Poller with inline code (no bundling) and returns its template. */
export function synthPoller(props: PropsOrBuilder = {}, options: SynthOptions = {}): Synthesized {
  // CDK's built-in template validation starts a WebAssembly engine (5-7 s of CPU) in every test
  // process; these tests assert our properties, and fleet-limits.test.ts keeps it on.
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [], ...options.context } });
  const stack = new Stack(app, 'Test');
  const poller = new Pop3Poller(stack, 'Poller', {
    config: sampleConfig(),
    ...(options.realFunctionCode ? {} : { code: lambda.Code.fromInline('export const handler = async () => ({});') }),
    ...(typeof props === 'function' ? props(stack) : props),
  });
  const template = Template.fromStack(stack);
  return { app, stack, poller, template, nested: nestedTemplates(poller) };
}

/** The templates of the poller's nested stacks (schedule shards). */
export function nestedTemplates(poller: Pop3Poller): Template[] {
  return [...poller.schedules.stacks.values()].map((s: NestedStack) => Template.fromStack(s));
}

/** Resources of one type across the stack and its nested stacks, by logical id. */
export function allResourcesOf(synth: Pick<Synthesized, 'template' | 'nested'>, type: string): Record<string, { Properties?: Record<string, unknown> }> {
  return Object.assign({}, ...[synth.template, ...synth.nested].map((t) => resourcesOf(t, type))) as Record<string, { Properties?: Record<string, unknown> }>;
}

let defaultSynth: Synthesized | undefined;

/** The default poller, synthesized once per test file (the tests only read it). */
export function synthDefault(): Synthesized {
  defaultSynth ??= synthPoller();
  return defaultSynth;
}

/** Runs the cdk-nag AwsSolutions pack over the app; returns the rule ids still unacknowledged. */
export function nagFindings(app: App): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

/** All resources of one CloudFormation type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, { Properties?: Record<string, unknown> }> {
  return template.findResources(type) as Record<string, { Properties?: Record<string, unknown> }>;
}

let variantSynth: Synthesized | undefined;

/** ARN of the alarm topic in synthVariant. */
export const VARIANT_TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:ops';

/**
 * Every option turned away from its default at once, synthesized once per test file: KMS,
 * versioning, lifecycle, access logs, retention, reserved concurrency, memory, retries, alarm
 * topic, no dashboard, schedules disabled. Each test reads the one property it is about.
 */
export function synthVariant(): Synthesized {
  variantSynth ??= synthPoller((stack) => ({
    bucketProps: {
      encryption: 'kms',
      versioned: true,
      lifecycleRules: [{ id: 'archive', prefix: 'mail/', transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) }] }],
      serverAccessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'acme-access-logs'),
    },
    logRetention: logs.RetentionDays.ONE_YEAR,
    reservedConcurrentExecutions: 2,
    memorySize: 1024,
    retry: { scheduleRetryAttempts: 0, invokeRetryAttempts: 0, maxEventAge: Duration.minutes(2) },
    alarmTopic: sns.Topic.fromTopicArn(stack, 'Topic', VARIANT_TOPIC_ARN),
    dashboard: false,
    schedulesEnabled: false,
  }));
  return variantSynth;
}
