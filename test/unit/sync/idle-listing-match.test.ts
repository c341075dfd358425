/**
 * Issue 15: an idle poll of a kept mailbox must not build an object or a string per listed
 * message (at a million kept messages that was ~180 B each, held for the whole poll). The
 * listing is read by position; only messages the poll acts on become objects.
 */
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../../lambda/sync/keys.js';
import { arrayListing } from '../../../lambda/sync/listing.js';
import { checkCircuit, planPoll } from '../../../lambda/sync/plan.js';
import { pruneState } from '../../../lambda/sync/poll.js';
import type { ListedMessage, Listing } from '../../../lambda/sync/ports.js';
import { uidDigest } from '../../../lambda/sync/quiet-run.js';
import { emptyState, type SeenEntry, type SeenState } from '../../../lambda/sync/state.js';
import type { MailboxPolicy } from '../../../lambda/sync/types.js';

const now = new Date('2026-03-01T00:00:00Z');
const policy: MailboxPolicy = { id: 'inbox', mode: 'full', delete: { kind: 'never' }, limits: {} };
const uids = Array.from({ length: 500 }, (_, i) => `${(0x5f000000 + i).toString(16)}.uid-${i}`);

/** As the recorder writes a stored, acknowledged message: a quiet record. */
const kept = (uid: string): SeenEntry => ({
  firstSeen: now.toISOString(), key: messageKey('pfx/', 'inbox', uid, 'full'), kind: 'full', status: 'published',
  size: 100, listSize: 100, headerHash: 'ab'.repeat(16),
});

/** A listing that counts the objects and strings it is asked to build. */
function countingListing(messages: ListedMessage[]): Listing & { built: number } {
  const inner = arrayListing(messages);
  const counting = {
    built: 0,
    get length() {
      return inner.length;
    },
    msg: (i: number) => inner.msg(i),
    size: (i: number) => inner.size(i),
    writeUid: (i: number, target: Uint8Array, offset: number) => inner.writeUid(i, target, offset),
    uid(i: number) {
      counting.built += 1;
      return inner.uid(i);
    },
    at(i: number) {
      counting.built += 1;
      return inner.at(i);
    },
  };
  return counting;
}

function keptState(): SeenState {
  const state = emptyState('inbox', now);
  for (const uid of uids) state.entries.set(uid, kept(uid));
  // A save seals pending quiet records into a run (the columns an idle poll loads).
  state.entries.takeChanges();
  return state;
}

const listed = (list: string[]): ListedMessage[] => list.map((uid, i) => ({ msg: i + 1, uid, size: 100 }));

describe('an idle poll of a kept mailbox', () => {
  it('builds no per-message object or string to plan', () => {
    // As loaded: quiet records in columns (records not yet saved exist only inside a busy poll).
    const state = keptState();
    const listing = countingListing(listed(uids));
    const plan = planPoll(policy, listing, state, { now });
    expect(plan.work).toEqual([]);
    expect(checkCircuit(listing, state, { now }).stats.known).toBe(uids.length);
    expect(state.entries.match(listing).gone).toEqual([]);
    expect(pruneState(state, listing)).toBe(0);
    expect(listing.built).toBe(0);
  });

  it('builds objects only for the messages it will fetch', () => {
    const state = keptState();
    const fresh = ['new-1', 'new-2', 'new-3'];
    const listing = countingListing(listed([...uids, ...fresh]));
    const plan = planPoll(policy, listing, state, { now });
    expect(plan.work.map((m) => m.uid)).toEqual(fresh);
    expect(listing.built).toBe(fresh.length);
  });
});

describe('the listing match, by UID hash only', () => {
  it('finds loud, pending and column entries, and reports the unlisted ones as gone', () => {
    const state = keptState();
    // Loud: a record that is not quiet (a retry), found by its hash, not its string.
    state.entries.set('loud-retry', { ...kept('loud-retry'), status: 'retry', attempts: 1 });
    state.entries.set('loud-gone', { ...kept('loud-gone'), status: 'retry', attempts: 1 });
    state.entries.set('pending-new', kept('pending-new'));
    state.entries.set('pending-gone', kept('pending-gone'));
    const listing = arrayListing(listed([...uids.slice(1), 'loud-retry', 'pending-new', 'stranger']));
    const match = state.entries.match(listing);
    const n = uids.length - 1;
    expect(match.entry(n)?.status).toBe('retry');
    expect(match.isQuiet(n)).toBe(false);
    expect(match.isQuiet(n + 1)).toBe(true);
    expect(match.entry(n + 1)?.key).toBe(kept('pending-new').key);
    expect(match.entry(n + 2)).toBeUndefined();
    expect(match.entry(0)?.key).toBe(kept(uids[1] as string).key);
    expect(match.knownListed).toBe(n + 2);
    expect(match.gone.map((g) => g.uid ?? g.hashHex).sort()).toEqual(
      ['loud-gone', hexOf(state, 'pending-gone'), hexOf(state, uids[0] as string)].sort(),
    );
    // The retry is planned again; the stranger is new.
    expect(planPoll(policy, listing, state, { now }).work.map((m) => m.uid)).toEqual(['loud-retry', 'stranger']);
  });
});

function hexOf(_state: SeenState, uid: string): string {
  return Buffer.from(uidDigest('inbox', uid)).toString('hex');
}
