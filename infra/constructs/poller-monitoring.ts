/**
 * Alarms and a dashboard for the poller, built on the handler's own metrics (Powertools EMF,
 * names in lambda/handler/contract.ts) and on the Lambda and SQS service metrics.
 *
 * Alarms do not grow with the fleet: one alarm per signal, over every mailbox, as a CloudWatch
 * Metrics Insights query grouped by mailbox (a multi time series alarm: each mailbox is a
 * contributor, and the alarm's state reason names the ones in ALARM). A few critical
 * mailboxes can have their own alarms as well (`mailboxAlarms`), next to their schedule.
 *
 * Metrics Insights alarms evaluate at most the last 3 hours and see at most 10,000 metrics and
 * 500 series per query (CloudWatch user guide, "Metrics Insights quotas"); ORDER BY keeps the
 * worst 500 mailboxes in view. Synth checks both (limits.ts).
 */
import { Duration, Annotations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../../lambda/handler/contract.js';
import { LIMITS } from '../limits.js';
import type { SchedulePeriods } from '../schedule-period.js';

/** One mailbox to watch: its id and its schedule's gaps. */
export interface MonitoredMailbox {
  readonly id: string;
  readonly periods: SchedulePeriods;
}

/** Properties of PollerMonitoring. */
export interface PollerMonitoringProps {
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly mailboxes: readonly MonitoredMailbox[];
  /** POWERTOOLS_SERVICE_NAME: the `service` dimension value. */
  readonly serviceName: string;
  /** Alarm (and OK) notifications go here. @default no actions */
  readonly alarmTopic?: sns.ITopic;
  /** A mailbox whose polls all fail for this many periods is stalled. @default 3 */
  readonly stallPeriods?: number;
  /** A backlog above `backlogThreshold` this many periods in a row raises an alarm. @default 3 */
  readonly backlogPeriods?: number;
  /** @default 0 (any message left on the server, period after period) */
  readonly backlogThreshold?: number;
  /** Mailboxes that also get their own three alarms, each in the given scope (its schedule's stack). */
  readonly mailboxAlarms?: ReadonlyArray<{ readonly id: string; readonly scope: Construct }>;
  /** @default true */
  readonly dashboard?: boolean;
  /** @default CloudFormation's generated name */
  readonly dashboardName?: string;
}

/** The alarms of one critical mailbox. */
export interface MailboxAlarms {
  readonly authFailures: cloudwatch.Alarm;
  readonly stalled: cloudwatch.Alarm;
  readonly backlogGrowing: cloudwatch.Alarm;
}

/** Fleet-wide alarms (one per signal), optional per-mailbox alarms, and a dashboard. */
export class PollerMonitoring extends Construct {
  /** Any invocation that ended in an error. */
  readonly functionErrors: cloudwatch.Alarm;
  /** A poll was sent to the dead-letter queue in the last 5 minutes (clears itself). */
  readonly deadLetters: cloudwatch.Alarm;
  /** A mailbox's final login attempt was refused (contributors: mailboxes). */
  readonly authFailures: cloudwatch.Alarm;
  /** A mailbox polled but never succeeded over the stall window (contributors: mailboxes). */
  readonly stalled: cloudwatch.Alarm;
  /** A mailbox kept messages on the server period after period (contributors: mailboxes). */
  readonly backlog: cloudwatch.Alarm;
  /** A mailbox has messages set aside after repeated fetch failures (contributors: mailboxes). */
  readonly setAside: cloudwatch.Alarm;
  /** The function was not invoked at all over the stall window; absent when no mailbox polls at least daily. */
  readonly silent?: cloudwatch.Alarm;
  /** The critical mailboxes' own alarms, by id. */
  readonly mailboxAlarms: ReadonlyMap<string, MailboxAlarms>;
  /** The dashboard, unless turned off. */
  readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PollerMonitoringProps) {
    super(scope, id);
    const stallPeriods = props.stallPeriods ?? 3;
    const backlogPeriods = props.backlogPeriods ?? 3;
    const service = props.serviceName;
    const byId = new Map(props.mailboxes.map((m) => [m.id, m]));
    if (props.mailboxes.length > LIMITS.metricsInsightsMetricsPerQuery) {
      Annotations.of(this).addError(
        `Pop3Poller: ${props.mailboxes.length} mailboxes; a Metrics Insights query sees at most ${LIMITS.metricsInsightsMetricsPerQuery} metrics, so the fleet alarms would miss some. Split the fleet over several Pop3Poller constructs (docs/scaling.md).`,
      );
    }

    // The typical gap of the slowest regular mailbox sets the fleet windows (nights and weekends
    // of a business-hours cron are skipped: no poll means no series, not a failure).
    const slowest = Math.max(...props.mailboxes.map((m) => m.periods.minSeconds));
    const stallWindow = clampMinutes(slowest * stallPeriods, LIMITS.metricsInsightsAlarmWindowSeconds);
    const backlogPeriod = clampMinutes(slowest, LIMITS.metricsInsightsAlarmWindowSeconds / backlogPeriods);

    this.functionErrors = anyOccurrence(this, 'FunctionErrors', 'pop3-ingest: the poller function failed (crash, timeout, or a transient error it rethrew for a retry).',
      props.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }));
    // Messages sent, not messages visible: the alarm returns to OK once the drops stop, instead
    // of staying in ALARM for the queue's 14-day retention until someone purges it.
    this.deadLetters = anyOccurrence(this, 'DeadLetters', 'pop3-ingest: a scheduled poll was dropped to the dead-letter queue (retries exhausted or too old); see the queue.',
      props.deadLetterQueue.metric('NumberOfMessagesSent', { period: Duration.minutes(5), statistic: 'Sum' }));

    this.authFailures = insightsAlarm(this, 'AuthFailures', {
      description: 'pop3-ingest: a mailbox\'s login was refused after the secret was re-read (final). The state reason names the mailboxes; polls keep failing until the secret is fixed.',
      query: `SELECT SUM(${METRICS.errors}) FROM SCHEMA("${METRICS.namespace}", ${METRICS.errorClassDimension}, ${METRICS.mailboxDimension}, ${METRICS.serviceDimension}) WHERE ${METRICS.serviceDimension} = '${service}' AND ${METRICS.errorClassDimension} = 'auth' GROUP BY ${METRICS.mailboxDimension} ORDER BY SUM() DESC`,
      period: Duration.minutes(5), evaluationPeriods: 1, threshold: 1, comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.stalled = insightsAlarm(this, 'Stalled', {
      description: `pop3-ingest: a mailbox polled but had no successful poll in ${stallWindow.toHumanString()}. The state reason names the mailboxes; mail is not being collected.`,
      query: `SELECT MAX(${METRICS.pollSucceeded}) FROM SCHEMA("${METRICS.namespace}", ${METRICS.mailboxDimension}, ${METRICS.serviceDimension}) WHERE ${METRICS.serviceDimension} = '${service}' GROUP BY ${METRICS.mailboxDimension} ORDER BY MAX() ASC`,
      period: stallWindow, evaluationPeriods: 1, threshold: 1, comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
    this.backlog = insightsAlarm(this, 'Backlog', {
      description: `pop3-ingest: a mailbox left more than ${props.backlogThreshold ?? 0} new messages on the server ${backlogPeriods} periods in a row: the poller is not keeping up (raise limits, memory or the schedule's frequency). The state reason names the mailboxes.`,
      query: `SELECT MAX(${METRICS.backlog}) FROM SCHEMA("${METRICS.namespace}", ${METRICS.mailboxDimension}, ${METRICS.serviceDimension}) WHERE ${METRICS.serviceDimension} = '${service}' GROUP BY ${METRICS.mailboxDimension} ORDER BY MAX() DESC`,
      period: backlogPeriod, evaluationPeriods: backlogPeriods, threshold: props.backlogThreshold ?? 0, comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    this.setAside = insightsAlarm(this, 'MessagesSetAside', {
      description: 'pop3-ingest: a mailbox has messages the server could not serve after repeated attempts (Message Failed events): they stay on the server, never deleted. Fix them server-side, then poll with retryFailed. The state reason names the mailboxes.',
      query: `SELECT MAX(${METRICS.messagesSetAside}) FROM SCHEMA("${METRICS.namespace}", ${METRICS.mailboxDimension}, ${METRICS.serviceDimension}) WHERE ${METRICS.serviceDimension} = '${service}' GROUP BY ${METRICS.mailboxDimension} ORDER BY MAX() DESC`,
      // One period of the slowest mailbox, so every mailbox reports within each evaluation.
      period: backlogPeriod, evaluationPeriods: 1, threshold: 0, comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    // Nothing invoked at all: a mailbox that never runs emits no metric, so the query alarms
    // above cannot see it. The regular mailboxes bound the window; missing data breaches.
    const steadiest = Math.min(...props.mailboxes.map((m) => m.periods.maxSeconds));
    if (steadiest * stallPeriods <= LIMITS.alarmEvaluationWindowSeconds) {
      this.silent = new cloudwatch.Alarm(this, 'Silent', {
        alarmDescription: `pop3-ingest: the poller was not invoked in ${clampMinutes(steadiest * stallPeriods, LIMITS.alarmEvaluationWindowSeconds).toHumanString()}: schedules disabled or deleted, or the function cannot be invoked.`,
        metric: props.function.metricInvocations({ period: clampMinutes(steadiest * stallPeriods, LIMITS.alarmEvaluationWindowSeconds), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    } else {
      Annotations.of(this).addWarning('Pop3Poller: no mailbox polls at least once a day, so there is no "nothing was invoked" alarm (a CloudWatch alarm looks back at most one day).');
    }

    const perMailbox = new Map<string, MailboxAlarms>();
    for (const { id: mailboxId, scope: at } of props.mailboxAlarms ?? []) {
      const mailbox = byId.get(mailboxId);
      if (!mailbox) throw new Error(`Pop3Poller: mailboxAlarms names ${mailboxId}, which is not in the configuration`);
      perMailbox.set(mailboxId, mailboxAlarmsFor(new Construct(at, `Alarms-${mailboxId}`), mailbox, service, stallPeriods, backlogPeriods));
    }
    this.mailboxAlarms = perMailbox;

    const all = [this.functionErrors, this.deadLetters, this.authFailures, this.stalled, this.backlog, this.setAside, ...(this.silent ? [this.silent] : []),
      ...[...perMailbox.values()].flatMap((a) => [a.authFailures, a.stalled, a.backlogGrowing])];
    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      for (const alarm of all) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    if (props.dashboard ?? true) this.dashboard = this.buildDashboard(props, all);
  }

  private buildDashboard(props: PollerMonitoringProps, alarms: readonly cloudwatch.Alarm[]): cloudwatch.Dashboard {
    const period = Duration.minutes(5);
    const service = props.serviceName;
    const top = (fn: 'SUM' | 'MAX', metric: string, label: string) => new cloudwatch.MathExpression({
      expression: `SELECT ${fn}(${metric}) FROM SCHEMA("${METRICS.namespace}", ${METRICS.mailboxDimension}, ${METRICS.serviceDimension}) WHERE ${METRICS.serviceDimension} = '${service}' GROUP BY ${METRICS.mailboxDimension} ORDER BY ${fn}() DESC LIMIT 20`,
      label, period,
    });
    const grouped = (metric: string, dimension: string) => new cloudwatch.MathExpression({
      expression: `SELECT SUM(${metric}) FROM SCHEMA("${METRICS.namespace}", ${dimension}, ${METRICS.mailboxDimension}, ${METRICS.serviceDimension}) WHERE ${METRICS.serviceDimension} = '${service}' GROUP BY ${dimension}`,
      label: '', period,
    });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      defaultInterval: Duration.days(1),
    });
    // Metrics Insights keeps every widget the same size whatever the fleet (top 20 mailboxes).
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Messages stored (top 20 mailboxes)', left: [top('SUM', METRICS.messagesStored, 'Messages stored')], width: 12 }),
      new cloudwatch.GraphWidget({ title: 'Bytes stored (top 20 mailboxes)', left: [top('SUM', METRICS.bytesStored, 'Bytes stored')], width: 12 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Poll duration (ms, max, top 20 mailboxes)', left: [top('MAX', METRICS.pollDuration, 'Poll duration')], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Errors by class', left: [grouped(METRICS.errors, METRICS.errorClassDimension)], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Backlog (new messages left on the server, top 20 mailboxes)', left: [top('MAX', METRICS.backlog, 'Backlog')], width: 8 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Poller function',
        left: [
          props.function.metricInvocations({ period, statistic: 'Sum' }),
          props.function.metricErrors({ period, statistic: 'Sum' }),
          props.function.metricThrottles({ period, statistic: 'Sum' }),
        ],
        right: [props.function.metricDuration({ period, statistic: 'Maximum' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue and deferred retries',
        left: [props.deadLetterQueue.metric('NumberOfMessagesSent', { period, statistic: 'Sum' }), top('SUM', METRICS.retryDeferred, 'Retries deferred')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Server response codes (RFC 2449 / 3206)', left: [grouped(METRICS.errorsByResponseCode, METRICS.responseCodeDimension)], width: 8 }),
    );
    // The alarm status widget takes at most 100 alarms (CloudWatch dashboard body structure).
    for (let i = 0; i < alarms.length; i += LIMITS.alarmsPerAlarmStatusWidget) {
      dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: i === 0 ? 'Alarms' : `Alarms (${i + 1}-)`, alarms: alarms.slice(i, i + LIMITS.alarmsPerAlarmStatusWidget), width: 24 }));
    }
    return dashboard;
  }
}

/** The old per-mailbox trio, for the few mailboxes worth their own alarm (and its cost). */
function mailboxAlarmsFor(scope: Construct, mailbox: MonitoredMailbox, service: string, stallPeriods: number, backlogPeriods: number): MailboxAlarms {
  const period = clampMinutes(mailbox.periods.minSeconds, 24 * 3600);
  const metric = (metricName: string, statistic: string, p: Duration, extra: Record<string, string> = {}) => new cloudwatch.Metric({
    namespace: METRICS.namespace, metricName, statistic, period: p,
    dimensionsMap: { [METRICS.serviceDimension]: service, [METRICS.mailboxDimension]: mailbox.id, ...extra },
  });
  const windowSeconds = mailbox.periods.maxSeconds * stallPeriods;
  if (windowSeconds > LIMITS.alarmEvaluationWindowSeconds) {
    Annotations.of(scope).addError(
      `Pop3Poller: mailbox ${mailbox.id}'s schedule leaves gaps of ${Duration.seconds(mailbox.periods.maxSeconds).toHumanString()}; its stall alarm would need ${stallPeriods} of them, more than the one day a CloudWatch alarm can look back. Leave it out of mailboxAlarms (the fleet alarms cover it) or give it a schedule without long gaps.`,
    );
  }
  const window = clampMinutes(windowSeconds, LIMITS.alarmEvaluationWindowSeconds);
  return {
    authFailures: anyOccurrence(scope, 'AuthFailures', `pop3-ingest ${mailbox.id}: the server refused the credentials (final). Polls keep failing until the secret is fixed.`,
      metric(METRICS.errors, 'Sum', period, { [METRICS.errorClassDimension]: 'auth' })),
    // Missing data breaches: for this mailbox, nothing at all in the window means it stopped.
    stalled: new cloudwatch.Alarm(scope, 'Stalled', {
      alarmDescription: `pop3-ingest ${mailbox.id}: no successful poll in ${window.toHumanString()}. Mail is not being collected.`,
      metric: metric(METRICS.pollSucceeded, 'Sum', window),
      threshold: 1, evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
    backlogGrowing: new cloudwatch.Alarm(scope, 'BacklogGrowing', {
      alarmDescription: `pop3-ingest ${mailbox.id}: the backlog of new messages left on the server grew ${backlogPeriods} polls in a row.`,
      metric: new cloudwatch.MathExpression({ expression: 'DIFF(backlog)', usingMetrics: { backlog: metric(METRICS.backlog, 'Maximum', period) }, period, label: 'Backlog change' }),
      threshold: 0, evaluationPeriods: backlogPeriods, datapointsToAlarm: backlogPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  };
}

interface InsightsAlarmProps {
  readonly description: string;
  readonly query: string;
  readonly period: Duration;
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly comparison: cloudwatch.ComparisonOperator;
}

/** A multi time series alarm on a Metrics Insights query: no data is fine (a quiet fleet). */
function insightsAlarm(scope: Construct, id: string, props: InsightsAlarmProps): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: props.description,
    metric: new cloudwatch.MathExpression({ expression: props.query, period: props.period, label: id }),
    threshold: props.threshold,
    evaluationPeriods: props.evaluationPeriods,
    datapointsToAlarm: props.evaluationPeriods,
    comparisonOperator: props.comparison,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/** An alarm on any datapoint of 1 or more in one period (one failure is one too many); no data is fine. */
function anyOccurrence(scope: Construct, id: string, alarmDescription: string, metric: cloudwatch.IMetric): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription, metric, threshold: 1, evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/** Whole minutes between 1 minute and `maxSeconds` (alarm periods are multiples of 60 s). */
function clampMinutes(seconds: number, maxSeconds: number): Duration {
  return Duration.minutes(Math.max(1, Math.min(Math.floor(maxSeconds / 60), Math.ceil(seconds / 60))));
}
