/**
 * Threat: a failing or slow mailbox stacks up invocations (retry storm, overlapping polls).
 * One schedule per mailbox, bounded retries on BOTH hops, stale polls dropped to an encrypted DLQ,
 * and a timeout shorter than the period.
 */
import { describe, expect, it } from 'vitest';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { resourcesOf, sampleConfig, synthDefault, synthPoller, synthVariant } from './synth.js';

describe('schedules: one per mailbox, bounded retries', () => {
  it('creates exactly one EventBridge Scheduler schedule per mailbox, rate and input from the config', () => {
    // Act
    const { template } = synthDefault();

    // Assess
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Target: Match.objectLike({ Input: JSON.stringify({ mailboxId: 'support' }) }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({ Input: JSON.stringify({ mailboxId: 'invoices' }) }),
    });
  });

  it('bounds the schedule retries and drops events older than half the period to the DLQ', () => {
    const { template } = synthDefault();
    const schedules = Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule'));
    const byRate = new Map(schedules.map((s) => [s.Properties?.ScheduleExpression, s.Properties?.Target as Record<string, unknown>]));

    const fast = byRate.get('rate(5 minutes)');
    expect(fast?.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 150 });
    expect(fast?.DeadLetterConfig).toBeDefined();
    const slow = byRate.get('rate(15 minutes)');
    expect(slow?.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 450 });
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

  it('keeps the dead-letter queue encrypted and TLS-only', () => {
    const { template } = synthDefault();
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('sets a timeout shorter than the shortest schedule period', () => {
    const { template } = synthDefault();
    const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function'))[0];
    expect(fn?.Properties?.Timeout).toBe(240); // 80% of 5 minutes
  });

  it('refuses a timeout that would let two polls of the same mailbox overlap', () => {
    expect(() => synthPoller({ timeout: Duration.minutes(5) })).toThrow(/shorter than the shortest schedule period/);
  });

  it('refuses unbounded retry settings', () => {
    expect(() => synthPoller({ retry: { invokeRetryAttempts: 3 } })).toThrow(/0, 1 or 2/);
    expect(() => synthPoller({ retry: { maxEventAge: Duration.seconds(30) } })).toThrow(/between 1 minute and 6 hours/);
  });

  it('accepts custom retry settings within the bounds', () => {
    const { template } = synthVariant();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120 });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }) }) });
  });

  it('can deploy the schedules disabled (e.g. to pause all polling)', () => {
    const { template } = synthVariant();
    template.allResourcesProperties('AWS::Scheduler::Schedule', { State: 'DISABLED' });
  });

  it('handles a cron schedule by falling back to a 5-minute timeout', () => {
    const config = sampleConfig();
    const mailboxes = config.mailboxes as Record<string, unknown>[];
    const config1 = { ...config, mailboxes: [{ ...mailboxes[0], schedule: 'cron(7 8 * * ? *)' }] };
    const { template } = synthPoller({ config: config1 });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(7 8 * * ? *)' });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 300 });
  });
});
