/**
 * The configuration layer's one error class and its closed catalogue of codes. Every code is
 * permanent: a configuration reads the same on every retry, so only a human's fix helps.
 */
import { keepClassName, catalogueError, type ErrorCategory } from '../shared/errors.js';

/** One problem found in a configuration: where (a path like `mailboxes[0].tls.mode`) and the fix. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Every code a ConfigError can carry, with its category. Prefix CONFIG_; MAILBOX_UNKNOWN and
 * EVENT_INVALID keep the names handler results and docs/deploy.md already show.
 */
export const CONFIG_ERROR_CODES = {
  /** The configuration is not JSON or breaks the schema; `issues` names each bad field. */
  CONFIG_INVALID: 'permanent',
  /** A file the configuration names (the configuration itself, a CA file) cannot be read. */
  CONFIG_UNREADABLE: 'permanent',
  /** A setting this runtime needs is not configured (no configuration at all, no bucket without a local folder). */
  CONFIG_MISSING: 'permanent',
  /** The TLS mode does not match what the port speaks (implicit TLS on a plaintext port, or the reverse). */
  CONFIG_TLS_MISMATCH: 'permanent',
  /** The invocation or the command line names a mailbox the configuration does not hold. */
  MAILBOX_UNKNOWN: 'permanent',
  /** The invocation event asks for something the handler does not do (an unknown action, a bad date). */
  EVENT_INVALID: 'permanent',
} as const satisfies Record<string, ErrorCategory>;

/** A code from the config layer's catalogue. */
export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

/** The configuration is invalid, unreadable or missing; `issues` names each bad field. */
export class ConfigError extends catalogueError(CONFIG_ERROR_CODES) {
  static {
    keepClassName(this, 'ConfigError');
  }
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, message: string, issues: readonly ConfigIssue[] = [], options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.issues = issues;
  }
}
