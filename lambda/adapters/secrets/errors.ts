/**
 * Errors of the secret providers. Messages name where a secret lives, never what it holds.
 */
import { keepClassName, catalogueError, type ErrorCategory } from '../../shared/errors.js';

/** The closed catalogue of secret error codes (prefix SECRET_) with their category. */
export const SECRET_ERROR_CODES = {
  /** The env var, file or Secrets Manager secret does not exist. */
  SECRET_NOT_FOUND: 'auth',
  /** IAM or file permissions refuse access. */
  SECRET_ACCESS_DENIED: 'auth',
  /** The secret exists but lacks what the mailbox needs (no password, no refresh token...). */
  SECRET_INCOMPLETE: 'auth',
  /** The secret cannot be decoded (bad JSON object, binary secret, KMS decryption failure). */
  SECRET_INVALID: 'permanent',
  /** Secrets Manager is unavailable or throttling: the next attempt may succeed. */
  SECRET_UNAVAILABLE: 'transient',
  /** Writing a rotated value back failed. */
  SECRET_WRITE_FAILED: 'transient',
} as const satisfies Record<string, ErrorCategory>;

/** One secret error code. */
export type SecretErrorCode = keyof typeof SECRET_ERROR_CODES;

/** A secret could not be read or written; never carries the value. */
export class SecretError extends catalogueError(SECRET_ERROR_CODES) {
  static {
    keepClassName(this, 'SecretError');
  }
}
