/**
 * The PollSummary of one poll: how it starts, how an error becomes its status and `error`
 * field (classified once, lambda/shared/errors.ts), and the "Mailbox Polled" event.
 */
import { randomUUID } from 'node:crypto';
import { classifyError } from '../shared/errors.js';
import { hasCode } from './errors.js';
import { DETAIL_TYPE_MAILBOX_POLLED, EVENT_SCHEMA_VERSION, type MailboxPolledDetail } from './events.js';
import { POP3_UNSUPPORTED, STATE_CONFLICT, type OutgoingEvent } from './ports.js';
import type { PollSummary } from './types.js';

/** A zeroed summary for a poll starting at `startedAt`. */
export function newSummary(mailboxId: string, startedAt: Date): PollSummary {
  return {
    mailboxId,
    status: 'ok',
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    serverMessages: 0,
    newMessages: 0,
    stored: 0,
    alreadyStored: 0,
    headersOnly: 0,
    skipped: 0,
    published: 0,
    deleted: 0,
    bytes: 0,
    fetchFailures: 0,
    setAside: 0,
    setAsideTotal: 0,
    backlog: 0,
    deletionsDeferred: 0,
    warnings: [],
  };
}

/**
 * Status for a poll that ended with `error`: busy when someone else has the mailbox
 * (throttled: [IN-USE], [LOGIN-DELAY], lease held; or a STATE_CONFLICT: another poller wrote
 * the state, so it is active), failed otherwise.
 */
export function statusFor(error: unknown): PollSummary['status'] {
  if (hasCode(error, STATE_CONFLICT)) return 'busy';
  return classifyError(error).category === 'throttled' ? 'busy' : 'failed';
}

/** The summary's `error` field: classified, with a bounded, control-free message. */
export function errorInfo(error: unknown): NonNullable<PollSummary['error']> {
  const { code, category, retryable } = classifyError(error);
  let message = error instanceof Error ? error.message : String(error);
  if (code === POP3_UNSUPPORTED) {
    message =
      'The server cannot list unique-ids (UIDL, RFC 1939 section 7): new mail cannot be told from old, ' +
      `so nothing is fetched or deleted from this mailbox. (${message})`;
  }
  if (code === STATE_CONFLICT) {
    message = `Another poller wrote the seen-state during this poll; this one stopped cleanly. (${message})`;
  }
  return { code, category, message: boundText(message, 1000), retryable };
}

/** Removes control characters and bounds length: messages may carry server text. */
export function boundText(text: string, max: number): string {
  const clean = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/** At most this many warnings are kept: a listing with thousands of bad UIDs must not burst the event. */
export const MAX_WARNINGS = 50;

/** Bounds the warnings (count and length) so the summary event stays far below 256 KB. */
export function capWarnings(warnings: readonly string[]): string[] {
  const kept = warnings.slice(0, MAX_WARNINGS).map((w) => boundText(w, 500));
  if (warnings.length > MAX_WARNINGS) kept.push(`... and ${warnings.length - MAX_WARNINGS} more warning(s)`);
  return kept;
}

/** The "Mailbox Polled" event of a summary (a fresh id: each poll is its own fact). */
export function summaryEvent(summary: PollSummary, time: Date): OutgoingEvent {
  const detail: MailboxPolledDetail = { schemaVersion: EVENT_SCHEMA_VERSION, ...summary };
  return { id: randomUUID(), detailType: DETAIL_TYPE_MAILBOX_POLLED, detail: detail as unknown as Record<string, unknown>, time };
}
