/**
 * Alarms and a dashboard for the poller, built on the handler's own metrics (Powertools EMF,
 * namespace Pop3Ingest) and on the Lambda and SQS service metrics.
 *
 * The alarm that matters most is the silent stall: a mailbox whose polls stop succeeding, for
 * whatever reason (schedule disabled, function broken, credentials expired, server gone). Its
 * metric is absent rather than zero when nothing runs, so missing data is BREACHING.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * The handler's metric contract (lambda/handler): namespace, dimension names, metric names.
 * Powertools adds the `service` dimension to every metric, so it is part of each metric's identity.
 */
export const POLLER_METRICS = {
  namespace: 'Pop3Ingest',
  serviceDimension: 'service',
  mailboxDimension: 'mailbox',
  errorClassDimension: 'errorClass',
  messagesStored: 'MessagesStored',
  bytesStored: 'BytesStored',
  pollDuration: 'PollDuration',
  pollSucceeded: 'PollSucceeded',
  errors: 'Errors',
  backlog: 'Backlog',
} as const;

/** One mailbox to watch: its id and how often it is polled (undefined for irregular schedules). */
export interface MonitoredMailbox {
  readonly id: string;
  readonly period?: Duration;
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
  /** A mailbox with no successful poll for this many periods is stalled. @default 3 */
  readonly stallPeriods?: number;
  /** Backlog that grew this many polls in a row raises an alarm. @default 3 */
  readonly backlogPeriods?: number;
  /** @default true */
  readonly dashboard?: boolean;
  /** @default 'pop3-ingest' plus the stack's unique suffix */
  readonly dashboardName?: string;
}

/** Per-mailbox alarms. */
export interface MailboxAlarms {
  readonly authFailures: cloudwatch.Alarm;
  readonly stalled: cloudwatch.Alarm;
  readonly backlogGrowing: cloudwatch.Alarm;
}

/** Alarms (function errors, auth failures, silent stall, backlog growth, DLQ) and a dashboard. */
export class PollerMonitoring extends Construct {
  /** Any invocation that ended in an error. */
  readonly functionErrors: cloudwatch.Alarm;
  /** Something was dropped into the dead-letter queue. */
  readonly deadLetters: cloudwatch.Alarm;
  /** Alarms per mailbox id. */
  readonly mailboxAlarms: ReadonlyMap<string, MailboxAlarms>;
  /** The dashboard, unless turned off. */
  readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PollerMonitoringProps) {
    super(scope, id);
    const stallPeriods = props.stallPeriods ?? 3;
    const backlogPeriods = props.backlogPeriods ?? 3;
    const metric = (metricName: string, mailboxId: string, statistic: string, period: Duration, extra: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: POLLER_METRICS.namespace,
        metricName,
        dimensionsMap: { [POLLER_METRICS.serviceDimension]: props.serviceName, [POLLER_METRICS.mailboxDimension]: mailboxId, ...extra },
        statistic,
        period,
      });
    const all: cloudwatch.Alarm[] = [];

    this.functionErrors = anyOccurrenceAlarm(
      this,
      'FunctionErrors',
      'pop3-ingest: the poller function failed (crash, timeout, or a transient error it rethrew for a retry).',
      props.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    );
    all.push(this.functionErrors);

    this.deadLetters = anyOccurrenceAlarm(
      this,
      'DeadLetters',
      'pop3-ingest: a scheduled poll was dropped (retries exhausted or too old); see the dead-letter queue.',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    );
    all.push(this.deadLetters);

    const perMailbox = new Map<string, MailboxAlarms>();
    for (const mailbox of props.mailboxes) {
      const period = alarmPeriod(mailbox.period);
      const group = new Construct(this, `Mailbox-${mailbox.id}`);

      const authFailures = anyOccurrenceAlarm(
        group,
        'AuthFailures',
        `pop3-ingest ${mailbox.id}: the server refused the credentials. Polls keep failing until the secret is fixed.`,
        metric(POLLER_METRICS.errors, mailbox.id, 'Sum', period, { [POLLER_METRICS.errorClassDimension]: 'auth' }),
      );

      // One datapoint over the whole stall window (N poll periods, at most a day): a single
      // success anywhere in it is enough; no datapoint at all means nothing succeeded.
      const window = stallWindow(mailbox.period, stallPeriods);
      const stalled = new cloudwatch.Alarm(group, 'Stalled', {
        alarmDescription: `pop3-ingest ${mailbox.id}: no successful poll in ${window.toHumanString()}. Mail is not being collected.`,
        metric: metric(POLLER_METRICS.pollSucceeded, mailbox.id, 'Sum', window),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });

      // Backlog = new messages left on the server by limits or the deadline. Growing poll after
      // poll means the poller cannot keep up (raise limits, memory or the schedule's frequency).
      const backlogGrowing = new cloudwatch.Alarm(group, 'BacklogGrowing', {
        alarmDescription: `pop3-ingest ${mailbox.id}: the backlog of new messages left on the server grew ${backlogPeriods} polls in a row.`,
        metric: new cloudwatch.MathExpression({
          expression: 'DIFF(backlog)',
          usingMetrics: { backlog: metric(POLLER_METRICS.backlog, mailbox.id, 'Maximum', period) },
          period,
          label: 'Backlog change',
        }),
        threshold: 0,
        evaluationPeriods: backlogPeriods,
        datapointsToAlarm: backlogPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      perMailbox.set(mailbox.id, { authFailures, stalled, backlogGrowing });
      all.push(authFailures, stalled, backlogGrowing);
    }
    this.mailboxAlarms = perMailbox;

    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      for (const alarm of all) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    if (props.dashboard ?? true) {
      this.dashboard = this.buildDashboard(props, all, metric);
    }
  }

  private buildDashboard(
    props: PollerMonitoringProps,
    alarms: readonly cloudwatch.Alarm[],
    metric: (name: string, mailboxId: string, statistic: string, period: Duration, extra?: Record<string, string>) => cloudwatch.Metric,
  ): cloudwatch.Dashboard {
    const period = Duration.minutes(5);
    const perMailbox = (name: string, statistic: string) =>
      props.mailboxes.map((m) => metric(name, m.id, statistic, period).with({ label: m.id }));
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      defaultInterval: Duration.days(1),
    });
    const errorsByClass = new cloudwatch.MathExpression({
      // SEARCH is fine on a dashboard (not in alarms): one line per mailbox and error class.
      expression: `SEARCH('{${POLLER_METRICS.namespace},${POLLER_METRICS.errorClassDimension},${POLLER_METRICS.mailboxDimension},${POLLER_METRICS.serviceDimension}} MetricName="${POLLER_METRICS.errors}" ${POLLER_METRICS.serviceDimension}="${props.serviceName}"', 'Sum', 300)`,
      label: '',
      period,
    });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Messages stored per mailbox', left: perMailbox(POLLER_METRICS.messagesStored, 'Sum'), width: 12 }),
      new cloudwatch.GraphWidget({ title: 'Bytes stored per mailbox', left: perMailbox(POLLER_METRICS.bytesStored, 'Sum'), width: 12 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Poll duration (ms, p90)', left: perMailbox(POLLER_METRICS.pollDuration, 'p90'), width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Errors by class', left: [errorsByClass], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Backlog (new messages left on the server)', left: perMailbox(POLLER_METRICS.backlog, 'Maximum'), width: 8 }),
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
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue',
        left: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' })],
        width: 6,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 6 }),
    );
    return dashboard;
  }
}

/** CloudWatch alarm periods are whole minutes here; irregular schedules are checked hourly. */
function alarmPeriod(period: Duration | undefined): Duration {
  if (period === undefined) return Duration.hours(1);
  return Duration.minutes(Math.min(Math.max(1, Math.ceil(period.toSeconds() / 60)), 24 * 60));
}

/** N poll periods, capped at one day (CloudWatch's limit for one alarm evaluation). */
function stallWindow(period: Duration | undefined, periods: number): Duration {
  if (period === undefined) return Duration.days(1);
  const minutes = Math.ceil(period.toSeconds() / 60) * periods;
  return Duration.minutes(Math.min(minutes, 24 * 60));
}

/** An alarm on any datapoint of 1 or more in one period (one failure is one too many); no data is fine. */
function anyOccurrenceAlarm(scope: Construct, id: string, alarmDescription: string, metric: cloudwatch.IMetric): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription,
    metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
