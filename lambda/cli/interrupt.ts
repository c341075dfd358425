/**
 * Ctrl-C and SIGTERM during a poll. The first signal aborts: the session is dropped without
 * QUIT, so no deletion is committed (RFC 1939 section 6), and what was stored and published stays
 * recorded; then the summary, the --json document and the "Mailbox Polled" event are written.
 * A terminal and GNU timeout send the signal to the whole process group, and a user often
 * presses Ctrl-C twice: a repeat within the grace period is the same request, not "exit now".
 * Only a signal after the grace period leaves at once (without the summary).
 */
import type { Logger } from '../sync/ports.js';

/** Repeated signals within this window count as one. */
export const REPEAT_GRACE_MS = 1_000;

/** An AbortSignal fired by the first SIGINT/SIGTERM; dispose() removes the handlers. */
export function interruptController(logger: Logger, now: () => number = () => performance.now()): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let firstAt = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      firstAt = now();
      logger.warn(`interrupted (${name}): stopping without committing deletions; the summary follows (Ctrl-C again after a second to leave at once)`);
      controller.abort(new Error('interrupted'));
      return;
    }
    if (now() - firstAt < REPEAT_GRACE_MS) return;
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
