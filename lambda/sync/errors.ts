/**
 * The sync core's one error class and its closed catalogue of codes, all prefixed SYNC_, each
 * with a category (see lambda/shared/errors.ts). Ports raise their own codes, and the codes the
 * core reacts to (STATE_CONFLICT, MESSAGE_FAULT, POP3_UNSUPPORTED) are defined in ports.ts.
 */
import { keepClassName, catalogueError, type ErrorCategory } from '../shared/errors.js';

/** Every code the sync core raises itself, with its category. Pinned by test/unit/error-catalogues.test.ts. */
export const SYNC_ERROR_CODES = {
  /** The seen-state document cannot be parsed: a human must look, never "everything is new". */
  SYNC_STATE_CORRUPT: 'permanent',
  /** The seen-state document belongs to another mailbox or a newer schema. */
  SYNC_STATE_INCOMPATIBLE: 'permanent',
  /** Another poller holds the lease. */
  SYNC_LEASE_HELD: 'throttled',
  /** Most known UIDs vanished and most listed UIDs are new: the UID epoch changed. */
  SYNC_CIRCUIT_OPEN: 'permanent',
  /** The seen-state was recorded for another server or user (MailboxPolicy.identity). */
  SYNC_IDENTITY_MISMATCH: 'permanent',
  /** Too soon after the last login for the server's LOGIN-DELAY (RFC 2449 section 6.5): not connected. */
  SYNC_LOGIN_DELAY: 'throttled',
  /** seed --since needs TOP (RFC 1939 section 7) to read each message's Date, and the server has none. */
  SYNC_SEED_NEEDS_TOP: 'permanent',
  /** The lease lapsed and another poller took it: this poll stopped writing. */
  SYNC_LEASE_LOST: 'throttled',
  /** The caller's AbortSignal fired. */
  SYNC_ABORTED: 'transient',
  /** The policy cannot be applied (bad id, bad limits). */
  SYNC_INVALID_POLICY: 'permanent',
  /** A port broke its contract (e.g. a publisher returned the wrong number of results). */
  SYNC_PORT_CONTRACT: 'permanent',
} as const satisfies Record<string, ErrorCategory>;

/** A code from the sync core's catalogue. */
export type SyncErrorCode = keyof typeof SYNC_ERROR_CODES;

/** An error raised by the sync core itself. */
export class SyncError extends catalogueError(SYNC_ERROR_CODES) {
  static {
    keepClassName(this, 'SyncError');
  }
}

/** True when `error` carries the given code (IngestError or any object with `code`). */
export function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
