/**
 * Errors raised by the storage and event adapters (S3, EventBridge, local folder, JSON lines).
 *
 * Adapters translate SDK and file-system errors at the boundary, so the sync core only ever sees
 * an AdapterError with a code from this closed catalogue. The one "expected" S3 failure, a 412 on
 * a conditional create, is not an error at all: the message store turns it into 'already-stored'.
 *
 * A code names the port that failed (STORE_: MessageStore, ParsedStore, MessageReader; STATE_:
 * StateStore; PUBLISH_: EventPublisher; LEASE_: LeaseStore), or INVALID_ for a bad key or option:
 * the names "Mailbox Polled" events already carry. Unlike the other catalogues, a code has no
 * category of its own: one STORE_FAILED is transient (a 503) and another auth (an expired
 * token), so each error takes the category of its cause (toAdapterError).
 */
import { keepClassName, classifyError, IngestError, type ErrorCategory, type IngestErrorOptions } from '../shared/errors.js';
import { STATE_CONFLICT } from '../sync/ports.js';

/** The closed catalogue of adapter error codes (pinned by test/adapters/adapter-errors.test.ts). */
export const ADAPTER_ERROR_CODES = [
  /** Writing a message to S3 or the folder failed. */
  'STORE_FAILED',
  /** What was sent differs from what was hashed: never report such an object as stored. */
  'STORE_INTEGRITY',
  /** A key or mailbox id would escape its folder or is otherwise unusable. */
  'INVALID_KEY',
  /** Another writer changed the state document since it was loaded (compare-and-swap lost): the port's code (sync/ports.ts). */
  STATE_CONFLICT,
  /** Loading or saving the state document failed for another reason. */
  'STATE_FAILED',
  /** PutEvents or the JSON-lines sink failed. */
  'PUBLISH_FAILED',
  /** Acquiring or releasing a lease failed (not "held by someone else": that is a null lease). */
  'LEASE_FAILED',
  /** An adapter was constructed with options it cannot work with. */
  'INVALID_CONFIG',
] as const;

/** One adapter error code. */
export type AdapterErrorCode = (typeof ADAPTER_ERROR_CODES)[number];

/** An error raised at the adapter boundary; `cause` keeps the SDK or system error. */
export class AdapterError extends IngestError {
  static {
    keepClassName(this, 'AdapterError');
  }
  declare readonly code: AdapterErrorCode;

  constructor(code: AdapterErrorCode, category: ErrorCategory, message: string, options: IngestErrorOptions = {}) {
    super(code, category, message, options);
  }
}

/** SDK error names that mean our credentials were refused or are missing. */
const AUTH_ERROR_NAMES = new Set([
  'CredentialsProviderError', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken',
  'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidToken',
]);

/**
 * Wraps any SDK or system error as an AdapterError with `code`, keeping the category that
 * classifyError gives it (credential failures become 'auth'). Only the SDK's own error name and
 * message are kept: they never contain secrets.
 */
export function toAdapterError(code: AdapterErrorCode, what: string, error: unknown): AdapterError {
  if (error instanceof AdapterError) return error;
  const classified = classifyError(error);
  const category: ErrorCategory = AUTH_ERROR_NAMES.has(classified.code) ? 'auth' : classified.category;
  const detail = error instanceof Error ? error.message : String(error);
  return new AdapterError(code, category, `${what}: ${classified.code}: ${detail}`, {
    cause: error,
    retryable: category === 'auth' ? false : classified.retryable,
  });
}
