/**
 * Threat: mail silently stops being collected (stalled schedule, expired credentials, a
 * backlog that never drains) and nobody notices. Also: the alarms watch metrics the handler
 * does not emit (names or dimensions drifted apart).
 */
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { HANDLER_METRICS } from '../../lambda/handler/metrics.js';
import { POLLER_METRICS } from '../../infra/constructs/poller-monitoring.js';
import { resourcesOf, synthDefault, synthVariant, VARIANT_TOPIC_ARN } from './synth.js';

const dims = (mailbox: string, extra: { Name: string; Value: string }[] = []) =>
  Match.arrayEquals([{ Name: 'mailbox', Value: mailbox }, { Name: 'service', Value: 'pop3-ingest' }, ...extra].sort((a, b) => a.Name.localeCompare(b.Name)));

describe('alarms and dashboard', () => {
  it('uses the metric names and dimensions the handler emits', () => {
    for (const key of ['namespace', 'mailboxDimension', 'errorClassDimension', 'messagesStored', 'bytesStored', 'pollDuration', 'pollSucceeded', 'errors', 'backlog'] as const) {
      expect(POLLER_METRICS[key], key).toBe(HANDLER_METRICS[key]);
    }
  });

  it('raises a stall alarm when a mailbox has no successful poll for 3 periods, missing data breaching', () => {
    const { template } = synthDefault();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Pop3Ingest',
      MetricName: 'PollSucceeded',
      Dimensions: dims('support'),
      Statistic: 'Sum',
      Period: 900, // 3 x 5 minutes
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'PollSucceeded', Dimensions: dims('invoices'), Period: 2700 });
  });

  it('raises an auth alarm on the first auth failure of a mailbox', () => {
    synthDefault().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Pop3Ingest',
      MetricName: 'Errors',
      Dimensions: dims('support', [{ Name: 'errorClass', Value: 'auth' }]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('raises an alarm when the backlog grows poll after poll', () => {
    synthDefault().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'DIFF(backlog)', ReturnData: true }),
        Match.objectLike({ Id: 'backlog', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Backlog', Dimensions: dims('support') }) }) }),
      ]),
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('raises alarms on function errors and on anything in the dead-letter queue', () => {
    const { template } = synthDefault();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Errors' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' });
    // 2 global + 3 per mailbox.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 3 * 2);
  });

  it('notifies an SNS topic on alarm and on recovery when one is given', () => {
    const { template } = synthVariant();
    for (const alarm of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties?.AlarmActions).toEqual([VARIANT_TOPIC_ARN]);
      expect(alarm.Properties?.OKActions).toEqual([VARIANT_TOPIC_ARN]);
    }
    for (const alarm of Object.values(resourcesOf(synthDefault().template, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties?.AlarmActions).toBeUndefined();
    }
  });

  it('draws a dashboard with messages, bytes, duration, errors by class and backlog', () => {
    const { template, stack } = synthDefault();
    const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(stack.resolve(dashboards[0]?.Properties?.DashboardBody));
    for (const title of ['Messages stored per mailbox', 'Bytes stored per mailbox', 'Poll duration', 'Errors by class', 'Backlog']) {
      expect(body).toContain(title);
    }
    expect(synthVariant().template.findResources('AWS::CloudWatch::Dashboard')).toEqual({});
  });
});
