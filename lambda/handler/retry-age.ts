/**
 * Whether throwing (so that Lambda's async retry polls again) can still help, judged from the
 * event's age.
 *
 * Lambda retries a failed async invocation after about 1 minute, the second retry about 2
 * minutes after that, and drops an event older than the function's maximum event age to the
 * dead-letter queue (Lambda developer guide, "Asynchronous invocation": error handling). A throw
 * whose retry would land past that age buys nothing but a dead letter and a DeadLetters alarm
 * for a failure the next schedule tick absorbs anyway. So the handler throws only while the
 * retry still fits, and otherwise returns and counts the deferral.
 *
 * The age is measured from the schedule's due time (`<aws.scheduler.scheduled-time>`), which is
 * never later than when Lambda queued the event: the estimate errs towards not throwing.
 */
import type { AsyncRetrySettings } from './contract.js';

/** The verdict, with the reason logged next to it. */
export interface RetryDecision {
  retry: boolean;
  reason: string;
}

/** Earliest moments, in seconds after the event was queued, at which retry 1 and retry 2 run. */
const RETRY_EARLIEST_S = [60, 180] as const;
/** Delays before retry 1 and retry 2. */
const RETRY_DELAY_S = [60, 120] as const;
/** A retry must start this long before the maximum age, not at its edge. */
const MARGIN_S = 10;

/**
 * Decides whether a transient failure should be thrown for a retry. Without a due time (a
 * manual or synchronous invoke) or without the stack's settings, the error is thrown: the
 * caller is then a person or a program that should see it.
 */
export function decideRetry(dueTime: Date | undefined, now: Date, settings: AsyncRetrySettings | undefined): RetryDecision {
  if (dueTime === undefined || settings === undefined) return { retry: true, reason: 'no schedule due time or retry settings: the caller sees the error' };
  if (settings.retryAttempts <= 0) return { retry: false, reason: 'the function has no async retries: the next schedule tick polls again' };
  const ageS = Math.max(0, (now.getTime() - dueTime.getTime()) / 1000);
  // The attempt this may be: a retry cannot run before its earliest moment, so a young event is
  // surely the first attempt; an older one may already be a retry, and we assume it is.
  const retriesMaybeUsed = RETRY_EARLIEST_S.filter((t) => ageS >= t).length;
  if (retriesMaybeUsed >= settings.retryAttempts) {
    return { retry: false, reason: `event is ${Math.round(ageS)} s old: this may be the last attempt, a throw would only dead-letter it` };
  }
  const nextAt = ageS + (RETRY_DELAY_S[retriesMaybeUsed] ?? 120);
  if (nextAt + MARGIN_S > settings.maxEventAgeSeconds) {
    return { retry: false, reason: `event is ${Math.round(ageS)} s old: a retry at ~${Math.round(nextAt)} s would pass the ${settings.maxEventAgeSeconds} s maximum event age` };
  }
  return { retry: true, reason: `event is ${Math.round(ageS)} s old: a retry at ~${Math.round(nextAt)} s fits in the ${settings.maxEventAgeSeconds} s maximum event age` };
}
