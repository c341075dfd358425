/**
 * Threat: a failing or slow mailbox stacks up invocations (retry storm, overlapping polls), or
 * the guards misread the schedule: a cron the old parser could not read fell back to a 5-minute
 * timeout and event age whatever it said, and the user's retry.maxEventAge was ignored on the
 * Scheduler hop. One schedule per mailbox, bounded retries on BOTH hops, stale polls dropped to
 * an encrypted DLQ, a timeout shorter than the shortest gap between polls.
 */
import { describe, expect, it } from 'vitest';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { schedulePeriods } from '../../infra/schedule-period.js';
import { ConfigError } from '../../lambda/config/schema.js';
import { allResourcesOf, resourcesOf, sampleConfig, synthDefault, synthPoller, synthVariant, type Synthesized } from './synth.js';

type Target = { RetryPolicy?: Record<string, number>; DeadLetterConfig?: unknown; Input?: string };
const schedules = (s: Synthesized) => Object.values(allResourcesOf(s, 'AWS::Scheduler::Schedule')).map((r) => r.Properties ?? {});
const targetFor = (s: Synthesized, expression: string) => schedules(s).find((p) => p.ScheduleExpression === expression)?.Target as Target | undefined;
const withSchedule = (schedule: string) => {
  const config = sampleConfig();
  const [first] = config.mailboxes as Record<string, unknown>[];
  return { ...config, mailboxes: [{ ...first, schedule }] };
};

describe('schedules: one per mailbox, bounded retries', () => {
  it('creates exactly one EventBridge Scheduler schedule per mailbox, with its id and the due time as input', () => {
    const synth = synthDefault();
    expect(schedules(synth)).toHaveLength(2);
    expect(JSON.parse(targetFor(synth, 'rate(5 minutes)')?.Input ?? '{}')).toEqual({ mailboxId: 'support', scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(JSON.parse(targetFor(synth, 'rate(15 minutes)')?.Input ?? '{}')).toEqual({ mailboxId: 'invoices', scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(schedules(synth).every((p) => p.State === 'ENABLED')).toBe(true);
  });

  it('bounds the schedule retries and drops events older than half the period to the DLQ', () => {
    const synth = synthDefault();
    expect(targetFor(synth, 'rate(5 minutes)')?.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 150 });
    expect(targetFor(synth, 'rate(5 minutes)')?.DeadLetterConfig).toBeDefined();
    expect(targetFor(synth, 'rate(15 minutes)')?.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 450 });
  });

  it('bounds the function async retries and event age too, with failures going to the same DLQ', () => {
    const { template } = synthDefault();
    const queues = Object.keys(resourcesOf(template, 'AWS::SQS::Queue'));
    expect(queues).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 1,
      // Half the SHORTEST period: the function serves every mailbox.
      MaximumEventAgeInSeconds: 150,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queues[0], 'Arn'] } } },
    });
  });

  it('tells the handler the function retry settings, for its throw-or-return decision', () => {
    synthDefault().template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POP3_INGEST_MAX_EVENT_AGE_S: '150', POP3_INGEST_INVOKE_RETRIES: '1' }) },
    });
  });

  it('keeps the dead-letter queue encrypted and TLS-only', () => {
    const { template } = synthDefault();
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('sets a timeout shorter than the shortest schedule period', () => {
    const fn = Object.values(resourcesOf(synthDefault().template, 'AWS::Lambda::Function'))[0];
    expect(fn?.Properties?.Timeout).toBe(240); // 80% of 5 minutes
  });

  it('refuses a timeout that would let two polls of the same mailbox overlap', () => {
    expect(() => synthPoller({ timeout: Duration.minutes(5) })).toThrow(/shorter than the shortest gap between two polls/);
  });

  it('refuses unbounded retry settings', () => {
    expect(() => synthPoller({ retry: { invokeRetryAttempts: 3 } })).toThrow(/0, 1 or 2/);
    expect(() => synthPoller({ retry: { maxEventAge: Duration.seconds(30) } })).toThrow(/between 1 minute and 6 hours/);
  });

  it('honours retry.maxEventAge on the Scheduler hop as well as on the function', () => {
    const synth = synthVariant();
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120 });
    for (const p of schedules(synth)) {
      expect((p.Target as Target).RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120 });
    }
  });

  it('can deploy the schedules disabled (e.g. to pause all polling)', () => {
    expect(schedules(synthVariant()).every((p) => p.State === 'DISABLED')).toBe(true);
  });
});

describe('schedule periods from the expression', () => {
  it('reads the shortest and longest gap of crons the old guards could not read', () => {
    // Weekdays 8:00-18:58 every 2 minutes: 2 minutes apart by day, 61 h over the weekend.
    expect(schedulePeriods('cron(0/2 8-18 ? * MON-FRI *)')).toEqual({ minSeconds: 120, maxSeconds: (14 + 48 - 1) * 3600 + 120 });
    expect(schedulePeriods('cron(0 * * * ? *)')).toEqual({ minSeconds: 3600, maxSeconds: 3600 });
    expect(schedulePeriods('cron(7 8 * * ? *)')).toEqual({ minSeconds: 86_400, maxSeconds: 86_400 });
    expect(schedulePeriods('rate(1 day)')).toEqual({ minSeconds: 86_400, maxSeconds: 86_400 });
    expect(schedulePeriods('cron(0/10 * * * ? *)')).toEqual({ minSeconds: 600, maxSeconds: 600 });
  });

  it('sets timeout and event ages from the real gaps of a business-hours cron', () => {
    const synth = synthPoller({ config: withSchedule('cron(0/2 8-18 ? * MON-FRI *)') });
    // 80% of 2 minutes; half of 2 minutes is below Lambda's 60 s floor.
    synth.template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 96 });
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 60 });
    expect(targetFor(synth, 'cron(0/2 8-18 ? * MON-FRI *)')?.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 });
  });

  it('follows an hourly cron and rate(1 day) instead of a 5-minute fallback', () => {
    synthPoller({ config: withSchedule('cron(0 * * * ? *)') }).template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 900 });
    const daily = synthPoller({ config: withSchedule('rate(1 day)') });
    daily.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 6 * 3600 });
  });

  it('refuses at synth, with a fix, a schedule whose gaps it cannot know', () => {
    for (const schedule of ['cron(0 0 L * ? *)', 'cron(15 10 ? * 6#3 *)', 'at(2030-01-01T00:00:00)']) {
      expect(() => synthPoller({ config: withSchedule(schedule) }), schedule).toThrow(ConfigError);
      expect(() => synthPoller({ config: withSchedule(schedule) }), schedule).toThrow(/use rate\(N minutes\|hours\|days\) or a cron/);
    }
  });
});
