/**
 * The handler's one error class and its catalogue. Prefix INVOCATION_. Lambda's asynchronous
 * retry is the only consumer: the handler throws only what a retry right now can help with.
 */
import { keepClassName, catalogueError, type ErrorCategory } from '../shared/errors.js';
import type { PollSummary } from '../sync/types.js';

/** Every code a handler error can carry, with its category. */
export const INVOCATION_ERROR_CODES = {
  /** At least one mailbox failed transiently (a dropped link, a throttled store): Lambda's retry may succeed. */
  INVOCATION_TRANSIENT_FAILURE: 'transient',
} as const satisfies Record<string, ErrorCategory>;

/** A failed poll whose error a retry may cure. */
export function isTransientFailure(s: PollSummary): boolean {
  return s.status === 'failed' && s.error?.category === 'transient';
}

/** Thrown only when a retry right now can help: at least one mailbox failed transiently. */
export class RetryableInvocationError extends catalogueError(INVOCATION_ERROR_CODES) {
  static {
    keepClassName(this, 'RetryableInvocationError');
  }
  readonly summaries: readonly PollSummary[];

  constructor(summaries: readonly PollSummary[]) {
    const failed = summaries.filter(isTransientFailure).map((s) => `${s.mailboxId} (${s.error?.code ?? 'UNKNOWN'})`);
    super('INVOCATION_TRANSIENT_FAILURE', `Transient failure polling ${failed.join(', ')}: a retry may succeed`);
    this.summaries = summaries;
  }
}
