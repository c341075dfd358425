/**
 * The CLI's own errors: only usage mistakes originate here; everything else comes from the
 * engine, the config or the adapters and is classified by lambda/shared/errors.ts.
 */
import { keepClassName, IngestError, type IngestErrorOptions } from '../shared/errors.js';

/** Closed catalogue of CLI error codes. */
export type CliErrorCode =
  /** A flag is unknown, missing, malformed, or flags contradict each other. Exit code 2. */
  | 'CLI_USAGE';

/** A mistake on the command line; `hint` says how to fix it. */
export class CliError extends IngestError {
  static {
    keepClassName(this, 'CliError');
  }
  override readonly code: CliErrorCode;
  readonly hint: string | undefined;

  constructor(code: CliErrorCode, message: string, options: IngestErrorOptions & { hint?: string } = {}) {
    super(code, 'permanent', message, options);
    this.code = code;
    this.hint = options.hint;
  }
}

/** Shorthand for a usage error. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError('CLI_USAGE', message, hint === undefined ? {} : { hint });
}
