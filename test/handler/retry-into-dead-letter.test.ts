/**
 * Threat: the handler throws for a retry that Lambda will never run (the event is already too
 * old), so the poll lands in the dead-letter queue and the DeadLetters alarm fires for a failure
 * the next schedule tick absorbs; or it stops throwing when a retry would still help.
 */
import { describe, expect, it } from 'vitest';
import { asyncRetrySettings } from '../../lambda/handler/contract.js';
import { decideRetry } from '../../lambda/handler/retry-age.js';
import { eventDueTime } from '../../lambda/handler/event.js';

const due = new Date('2026-12-01T10:00:00Z');
const after = (seconds: number) => new Date(due.getTime() + seconds * 1000);
/** The stack's defaults for a 5-minute schedule: half the period, one retry. */
const fiveMinutes = { maxEventAgeSeconds: 150, retryAttempts: 1 };

describe('throw for a retry only when the event age leaves room for one', () => {
  it('throws when the first retry (about a minute later) still fits in the maximum event age', () => {
    expect(decideRetry(due, after(20), fiveMinutes).retry).toBe(true);
  });

  it('returns when the retry would come after the maximum event age', () => {
    const decision = decideRetry(due, after(85), { maxEventAgeSeconds: 150, retryAttempts: 2 });
    expect(decision).toEqual({ retry: false, reason: expect.stringMatching(/maximum event age/) as string });
  });

  it('returns on what may already be the last attempt, whatever the age limit', () => {
    expect(decideRetry(due, after(65), { maxEventAgeSeconds: 3600, retryAttempts: 1 }).retry).toBe(false);
    expect(decideRetry(due, after(65), { maxEventAgeSeconds: 3600, retryAttempts: 2 }).retry).toBe(true);
    expect(decideRetry(due, after(185), { maxEventAgeSeconds: 3600, retryAttempts: 2 }).retry).toBe(false);
  });

  it('never throws when the function has no async retries', () => {
    expect(decideRetry(due, after(1), { maxEventAgeSeconds: 3600, retryAttempts: 0 }).retry).toBe(false);
  });

  it('throws for a manual invoke, whose caller should see the error', () => {
    expect(decideRetry(undefined, after(1), fiveMinutes).retry).toBe(true);
    expect(decideRetry(due, after(1), undefined).retry).toBe(true);
  });

  it('reads the due time from the schedule input or an EventBridge event, and the settings from the environment', () => {
    expect(eventDueTime({ mailboxId: 'a', scheduledTime: '2026-12-01T10:00:00Z' })).toEqual(due);
    expect(eventDueTime({ time: '2026-12-01T10:00:00Z', detail: { mailboxId: 'a' } })).toEqual(due);
    expect(eventDueTime({ mailboxId: 'a', scheduledTime: '<aws.scheduler.scheduled-time>' })).toBeUndefined();
    expect(eventDueTime({ mailboxId: 'a' })).toBeUndefined();
    expect(asyncRetrySettings('150', '1')).toEqual(fiveMinutes);
    expect(asyncRetrySettings(undefined, '1')).toBeUndefined();
    expect(asyncRetrySettings('x', '1')).toBeUndefined();
  });
});
