/**
 * Human-readable text for poll summaries (poll and demo share it).
 */
import type { PollSummary } from '../sync/types.js';
import { escapeText, formatBytes } from './output.js';

/** The text block for one mailbox's poll. */
export function formatSummary(s: PollSummary): string {
  const lines: string[] = [];
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
  return `${lines.join('\n')}\n`;
}

/** Totals over several summaries, one line. */
export function formatTotals(summaries: readonly PollSummary[]): string {
  const t = summaries.reduce(
    (a, s) => ({ n: a.n + s.newMessages, stored: a.stored + s.stored, bytes: a.bytes + s.bytes, failed: a.failed + (s.status === 'ok' ? 0 : 1) }),
    { n: 0, stored: 0, bytes: 0, failed: 0 },
  );
  return `${summaries.length} mailboxes: ${t.n} new, ${t.stored} stored (${formatBytes(t.bytes)}), ${t.failed} not ok\n`;
}
