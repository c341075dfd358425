/**
 * What the CLI adds to the shared pollMailboxes (lambda/compose/poll-mailboxes.ts): the guided
 * mail source (wrong TLS mode found in seconds, untrusted certificates described, the raw error
 * kept for the advice), and a core logger that keeps the core's summary line for --verbose,
 * because the CLI prints that summary itself.
 */
import type { PollRunOptions } from '../compose/poll-mailboxes.js';
import type { Logger } from '../sync/ports.js';
import { guideSource } from './guided-source.js';

/** Spread into pollMailboxes' options by every CLI command that polls. */
export const CLI_POLL_HOOKS = { wrapSource: guideSource, coreLogger: quietSummary } as const satisfies Partial<PollRunOptions>;

function quietSummary(logger: Logger): Logger {
  return {
    debug: (message, fields) => logger.debug(message, fields),
    info: (message, fields) => logger.debug(message, fields),
    warn: (message, fields) => (message === 'mailbox polled' ? logger.debug(message, fields) : logger.warn(message, fields)),
    error: (message, fields) => logger.error(message, fields),
  };
}
