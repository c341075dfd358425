/**
 * Planning: given the listing, the seen-state, the policy and the clock, decide what this
 * poll does. Pure: no port is called, so every rule here is tested without a server.
 */
import type { CircuitStats } from './events.js';
import type { MessageKind } from './keys.js';
import { SYNC_LIMITS } from './limits.js';
import { asListing, type ListingInput } from './listing.js';
import { listedCount } from './listing-known.js';
import type { ListedMessage, Listing, MailboxCapabilities } from './ports.js';
import type { SeenEntry, SeenState } from './state.js';
import type { MailboxPolicy } from './types.js';

/**
 * What to do with one listed message:
 * full (RETR), headers (TOP, mode 'headers'), too-large (TOP + "Message Skipped"),
 * filter (TOP first, then the filter decides), verify (a known, acknowledged message due for
 * deletion whose identity this session has not confirmed yet: TOP hash or RETR, see confirmIdentity).
 */
export type PlannedAction = MessageKind | 'too-large' | 'filter' | 'verify';

/** One message and its action. */
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
  /** Listed messages to ingest: UIDs the state does not know, re-used ones, retries, upgrades. */
  newMessages: number;
  /** Messages to process now, in message-number order, within the limits. */
  work: PlannedMessage[];
  /** New messages left for a later poll because of maxMessages / maxBytes. */
  backlog: number;
}

/** The context the planner reads besides the listing and the state. */
export interface PlanContext {
  now: Date;
  /** Server EXPIRE (RFC 2449 section 6.7), for the breaker. */
  expire?: number | 'never';
}

/**
 * Builds the plan. `work` respects maxMessages and maxBytes (LIST sizes, hints only). Objects
 * are built only for the messages in `fresh` (those the poll may act on): a quiet listed
 * message is skipped from the columns.
 */
export function planPoll(policy: MailboxPolicy, input: ListingInput, state: SeenState, context: PlanContext = { now: new Date() }): Plan {
  const listing = asListing(input);
  const maxSize = policy.limits.maxMessageSize ?? SYNC_LIMITS.defaultMaxMessageSize;
  const maxMessages = policy.limits.maxMessages ?? Number.POSITIVE_INFINITY;
  const maxBytes = policy.limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const fresh: PlannedMessage[] = [];
  const match = state.entries.match(listing);
  const order = byMessageNumber(listing);
  for (let k = 0; k < listing.length; k++) {
    const i = order === undefined ? k : (order[k] as number);
    // A quiet record (stored or skipped, acknowledged) needs nothing unless a header-only message may be upgraded.
    const quiet = match.quietKind(i);
    if (quiet !== undefined && planSkipsQuiet(policy, quiet)) continue;
    const m = listing.at(i);
    const action = ingestAction(policy, m, match.entry(i), maxSize);
    if (action) fresh.push({ ...m, action });
  }
  const work: PlannedMessage[] = [];
  let bytes = 0;
  for (const m of fresh) {
    if (work.length >= maxMessages) break;
    const cost = m.action === 'full' || (m.action === 'filter' && m.size <= maxSize) ? m.size : 0;
    // The first message always fits, or one message above maxBytes would block the mailbox forever;
    // after that, stop in order (no skipping ahead) so the oldest mail comes first next time.
    if (work.length > 0 && bytes + cost > maxBytes) break;
    bytes += cost;
    work.push(m);
  }
  // Verification reads little (TOP) and unblocks deletions: it is not held back by the limits.
  const inWork = new Set(work.map((m) => m.uid));
  for (const m of dueForDeletion(policy, listing, state, context.now)) {
    if (!inWork.has(m.uid)) work.push({ ...m, action: 'verify' });
  }
  work.sort((a, b) => a.msg - b.msg);
  return { circuit: checkCircuit(listing, state, context), newMessages: fresh.length, work, backlog: fresh.length - Math.min(fresh.length, inWork.size) };
}

/** True when planPoll needs nothing of a quiet record of `kind`. */
function planSkipsQuiet(policy: MailboxPolicy, kind: SeenEntry['kind']): boolean {
  return kind === 'full' || kind === 'skipped' || kind === 'seeded' || (kind === 'headers' && policy.mode !== 'full');
}

/**
 * Whether a poll under `policy` needs nothing of a quiet record of a kind: planPoll skips it
 * and dueForDeletion never selects it. The listing may leave such a UID out (listing-known.ts).
 */
export function quietNeedsNothing(policy: MailboxPolicy): (kind: SeenEntry['kind']) => boolean {
  return (kind) => planSkipsQuiet(policy, kind) && (policy.delete.kind === 'never' || kind !== 'full');
}

/**
 * Listing positions in message-number order, or undefined when the listing is already in that
 * order (the mail source sorts it): an idle poll of a huge kept mailbox then sorts nothing.
 */
function byMessageNumber(listing: Listing): Uint32Array | undefined {
  let sorted = true;
  for (let i = 1; i < listing.length && sorted; i++) sorted = listing.msg(i - 1) < listing.msg(i);
  if (sorted) return undefined;
  return Uint32Array.from({ length: listing.length }, (_, i) => i).sort((a, b) => listing.msg(a) - listing.msg(b));
}

/**
 * Whether a listed message needs ingesting, and how. Unknown UIDs and UIDs we saw deleted
 * (RFC 1939 section 7 lets a server re-use a UID once its message is gone: a new message),
 * retries of failed fetches, set-aside messages when the caller asks, and header-only
 * messages a changed policy now wants in full.
 */
export function ingestAction(policy: MailboxPolicy, m: ListedMessage, entry: SeenEntry | undefined, maxSize: number): PlannedAction | undefined {
  if (!entry || entry.status === 'deleted' || entry.status === 'retry') return actionFor(policy, m, maxSize);
  if (entry.kind === 'failed') return policy.retryFailed === true && entry.status === 'published' ? actionFor(policy, m, maxSize) : undefined;
  if (entry.kind === 'headers' && entry.status === 'published' && wantsFullNow(policy, entry, m, maxSize)) return 'full';
  return undefined;
}

/** A header-only message is fetched in full once the mode is 'full' and it fits the size limit. */
function wantsFullNow(policy: MailboxPolicy, entry: SeenEntry, m: ListedMessage, maxSize: number): boolean {
  if (policy.mode !== 'full' || m.size > maxSize) return false;
  // A filter's 'headers' verdict stands (filters do not re-evaluate old mail); without a
  // recorded reason (older state) only a mailbox without filter is revisited.
  if (entry.headersWhy === 'filter') return false;
  return entry.headersWhy !== undefined || !policy.filter;
}

function actionFor(policy: MailboxPolicy, m: ListedMessage, maxSize: number): PlannedAction {
  // With a filter, TOP first decides; a 'full' verdict on an oversized message becomes too-large later.
  if (policy.filter) return 'filter';
  if (policy.mode === 'headers') return 'headers';
  return m.size > maxSize ? 'too-large' : 'full';
}

/**
 * The UID circuit breaker: trips on renumbering only. Vanished UIDs alone prove nothing (another
 * client deletes, the server expires mail); renumbering shows as the vanished messages coming
 * back under new UIDs in the same listing. So it trips when, in a mailbox with history
 * (circuitMinKnown known UIDs), more than circuitGoneShare of the known UIDs vanished AND more
 * than circuitMatchShare of the vanished ones reappear as a new UID of the same LIST size
 * (each new message matched at most once). Not counted as known: UIDs we deleted, removed by
 * the server's EXPIRE 0 at our QUIT, or older than the server's EXPIRE days.
 */
export function checkCircuit(input: ListingInput, state: SeenState, context: PlanContext = { now: new Date() }): CircuitVerdict {
  const listing = asListing(input);
  const match = state.entries.match(listing);
  const expireMs = typeof context.expire === 'number' ? context.expire * DAY_MS : undefined;
  // Listed UIDs with a record that is not 'deleted' are known and present.
  let known = match.knownListed;
  const goneSizes: number[] = [];
  for (const gone of match.gone) {
    // Gone because we deleted it (or sent DELE and may have died before recording the QUIT).
    if (gone.status === 'deleted' || gone.deleteSent) continue;
    if (expireMs !== undefined && context.now.getTime() - Date.parse(gone.firstSeen) >= expireMs) continue;
    known += 1;
    goneSizes.push(gone.sizeHint);
  }
  const newSizes = new Map<number, number>();
  let unknownListed = 0;
  for (let i = 0; i < listing.length; i++) {
    if (match.isQuiet(i)) continue;
    const entry = match.entry(i);
    if (entry && entry.status !== 'deleted') continue;
    unknownListed += 1;
    const size = listing.size(i);
    newSizes.set(size, (newSizes.get(size) ?? 0) + 1);
  }
  let reappeared = 0;
  for (const size of goneSizes) {
    const left = newSizes.get(size) ?? 0;
    if (left > 0) {
      newSizes.set(size, left - 1);
      reappeared += 1;
    }
  }
  const knownGone = goneSizes.length;
  const stats: CircuitStats = { known, listed: listedCount(listing), unknownListed, knownGone, reappeared };
  const open =
    known >= SYNC_LIMITS.circuitMinKnown &&
    knownGone / known > SYNC_LIMITS.circuitGoneShare &&
    reappeared / knownGone > SYNC_LIMITS.circuitMatchShare;
  return { open, stats };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Listed messages the policy wants deleted now: full messages stored by us (their event
 * acknowledged, or owed and republished in this poll) and, for after-days N, first seen N days ago. Header-only, skipped and
 * failed messages are never deleted: their body is stored nowhere.
 */
export function dueForDeletion(policy: MailboxPolicy, input: ListingInput, state: SeenState, now: Date): ListedMessage[] {
  if (policy.delete.kind === 'never') return [];
  const listing = asListing(input);
  const out: ListedMessage[] = [];
  const match = state.entries.match(listing);
  for (let i = 0; i < listing.length; i++) {
    // Only full, published records are due: a quiet header-only or skipped one is not.
    if (match.isQuiet(i) && match.quietKind(i) !== 'full') continue;
    const entry = match.entry(i);
    // Unpublished ones too: their identity is confirmed now, their event republished first,
    // and selectDeletes takes only those acknowledged by then.
    if (!entry || entry.kind !== 'full' || (entry.status !== 'published' && entry.status !== 'unpublished')) continue;
    if (policy.delete.kind === 'after-days') {
      const age = now.getTime() - Date.parse(entry.firstSeen);
      if (age < policy.delete.days * DAY_MS) continue;
    }
    out.push(listing.at(i));
  }
  return out;
}

/**
 * Message numbers to DELE now: due for deletion AND confirmed in this session to be the
 * message we stored (fetched and stored or found identical in the store, or its TOP header
 * hash and LIST size matched what was recorded). Never a UID on its record alone: after a
 * delete, the server may hand that UID to a new message (RFC 1939 section 7).
 */
export function selectDeletes(
  policy: MailboxPolicy,
  listing: ListingInput,
  state: SeenState,
  now: Date,
  confirmed: ReadonlySet<string>,
): number[] {
  return dueForDeletion(policy, listing, state, now)
    .filter((m) => confirmed.has(m.uid) && state.entries.get(m.uid)?.status === 'published')
    .map((m) => m.msg)
    .sort((a, b) => a - b);
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
