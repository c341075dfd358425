/**
 * Every AWS limit a fleet can hit at deploy time, in one place, and the synth-time check that
 * turns each into an `Annotations` error on the construct that breaks it, so a user learns at
 * `cdk synth`, not at `cdk deploy`. The check runs after CDK has wired cross-stack references
 * (nested stack parameters count), over the stack it is attached to.
 */
import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** The limits, each with where it is documented. */
export const LIMITS = {
  /** CloudFormation quotas: resources declared in one template (stack or nested stack). */
  resourcesPerStack: 500,
  /** CloudFormation quotas: template body from S3 (CDK uploads templates as assets), bytes. */
  templateBytes: 1_000_000,
  /** CloudFormation quotas: outputs and parameters per template. */
  outputsPerStack: 200,
  parametersPerStack: 200,
  /** IAM quotas: a managed policy document, characters without whitespace. */
  managedPolicyChars: 6_144,
  /** IAM quotas: all inline policies of one role together, characters without whitespace. */
  roleInlinePolicyChars: 10_240,
  /** CloudWatch dashboard body structure: alarms in one alarm status widget. */
  alarmsPerAlarmStatusWidget: 100,
  /** CloudWatch dashboard body structure: widgets per dashboard, metrics per graph widget. */
  widgetsPerDashboard: 500,
  metricsPerGraphWidget: 500,
  /** CloudWatch alarms on metric math: metrics one alarm may reference. */
  metricsPerMathAlarm: 10,
  /** CloudWatch alarms: period x evaluation periods, seconds (one day). */
  alarmEvaluationWindowSeconds: 86_400,
  /** Metrics Insights alarms: only the latest 3 hours are evaluated. */
  metricsInsightsAlarmWindowSeconds: 3 * 3600,
  /** Metrics Insights: metrics one query processes. */
  metricsInsightsMetricsPerQuery: 10_000,
  /** Metrics Insights alarms per account and region (default quota). */
  metricsInsightsAlarmsPerRegion: 200,
  /** Lambda quotas: all environment variables of a function, bytes. */
  lambdaEnvironmentBytes: 4_096,
} as const;

/** Adds the limits check to `stack` once (idempotent). */
export function checkLimitsOf(stack: Stack): void {
  if (stack.node.tryFindChild(CHECK_ID)) return;
  // A marker child, so a second Pop3Poller in the same stack does not add a second check.
  new Construct(stack, CHECK_ID);
  stack.node.addValidation({ validate: () => { checkStack(stack); return []; } });
}

/** Lambda's environment size for a function's variables, counting unresolved values at `tokenSize`. */
export function environmentBytes(variables: Readonly<Record<string, string>>, tokenSize: (key: string) => number, isToken: (value: string) => boolean): number {
  return Object.entries(variables).reduce((sum, [k, v]) => sum + k.length + (isToken(v) ? tokenSize(k) : v.length), 0);
}

// ---------------------------------------------------------------------------------------------

const CHECK_ID = 'Pop3IngestLimitsCheck';
/** An ARN or name a token resolves to at deploy time, counted at this length in IAM sizes. */
const TOKEN_CHARS = 128;

function checkStack(stack: Stack): void {
  const own = stack.node.findAll().filter((c) => Stack.of(c) === stack);
  const resources = own.filter((c): c is CfnResource => c instanceof CfnResource);
  const error = (scope: IConstruct, message: string) => Annotations.of(scope).addError(message);

  if (resources.length > LIMITS.resourcesPerStack) {
    error(stack, `${stack.node.path} declares ${resources.length} resources; CloudFormation accepts ${LIMITS.resourcesPerStack} per template. Raise Pop3Poller's scheduleShards or drop per-mailbox alarms.`);
  }
  const template = (stack as unknown as { _toCloudFormation(): Record<string, Record<string, unknown> | undefined> })._toCloudFormation();
  const bytes = JSON.stringify(template).length;
  if (bytes > LIMITS.templateBytes) {
    error(stack, `${stack.node.path}'s template is ${bytes} bytes; CloudFormation accepts ${LIMITS.templateBytes}. Raise Pop3Poller's scheduleShards.`);
  }
  for (const [section, limit] of [['Outputs', LIMITS.outputsPerStack], ['Parameters', LIMITS.parametersPerStack]] as const) {
    const count = Object.keys(template[section] ?? {}).length;
    if (count > limit) error(stack, `${stack.node.path} has ${count} ${section.toLowerCase()}; CloudFormation accepts ${limit} per template.`);
  }

  const inlineByRole = new Map<string, number>();
  for (const r of resources) {
    if (r instanceof iam.CfnManagedPolicy) {
      const size = policyChars(stack.resolve(r.policyDocument));
      if (size > LIMITS.managedPolicyChars) error(r, `${r.node.path}: managed policy of about ${size} characters; IAM accepts ${LIMITS.managedPolicyChars}.`);
    } else if (r instanceof iam.CfnPolicy) {
      const size = policyChars(stack.resolve(r.policyDocument));
      for (const role of (stack.resolve(r.roles) as unknown[] | undefined) ?? []) {
        const key = JSON.stringify(role);
        inlineByRole.set(key, (inlineByRole.get(key) ?? 0) + size);
      }
    } else if (r instanceof cloudwatch.CfnAlarm) {
      checkAlarm(r, stack);
    } else if (r instanceof cloudwatch.CfnDashboard) {
      checkDashboard(r, stack);
    } else if (r instanceof lambda.CfnFunction) {
      const variables = (stack.resolve(r.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
      const size = Object.entries(variables).reduce((sum, [k, v]) => sum + k.length + (typeof v === 'string' ? v.length : TOKEN_CHARS * 3), 0);
      if (size > LIMITS.lambdaEnvironmentBytes) error(r, `${r.node.path}: environment of about ${size} bytes; Lambda accepts ${LIMITS.lambdaEnvironmentBytes}.`);
    }
  }
  for (const [role, size] of inlineByRole) {
    if (size > LIMITS.roleInlinePolicyChars) error(stack, `role ${role}: inline policies of about ${size} characters together; IAM accepts ${LIMITS.roleInlinePolicyChars} per role.`);
  }
}

function checkAlarm(alarm: cloudwatch.CfnAlarm, stack: Stack): void {
  const metrics = (stack.resolve(alarm.metrics) as Array<{ metricStat?: unknown; expression?: string; period?: number }> | undefined) ?? [];
  const plain = metrics.filter((m) => m.metricStat !== undefined).length;
  if (plain > LIMITS.metricsPerMathAlarm) {
    Annotations.of(alarm).addError(`${alarm.node.path}: metric math over ${plain} metrics; CloudWatch accepts ${LIMITS.metricsPerMathAlarm} per alarm. Use a Metrics Insights query.`);
  }
  const insights = metrics.find((m) => typeof m.expression === 'string' && /^\s*SELECT\s/i.test(m.expression));
  if (insights) {
    const window = (insights.period ?? 0) * (Number(stack.resolve(alarm.evaluationPeriods)) || 1);
    if (window > LIMITS.metricsInsightsAlarmWindowSeconds) {
      Annotations.of(alarm).addError(`${alarm.node.path}: a Metrics Insights alarm over ${window} s; CloudWatch evaluates only the last ${LIMITS.metricsInsightsAlarmWindowSeconds} s.`);
    }
  }
  const period = Number(stack.resolve(alarm.period)) || (metrics[0] as { metricStat?: { period?: number } } | undefined)?.metricStat?.period || 0;
  const window = period * (Number(stack.resolve(alarm.evaluationPeriods)) || 1);
  if (!insights && window > LIMITS.alarmEvaluationWindowSeconds) {
    Annotations.of(alarm).addError(`${alarm.node.path}: evaluates ${window} s; a CloudWatch alarm looks back at most ${LIMITS.alarmEvaluationWindowSeconds} s.`);
  }
}

function checkDashboard(dashboard: cloudwatch.CfnDashboard, stack: Stack): void {
  const body = JSON.parse(flattenToText(stack.resolve(dashboard.dashboardBody))) as { widgets?: Array<{ type?: string; properties?: { alarms?: unknown[]; metrics?: unknown[] } }> };
  const widgets = body.widgets ?? [];
  if (widgets.length > LIMITS.widgetsPerDashboard) {
    Annotations.of(dashboard).addError(`${dashboard.node.path}: ${widgets.length} widgets; a dashboard holds ${LIMITS.widgetsPerDashboard}.`);
  }
  for (const w of widgets) {
    const alarms = w.properties?.alarms?.length ?? 0;
    if (alarms > LIMITS.alarmsPerAlarmStatusWidget) {
      Annotations.of(dashboard).addError(`${dashboard.node.path}: an alarm status widget with ${alarms} alarms; CloudWatch accepts ${LIMITS.alarmsPerAlarmStatusWidget}.`);
    }
    const metrics = w.properties?.metrics?.length ?? 0;
    if (metrics > LIMITS.metricsPerGraphWidget) {
      Annotations.of(dashboard).addError(`${dashboard.node.path}: a graph with ${metrics} metrics; CloudWatch accepts ${LIMITS.metricsPerGraphWidget}.`);
    }
  }
}

/** A resolved Fn::Join of strings and tokens as plain text, each token a placeholder string. */
function flattenToText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((p) => (typeof p === 'string' ? p : 'x'.repeat(20))).join(sep);
  }
  return JSON.stringify(value);
}

/** IAM's count for a policy document (no whitespace), each token counted as a long ARN. */
function policyChars(doc: unknown): number {
  const visit = (v: unknown): number => {
    if (typeof v === 'string') return v.length + 2;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v).length;
    if (Array.isArray(v)) return 2 + v.reduce((s: number, x) => s + visit(x) + 1, 0);
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) return TOKEN_CHARS;
      return 2 + Object.entries(v).reduce((s, [k, x]) => s + k.length + 3 + visit(x) + 1, 0);
    }
    return 4;
  };
  return visit(doc);
}
