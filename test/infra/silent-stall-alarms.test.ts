/**
 * Threat: mail silently stops being collected (stalled schedule, expired credentials, a
 * backlog that never drains) and nobody notices; the alarms watch metrics the handler does not
 * emit (names drifted apart); alarms multiply per mailbox until the stack cannot deploy; or an
 * alarm stays in ALARM after the cause is gone (a dead letter nobody purged).
 */
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../lambda/handler/contract.js';
import { allResourcesOf, resourcesOf, sampleConfig, synthDefault, synthPoller, synthVariant, VARIANT_TOPIC_ARN } from './synth.js';

type Alarm = { Properties?: Record<string, unknown> };
const alarms = (s: Parameters<typeof allResourcesOf>[0]) => Object.values(allResourcesOf(s, 'AWS::CloudWatch::Alarm')) as Alarm[];
const query = (a: Alarm) => ((a.Properties?.Metrics as Array<{ Expression?: string; Period?: number }> | undefined) ?? []).find((m) => m.Expression?.startsWith('SELECT'));
const byLabel = (s: Parameters<typeof allResourcesOf>[0], label: string) =>
  alarms(s).find((a) => (a.Properties?.Metrics as Array<{ Label?: string }> | undefined)?.some((m) => m.Label === label));

describe('fleet alarms: one per signal, whatever the number of mailboxes', () => {
  it('has the same alarms for 2 mailboxes as for 40', () => {
    const config = sampleConfig();
    const [first] = config.mailboxes as Record<string, unknown>[];
    const forty = synthPoller({ config: { ...config, mailboxes: Array.from({ length: 40 }, (_, i) => ({ ...first, id: `box-${i}` })) } });
    expect(alarms(forty)).toHaveLength(7);
    expect(alarms(synthDefault())).toHaveLength(7);
  });

  it('raises an auth alarm on a final auth failure of any mailbox, naming it as a contributor', () => {
    const auth = byLabel(synthDefault(), 'AuthFailures');
    expect(query(auth ?? {})?.Expression).toBe(
      `SELECT SUM(Errors) FROM SCHEMA("Pop3Ingest", errorClass, mailbox, service) WHERE service = 'pop3-ingest' AND errorClass = 'auth' GROUP BY mailbox ORDER BY SUM() DESC`,
    );
    expect(auth?.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });

  it('raises a stall alarm when a mailbox\'s polls all failed over 3 of its periods (worst mailboxes first)', () => {
    const stalled = byLabel(synthDefault(), 'Stalled');
    expect(query(stalled ?? {})).toMatchObject({
      Expression: `SELECT MAX(PollSucceeded) FROM SCHEMA("Pop3Ingest", mailbox, service) WHERE service = 'pop3-ingest' GROUP BY mailbox ORDER BY MAX() ASC`,
      Period: 2700, // 3 x 15 minutes, the slowest mailbox's period
    });
    expect(stalled?.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold' });
  });

  it('raises a backlog alarm when a mailbox keeps messages on the server 3 periods in a row', () => {
    const backlog = byLabel(synthDefault(), 'Backlog');
    expect(query(backlog ?? {})?.Expression).toContain('SELECT MAX(Backlog)');
    expect(backlog?.Properties).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('raises an alarm when nothing was invoked at all (a mailbox that never runs emits no metric)', () => {
    synthDefault().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'Invocations', Period: 900, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching',
    });
  });

  it('raises the dead-letter alarm on messages sent, so it returns to OK once the drops stop', () => {
    // Threat: alarming on messages *visible* keeps DeadLetters in ALARM for the queue's 14-day
    // retention after one drop, so the next drop notifies nobody.
    const { template } = synthDefault();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesSent', Statistic: 'Sum', Period: 300, Threshold: 1, TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('ApproximateNumberOfMessagesVisible');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Errors' });
  });

  it('watches the metric names the handler emits (one contract module for both)', () => {
    const text = JSON.stringify(synthDefault().template.toJSON());
    for (const name of [METRICS.errors, METRICS.pollSucceeded, METRICS.backlog, METRICS.errorClassDimension, METRICS.mailboxDimension]) expect(text).toContain(name);
  });
});

describe('per-mailbox alarms, for the few that matter', () => {
  it('adds three alarms per named mailbox, next to its schedule, missing data breaching for its stall', () => {
    const synth = synthPoller({ mailboxAlarms: ['support'] });
    const nested = alarms({ template: synth.nested[0] ?? synth.template, nested: synth.nested.slice(1) });
    expect(alarms(synth)).toHaveLength(7 + 3);
    expect(nested.filter((a) => JSON.stringify(a).includes('"Value":"support"'))).toHaveLength(3);
    expect(alarms(synth).find((a) => a.Properties?.MetricName === 'PollSucceeded')?.Properties).toMatchObject({
      Period: 900, TreatMissingData: 'breaching',
      Dimensions: expect.arrayContaining([{ Name: 'mailbox', Value: 'support' }]) as unknown,
    });
  });

  it('refuses a mailbox that is not configured', () => {
    expect(() => synthPoller({ mailboxAlarms: ['nobody'] })).toThrow(/not in the configuration/);
  });
});

describe('notifications and dashboard', () => {
  it('notifies an SNS topic on alarm and on recovery when one is given', () => {
    for (const alarm of alarms(synthVariant())) {
      expect(alarm.Properties?.AlarmActions).toEqual([VARIANT_TOPIC_ARN]);
      expect(alarm.Properties?.OKActions).toEqual([VARIANT_TOPIC_ARN]);
    }
    for (const alarm of alarms(synthDefault())) expect(alarm.Properties?.AlarmActions).toBeUndefined();
  });

  it('draws a dashboard whose size does not depend on the fleet: top mailboxes by Metrics Insights', () => {
    const { template, stack } = synthDefault();
    const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(stack.resolve(dashboards[0]?.Properties?.DashboardBody));
    for (const title of ['Messages stored', 'Bytes stored', 'Poll duration', 'Errors by class', 'Backlog', 'Server response codes', 'Alarms']) expect(body).toContain(title);
    expect(body).toContain('LIMIT 20');
    expect(body).not.toContain('support');
    expect(synthVariant().template.findResources('AWS::CloudWatch::Dashboard')).toEqual({});
  });
});

describe('set-aside messages raise an alarm', () => {
  it('alarms when any mailbox has messages set aside (Message Failed), naming the mailbox by its group', () => {
    const alarm = alarms(synthDefault()).find((a) => JSON.stringify(a).includes('MessagesSetAside'));
    expect(JSON.stringify(alarm?.Properties?.Metrics)).toContain('GROUP BY mailbox');
    expect(alarm?.Properties?.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(alarm?.Properties?.Threshold).toBe(0);
  });
});
