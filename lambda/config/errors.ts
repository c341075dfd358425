/**
 * ConfigError: the configuration is wrong and a human must fix it (never retried).
 */
import { keepClassName, IngestError } from '../shared/errors.js';

/** One problem found in a configuration: where (a path like `mailboxes[0].tls.mode`) and the fix. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Codes raised by the config layer. */
export type ConfigErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'CONFIG_MISSING'
  | 'MAILBOX_UNKNOWN'
  /** The invocation event asks for something the handler does not do (an unknown action, a bad date). */
  | 'EVENT_INVALID'
  /** The TLS mode does not match what the port speaks (implicit TLS on a plaintext port, or the reverse). */
  | 'CONFIG_TLS_MISMATCH';

/** The configuration is invalid, unreadable or missing; `issues` names each bad field. */
export class ConfigError extends IngestError {
  static {
    keepClassName(this, 'ConfigError');
  }
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, message: string, issues: readonly ConfigIssue[] = [], options: { cause?: unknown } = {}) {
    super(code, 'permanent', message, options);
    this.issues = issues;
  }
}
