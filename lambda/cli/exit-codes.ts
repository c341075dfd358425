/**
 * The CLI's exit codes: one number per thing a script or a scheduler can act on.
 *
 * A cron job wrapping `pop3-ingest poll` should retry on 4 and 5, page a human on 2 and 3, and
 * treat 0 as success whether or not there was new mail.
 */
import { classifyError } from '../shared/errors.js';
import type { PollSummary } from '../sync/types.js';

/** Exit codes, documented in `--help` and here. */
export const ExitCode = {
  /** Success: the poll ran (new mail or not), the check connected. */
  OK: 0,
  /** Anything else: protocol violation, unsupported server, storage failure, a bug. */
  OTHER: 1,
  /** Usage or configuration error: a bad flag, a bad config file. Fix the command line. */
  USAGE: 2,
  /** Authentication failure: credentials refused or missing. Retrying will not help. */
  AUTH: 3,
  /** Mailbox busy: [IN-USE], [LOGIN-DELAY], or another poller holds the lease. Try later. */
  BUSY: 4,
  /** Transient network or TLS error: refused, reset, timed out. Try later. */
  TRANSIENT: 5,
  /** Interrupted (Ctrl-C, SIGTERM): the session was dropped without QUIT, so nothing was deleted. 128 + SIGINT. */
  INTERRUPTED: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit-code table as shown in `--help`. */
export const EXIT_CODE_HELP = `Exit codes:
  0    success (new mail or not)
  1    other error (protocol, untrusted certificate, storage, unsupported server)
  2    usage or configuration error
  3    authentication failure (credentials refused or missing)
  4    mailbox busy ([IN-USE], [LOGIN-DELAY], lease held by another poller)
  5    transient network or TLS error (refused, reset, timeout, handshake)
  130  interrupted (Ctrl-C / SIGTERM): session dropped without QUIT, pending deletions not committed`;

/** Error codes that mean "the command line or the config is wrong", whatever their category. */
const USAGE_CODES = new Set(['CLI_USAGE', 'CONFIG_INVALID', 'CONFIG_UNREADABLE', 'CONFIG_MISSING', 'MAILBOX_UNKNOWN']);

/** Maps any thrown value to an exit code, through the one classifier (lambda/shared/errors.ts). */
export function exitCodeForError(error: unknown): ExitCodeValue {
  const { category, code } = classifyError(error);
  return exitCodeForCategory(category, code);
}

/** Maps an error category (and code) to an exit code. */
export function exitCodeForCategory(category: string, code = ''): ExitCodeValue {
  if (USAGE_CODES.has(code) || code.startsWith('CONFIG_')) return ExitCode.USAGE;
  switch (category) {
    case 'auth':
      return ExitCode.AUTH;
    case 'throttled':
      return ExitCode.BUSY;
    case 'transient':
      return ExitCode.TRANSIENT;
    default:
      return ExitCode.OTHER;
  }
}

/** The exit code one poll's summary calls for. */
export function exitCodeForSummary(summary: PollSummary): ExitCodeValue {
  if (summary.status === 'ok') return ExitCode.OK;
  if (summary.status === 'busy') return ExitCode.BUSY;
  if (summary.error) return exitCodeForCategory(summary.error.category, summary.error.code);
  return ExitCode.OTHER;
}

/**
 * Several mailboxes, one exit code: the one that most needs a human wins.
 * Order: usage (2) > auth (3) > other (1) > transient (5) > busy (4) > ok (0).
 */
export function worstExitCode(codes: readonly ExitCodeValue[]): ExitCodeValue {
  const rank: Record<ExitCodeValue, number> = { 0: 0, 4: 1, 5: 2, 1: 3, 3: 4, 2: 5, 130: 6 };
  let worst: ExitCodeValue = ExitCode.OK;
  for (const c of codes) if (rank[c] > rank[worst]) worst = c;
  return worst;
}
