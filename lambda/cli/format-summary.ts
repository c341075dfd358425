/**
 * Human-readable text for poll summaries (poll and demo share it). A failed poll is one line
 * saying what happened, one with the fix, and a pointer to `check`; the counters are shown only
 * when something was done.
 */
import type { PollSummary } from '../sync/types.js';
import { escapeText, formatBytes } from './output.js';

/** What the CLI adds to a failed poll: the fix, and where to look further. */
export interface FailureAdvice {
  fix?: string;
  /** The server's own words and the command that drew them (escaped by the engine). */
  server?: string;
  /** The command that diagnoses this mailbox. */
  check?: string;
}

/** Where one run put things, for the closing lines. */
export interface Destinations {
  messages: string;
  events: string;
  state: string;
}

/** The text block for one mailbox's poll. */
export function formatSummary(s: PollSummary, advice: FailureAdvice = {}): string {
  const lines: string[] = [];
  const did = s.stored + s.alreadyStored + s.headersOnly + s.skipped + s.published + s.deleted > 0;
  if (s.status === 'failed' && s.error && !did) {
    lines.push(`mailbox ${s.mailboxId}: failed: ${escapeText(s.error.message)} [${s.error.code}]`);
    pushAdvice(lines, advice);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`mailbox ${s.mailboxId}: ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s`);
  if (s.status === 'ok' || s.serverMessages > 0) {
    lines.push(
      `  ${s.serverMessages} on the server, ${s.newMessages} new: ${s.stored} stored (${formatBytes(s.bytes)})` +
        `, ${s.alreadyStored} already stored, ${s.headersOnly} headers only, ${s.skipped} skipped`,
    );
    lines.push(`  ${s.published} event(s) published, ${s.deleted} deleted from the server, ${s.backlog} left for the next poll`);
  }
  if (s.status === 'ok' && s.newMessages === 0) lines.push('  nothing new');
  for (const w of s.warnings) lines.push(`  warning: ${escapeText(w)}`);
  if (s.error) lines.push(`  error: ${escapeText(s.error.message)} [${s.error.code}, ${s.error.category}${s.error.retryable ? ', retryable' : ''}]`);
  if (s.status === 'busy') lines.push('  the mailbox is busy (another client or poller, or LOGIN-DELAY): try again later');
  if (s.status === 'circuit-open') {
    lines.push('  stopped: almost every UID changed at once (a server migration?). Nothing was fetched or deleted.');
    lines.push('  if that is expected, run once with --accept-new-epoch (see docs/delivery-guarantees.md)');
  }
  if (s.status === 'failed') pushAdvice(lines, advice);
  return `${lines.join('\n')}\n`;
}

/** "messages in ..., events in ..., seen-state in ..." after the summaries. */
export function formatDestinations(d: Destinations): string {
  return `messages: ${d.messages}\nevents:   ${d.events}\nstate:    ${d.state}\n`;
}

/** Totals over several summaries, one line. */
export function formatTotals(summaries: readonly PollSummary[]): string {
  const t = summaries.reduce(
    (a, s) => ({ n: a.n + s.newMessages, stored: a.stored + s.stored, bytes: a.bytes + s.bytes, failed: a.failed + (s.status === 'ok' ? 0 : 1) }),
    { n: 0, stored: 0, bytes: 0, failed: 0 },
  );
  return `${summaries.length} mailboxes: ${t.n} new, ${t.stored} stored (${formatBytes(t.bytes)}), ${t.failed} not ok\n`;
}

function pushAdvice(lines: string[], advice: FailureAdvice): void {
  if (advice.server) lines.push(`  server said: ${escapeText(advice.server)}`);
  const check = advice.check === undefined ? '' : `run "${advice.check}" for a full diagnosis`;
  if (advice.fix) lines.push(`  fix: ${escapeText(advice.fix)}${check ? `; ${check}` : ''}`);
  else if (check) lines.push(`  ${check}`);
}
