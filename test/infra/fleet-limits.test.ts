/**
 * Threat: a platform team's fleet cannot deploy: 150 mailboxes passed 500 resources per stack,
 * 33 passed the 100 alarms of the dashboard's alarm widget, ~65 passed IAM's 6,144-character
 * managed policy; adding a mailbox replaced others; and synth said nothing before the deploy
 * failed. A 1,000-mailbox config is synthesized offline with the flags in cdk.json, and every
 * limit is asserted on what CloudFormation would receive. Each limit also fails synth with an
 * Annotations error when crossed (the second half).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, CfnOutput, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { PollerMonitoring } from '../../infra/constructs/poller-monitoring.js';
import { validateDeployConfig } from '../../infra/deploy-config.js';
import { LIMITS } from '../../infra/limits.js';
import { Pop3IngestStack } from '../../infra/stack.js';
import { fleetConfig } from '../../infra/tools/fleet-config.js';
import { sampleConfig, synthPoller } from './synth.js';

const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as { context: Record<string, unknown> };

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Cfn = { Resources: Record<string, Resource>; Outputs?: Record<string, unknown>; Parameters?: Record<string, unknown> };

interface Fleet {
  stack: Pop3IngestStack;
  /** The stack's template first, then the nested ones, by construct path. */
  templates: Map<string, Cfn>;
}

/** The fleet as `cdk synth -c config=...` builds it: cdk.json's flags, bundling skipped. */
function synthFleet(config: Record<string, unknown>): Fleet {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Pop3IngestStack(app, 'Pop3Ingest', { deployConfig: validateDeployConfig(config, 'fleet') });
  const templates = new Map<string, Cfn>([['stack', Template.fromStack(stack).toJSON() as Cfn]]);
  for (const nested of stack.poller.schedules.stacks.values()) templates.set(nested.node.path, Template.fromStack(nested).toJSON() as Cfn);
  return { stack, templates };
}

/** IAM's count: the document without whitespace (tokens are intrinsics here, about as long as the ARN). */
const policyChars = (doc: unknown) => JSON.stringify(doc).length;

let fleet: Fleet;
let synthSeconds: number;

beforeAll(() => {
  const started = performance.now();
  fleet = synthFleet(fleetConfig(1000));
  synthSeconds = (performance.now() - started) / 1000;
}, 240_000);

describe('1,000 mailboxes synthesize into templates CloudFormation accepts', () => {
  it('raises no synth error and creates one schedule per mailbox', () => {
    expect(Annotations.fromStack(fleet.stack).findError('*', Match.anyValue())).toEqual([]);
    const schedules = [...fleet.templates.values()].flatMap((t) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(1000);
    process.stdout.write(`1,000 mailboxes: synth ${synthSeconds.toFixed(1)} s; ${[...fleet.templates].map(([p, t]) => `${p}: ${Object.keys(t.Resources).length}`).join(', ')}\n`);
  });

  it('keeps every template under the resource, size, output and parameter limits', () => {
    for (const [path, t] of fleet.templates) {
      expect(Object.keys(t.Resources).length, path).toBeLessThanOrEqual(LIMITS.resourcesPerStack);
      expect(JSON.stringify(t).length, path).toBeLessThanOrEqual(LIMITS.templateBytes);
      expect(Object.keys(t.Outputs ?? {}).length, path).toBeLessThanOrEqual(LIMITS.outputsPerStack);
      expect(Object.keys(t.Parameters ?? {}).length, path).toBeLessThanOrEqual(LIMITS.parametersPerStack);
    }
  });

  it('keeps IAM policies small: the same size as for two mailboxes', () => {
    const policies = (t: Cfn) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy');
    const all = [...fleet.templates.values()].flatMap(policies);
    for (const p of all) {
      const limit = p.Type === 'AWS::IAM::ManagedPolicy' ? LIMITS.managedPolicyChars : LIMITS.roleInlinePolicyChars;
      expect(policyChars(p.Properties?.PolicyDocument)).toBeLessThanOrEqual(limit);
    }
    const largest = Math.max(...all.map((p) => policyChars(p.Properties?.PolicyDocument)));
    expect(largest).toBeLessThan(3_000);
  });

  it('keeps alarms per signal, not per mailbox, within the CloudWatch limits', () => {
    const alarms = [...fleet.templates.values()].flatMap((t) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(7);
    for (const a of alarms) {
      const metrics = (a.Properties?.Metrics as Array<{ MetricStat?: unknown; Expression?: string; Period?: number }> | undefined) ?? [];
      expect(metrics.filter((m) => m.MetricStat).length).toBeLessThanOrEqual(LIMITS.metricsPerMathAlarm);
      const insights = metrics.find((m) => m.Expression?.startsWith('SELECT'));
      if (insights) expect((insights.Period ?? 0) * Number(a.Properties?.EvaluationPeriods)).toBeLessThanOrEqual(LIMITS.metricsInsightsAlarmWindowSeconds);
    }
  });

  it('keeps the dashboard within its widget, alarm and metric limits', () => {
    const dashboard = Object.values(fleet.templates.get('stack')?.Resources ?? {}).find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    const body = JSON.parse(flatten(fleet.stack.resolve(dashboard?.Properties?.DashboardBody))) as { widgets: Array<{ properties: { alarms?: unknown[]; metrics?: unknown[] } }> };
    expect(body.widgets.length).toBeLessThanOrEqual(LIMITS.widgetsPerDashboard);
    for (const w of body.widgets) {
      expect(w.properties.alarms?.length ?? 0).toBeLessThanOrEqual(LIMITS.alarmsPerAlarmStatusWidget);
      expect(w.properties.metrics?.length ?? 0).toBeLessThanOrEqual(LIMITS.metricsPerGraphWidget);
    }
  });

  it('keeps the function environment far below Lambda\'s 4 KB (the config is in the bundle)', () => {
    const fn = Object.values(fleet.templates.get('stack')?.Resources ?? {}).find((r) => r.Type === 'AWS::Lambda::Function');
    expect(JSON.stringify(fn?.Properties?.Environment).length).toBeLessThan(1024);
  });

  it('replaces nothing when a mailbox is added: every other resource keeps its logical id and properties', { timeout: 240_000 }, () => {
    // Prepare: the same fleet with one mailbox inserted in the middle of the file
    const base = fleetConfig(1000);
    const mailboxes = base.mailboxes as Record<string, unknown>[];
    const added = { ...base, mailboxes: [...mailboxes.slice(0, 500), { ...mailboxes[500], id: 'box-0499b' }, ...mailboxes.slice(500)] };

    // Act
    const grown = synthFleet(added);

    // Assess: the parent keeps its resources (the function's code changes: the config is in it)
    const before = fleet.templates.get('stack')?.Resources ?? {};
    const after = grown.templates.get('stack')?.Resources ?? {};
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    // ...and every nested template keeps every schedule it had, unchanged; one gains the new one.
    let gained = 0;
    for (const [path, t] of fleet.templates) {
      if (path === 'stack') continue;
      const next = grown.templates.get(path);
      expect(next, path).toBeDefined();
      for (const [id, r] of Object.entries(t.Resources)) expect(next?.Resources[id], `${path} ${id}`).toEqual(r);
      gained += Object.keys(next?.Resources ?? {}).length - Object.keys(t.Resources).length;
    }
    expect(gained).toBe(1);
  });
});

describe('each limit fails synth with an Annotations error', () => {
  const errorsOf = (stack: Stack) => Annotations.fromStack(stack).findError('*', Match.anyValue()).map((e) => String(e.entry.data));

  it('resources per stack: too many schedules in one shard', { timeout: 120_000 }, () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:stackResourceLimit': 0 } });
    const stack = new Pop3IngestStack(app, 'S', { deployConfig: validateDeployConfig(fleetConfig(520), 'fleet'), poller: { scheduleShards: 1 } });
    // Nested stacks report through their parent's cloud assembly artifact.
    expect(errorsOf(stack).join('\n')).toMatch(/declares 52\d resources; CloudFormation accepts 500.*scheduleShards/);
  });

  it('template size, outputs, managed policy, role inline policies, alarm widget, math alarm, Metrics Insights window', () => {
    // Prepare: a valid poller, then one offender per limit added to its stack
    const { stack, poller } = synthPoller({}, { context: { '@aws-cdk/core:stackResourceLimit': 0 } });
    new CfnResource(stack, 'Huge', { type: 'AWS::SSM::Parameter', properties: { Type: 'String', Value: 'x'.repeat(LIMITS.templateBytes) } });
    for (let i = 0; i <= LIMITS.outputsPerStack; i += 1) new CfnOutput(stack, `Out${i}`, { value: String(i) });
    const many = (n: number, base: string) => Array.from({ length: n }, (_, i) => `arn:aws:s3:::${base}-${String(i).padStart(4, '0')}/some/long/prefix/*`);
    new iam.ManagedPolicy(stack, 'Big', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: many(150, 'managed') })] });
    const role = new iam.Role(stack, 'Wide', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    for (let i = 0; i < 6; i += 1) new iam.Policy(stack, `Inline${i}`, { roles: [role], statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: many(40, `inline${i}`) })] });
    const metric = (i: number) => new cloudwatch.Metric({ namespace: 'X', metricName: `M${i}`, period: Duration.minutes(5) });
    const alarms = Array.from({ length: 101 }, (_, i) => new cloudwatch.Alarm(stack, `A${i}`, { metric: metric(i), threshold: 1, evaluationPeriods: 1 }));
    new cloudwatch.Dashboard(stack, 'Board', { widgets: [[new cloudwatch.AlarmStatusWidget({ alarms })]] });
    // The L2 Alarm refuses this itself; a hand-written CfnAlarm does not.
    new cloudwatch.CfnAlarm(stack, 'Math', {
      evaluationPeriods: 1, threshold: 1, comparisonOperator: 'GreaterThanThreshold',
      metrics: [
        { id: 'e', expression: 'SUM(METRICS())', returnData: true },
        ...Array.from({ length: 11 }, (_, i) => ({ id: `m${i}`, returnData: false, metricStat: { metric: { namespace: 'X', metricName: `M${i}` }, period: 300, stat: 'Sum' } })),
      ],
    });
    new cloudwatch.Alarm(stack, 'Slow', {
      metric: new cloudwatch.MathExpression({ expression: 'SELECT MAX(M) FROM X', period: Duration.hours(2) }),
      threshold: 1, evaluationPeriods: 2,
    });
    void poller;

    // Act
    const errors = errorsOf(stack).join('\n');

    // Assess
    expect(errors).toMatch(/template is \d+ bytes; CloudFormation accepts 1000000/);
    expect(errors).toMatch(/has 20\d outputs; CloudFormation accepts 200/);
    expect(errors).toMatch(/Big\/Resource: managed policy of about \d+ characters; IAM accepts 6144/);
    expect(errors).toMatch(/inline policies of about \d+ characters together; IAM accepts 10240/);
    expect(errors).toMatch(/an alarm status widget with 101 alarms; CloudWatch accepts 100/);
    expect(errors).toMatch(/Math: metric math over 11 metrics; CloudWatch accepts 10/);
    expect(errors).toMatch(/Slow\/Resource: a Metrics Insights alarm over 14400 s; CloudWatch evaluates only the last 10800 s/);
  });

  it('Metrics Insights metrics per query: a fleet past 10,000 mailboxes', () => {
    const stack = new Stack(new App(), 'M');
    const fn = lambda.Function.fromFunctionName(stack, 'F', 'f');
    const queue = new sqs.Queue(stack, 'Q');
    const mailboxes = Array.from({ length: LIMITS.metricsInsightsMetricsPerQuery + 1 }, (_, i) => ({ id: `b${i}`, periods: { minSeconds: 300, maxSeconds: 300 } }));
    new PollerMonitoring(stack, 'Mon', { function: fn, deadLetterQueue: queue, mailboxes, serviceName: 's', dashboard: false });
    expect(errorsOf(stack).join('\n')).toMatch(/10001 mailboxes; a Metrics Insights query sees at most 10000 metrics/);
  });

  it('alarm evaluation window: a per-mailbox stall alarm over a schedule with weekend gaps', () => {
    const config = sampleConfig();
    const [first] = config.mailboxes as Record<string, unknown>[];
    const { stack } = synthPoller({ config: { ...config, mailboxes: [{ ...first, schedule: 'cron(0/2 8-18 ? * MON-FRI *)' }] }, mailboxAlarms: ['support'] });
    expect(errorsOf(stack).join('\n')).toMatch(/gaps of 2 days.*more than the one day a CloudWatch alarm can look back/s);
  });
});

/** A resolved Fn::Join of strings and tokens as plain text (tokens as placeholders). */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join ? join[1].map((p) => (typeof p === 'string' ? p : 'x')).join(join[0]) : JSON.stringify(value);
}
