/**
 * The CLI's own error class and its closed catalogue: only usage mistakes originate here;
 * everything else comes from the engine, the config or the adapters and is classified by
 * lambda/shared/errors.ts.
 */
import { keepClassName, catalogueError, type CatalogueErrorOptions, type ErrorCategory } from '../shared/errors.js';

/** Every code a CliError can carry, with its category. Prefix CLI_. */
export const CLI_ERROR_CODES = {
  /** A flag is unknown, missing, malformed, or flags contradict each other: the same line fails again. Exit code 2. */
  CLI_USAGE: 'permanent',
} as const satisfies Record<string, ErrorCategory>;

/** A code from the CLI's catalogue. */
export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/** A mistake on the command line; `hint` says how to fix it. */
export class CliError extends catalogueError(CLI_ERROR_CODES) {
  static {
    keepClassName(this, 'CliError');
  }
  readonly hint: string | undefined;

  constructor(code: CliErrorCode, message: string, options: CatalogueErrorOptions & { hint?: string } = {}) {
    super(code, message, options);
    this.hint = options.hint;
  }
}

/** Shorthand for a usage error. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError('CLI_USAGE', message, hint === undefined ? {} : { hint });
}
