/**
 * Planning: given the listing, the seen-state, the policy and the clock, decide what this
 * poll does. Pure: no port is called, so every rule here is tested without a server.
 */
import type { CircuitStats } from './events.js';
import { SYNC_LIMITS } from './limits.js';
import type { ListedMessage, MailboxCapabilities } from './ports.js';
import type { SeenState } from './state.js';
import type { MailboxPolicy } from './types.js';

/**
 * What to do with one new message:
 * full (RETR), headers (TOP, mode 'headers'), too-large (TOP + "Message Skipped"),
 * filter (TOP first, then the filter decides).
 */
export type PlannedAction = 'full' | 'headers' | 'too-large' | 'filter';

/** One new message and its action. */
export interface PlannedMessage extends ListedMessage {
  action: PlannedAction;
}

/** The breaker's verdict. */
export interface CircuitVerdict {
  open: boolean;
  stats: CircuitStats;
}

/** The plan of one poll. */
export interface Plan {
  circuit: CircuitVerdict;
  /** Listed UIDs the state does not know. */
  newMessages: number;
  /** New messages to process now, in message-number order, within the limits. */
  work: PlannedMessage[];
  /** New messages left for a later poll because of maxMessages / maxBytes. */
  backlog: number;
}

/** Builds the plan. `work` respects maxMessages and maxBytes (LIST sizes, hints only). */
export function planPoll(policy: MailboxPolicy, listing: readonly ListedMessage[], state: SeenState): Plan {
  const fresh = [...listing].filter((m) => !state.entries.has(m.uid)).sort((a, b) => a.msg - b.msg);
  const maxSize = policy.limits.maxMessageSize ?? SYNC_LIMITS.defaultMaxMessageSize;
  const maxMessages = policy.limits.maxMessages ?? Number.POSITIVE_INFINITY;
  const maxBytes = policy.limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const work: PlannedMessage[] = [];
  let bytes = 0;
  for (const m of fresh) {
    if (work.length >= maxMessages) break;
    const action = actionFor(policy, m, maxSize);
    const cost = action === 'full' || (action === 'filter' && m.size <= maxSize) ? m.size : 0;
    // The first message always fits, or one message above maxBytes would block the mailbox forever;
    // after that, stop in order (no skipping ahead) so the oldest mail comes first next time.
    if (work.length > 0 && bytes + cost > maxBytes) break;
    bytes += cost;
    work.push({ ...m, action });
  }
  return { circuit: checkCircuit(listing, state), newMessages: fresh.length, work, backlog: fresh.length - work.length };
}

function actionFor(policy: MailboxPolicy, m: ListedMessage, maxSize: number): PlannedAction {
  // With a filter, TOP first decides; a 'full' verdict on an oversized message becomes too-large later.
  if (policy.filter) return 'filter';
  if (policy.mode === 'headers') return 'headers';
  return m.size > maxSize ? 'too-large' : 'full';
}

/**
 * The UID circuit breaker. A mailbox with history whose known UIDs mostly vanished while
 * most listed UIDs are unknown has changed UID epoch (server migration, UIDL scheme change):
 * ingesting would duplicate everything. UIDs we deleted ourselves are expected to be gone.
 */
export function checkCircuit(listing: readonly ListedMessage[], state: SeenState): CircuitVerdict {
  const listed = new Set(listing.map((m) => m.uid));
  let known = 0;
  let knownGone = 0;
  for (const [uid, entry] of state.entries) {
    // Gone because we deleted it (or sent DELE and may have died before recording the QUIT).
    if (entry.status === 'deleted' || (entry.deleteSent === true && !listed.has(uid))) continue;
    known += 1;
    if (!listed.has(uid)) knownGone += 1;
  }
  const unknownListed = [...listed].filter((uid) => !state.entries.has(uid)).length;
  const stats: CircuitStats = { known, listed: listed.size, unknownListed, knownGone };
  const open =
    known >= SYNC_LIMITS.circuitMinKnown &&
    listed.size > 0 &&
    unknownListed / listed.size > SYNC_LIMITS.circuitUnknownShare &&
    knownGone / known > SYNC_LIMITS.circuitGoneShare;
  return { open, stats };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Message numbers to DELE now. Only full messages whose event was acknowledged (status
 * 'published') qualify, or 'deleted' ones still listed (a QUIT that did not commit). Header-only
 * and skipped messages are never deleted: their body is stored nowhere.
 */
export function selectDeletes(policy: MailboxPolicy, listing: readonly ListedMessage[], state: SeenState, now: Date): number[] {
  if (policy.delete.kind === 'never') return [];
  const out: number[] = [];
  for (const m of listing) {
    const entry = state.entries.get(m.uid);
    if (!entry || entry.kind !== 'full' || entry.status === 'unpublished') continue;
    if (policy.delete.kind === 'after-days') {
      const age = now.getTime() - Date.parse(entry.firstSeen);
      if (age < policy.delete.days * DAY_MS) continue;
    }
    out.push(m.msg);
  }
  return out.sort((a, b) => a - b);
}

/** Warnings when the server's EXPIRE (RFC 2449 section 6.7) or the mode conflicts with the delete policy. */
export function policyWarnings(policy: MailboxPolicy, capabilities: MailboxCapabilities): string[] {
  const warnings: string[] = [];
  const expire = capabilities.expire;
  if (typeof expire === 'number') {
    if (policy.delete.kind === 'never' && expire === 0) {
      warnings.push('Server advertises EXPIRE 0: it removes retrieved messages at QUIT even though the delete policy is "never"');
    } else if (policy.delete.kind === 'never' && expire < SYNC_LIMITS.expireWarnDays) {
      warnings.push(`Server advertises EXPIRE ${expire}: it removes retrieved messages after ${expire} days even though the delete policy is "never"`);
    } else if (policy.delete.kind === 'after-days' && expire < policy.delete.days) {
      warnings.push(`Server advertises EXPIRE ${expire}: it removes messages before the policy's ${policy.delete.days} days`);
    }
  }
  if (policy.mode === 'headers' && policy.delete.kind !== 'never') {
    warnings.push('Delete policy ignored in mode "headers": a message whose body is stored nowhere is never deleted');
  }
  return warnings;
}
