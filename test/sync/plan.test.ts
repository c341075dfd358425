import { describe, expect, it } from 'vitest';
import { checkCircuit, planPoll, policyWarnings, selectDeletes } from '../../lambda/sync/plan.js';
import { emptyState, type SeenEntry, type SeenState } from '../../lambda/sync/state.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import type { ListedMessage } from '../../lambda/sync/ports.js';

const now = new Date('2026-03-01T00:00:00Z');
const policy = (over: Partial<MailboxPolicy> = {}): MailboxPolicy => ({ id: 'inbox', mode: 'full', delete: { kind: 'never' }, limits: {}, ...over });
const listing = (n: number, size = 100, prefix = 'u'): ListedMessage[] =>
  Array.from({ length: n }, (_, i) => ({ msg: i + 1, uid: `${prefix}${i + 1}`, size }));
const entry = (over: Partial<SeenEntry> = {}): SeenEntry => ({ firstSeen: now.toISOString(), key: 'k', kind: 'full', status: 'published', ...over });
function stateWith(uids: string[], over: Partial<SeenEntry> = {}): SeenState {
  const state = emptyState('inbox', now);
  for (const uid of uids) state.entries.set(uid, entry(over));
  return state;
}

describe('planPoll', () => {
  it('plans only unknown UIDs, in message order', () => {
    const plan = planPoll(policy(), listing(4), stateWith(['u2']));
    expect(plan.work.map((m) => m.uid)).toEqual(['u1', 'u3', 'u4']);
    expect(plan.newMessages).toBe(3);
    expect(plan.backlog).toBe(0);
  });

  it('takes the oldest messages first under maxMessages even when the listing is not in message order', () => {
    // A MailSource whose listing is not sorted (the port does not promise an order) must not
    // make a capped poll take newer mail first: the sorted fast path must not be taken for it.
    const shuffled = [3, 1, 4, 2].map((msg) => ({ msg, uid: `u${msg}`, size: 100 }));
    const plan = planPoll(policy({ limits: { maxMessages: 2 } }), shuffled, stateWith([]));
    expect(plan.work.map((m) => m.uid)).toEqual(['u1', 'u2']);
  });

  it('honours maxMessages and counts the rest as backlog', () => {
    const plan = planPoll(policy({ limits: { maxMessages: 2 } }), listing(5), stateWith([]));
    expect(plan.work).toHaveLength(2);
    expect(plan.backlog).toBe(3);
  });

  it('honours maxBytes in order, but always lets the first message through (no stuck mailbox)', () => {
    expect(planPoll(policy({ limits: { maxBytes: 250 } }), listing(5), stateWith([])).work).toHaveLength(2);
    const big = planPoll(policy({ limits: { maxBytes: 10 } }), listing(3, 1000), stateWith([]));
    expect(big.work).toHaveLength(1);
    expect(big.backlog).toBe(2);
  });

  it('plans an oversized message as too-large (headers only, never silent) and does not charge it to maxBytes', () => {
    const list = [{ msg: 1, uid: 'big', size: 5000 }, ...listing(2, 100, 'small')].map((m, i) => ({ ...m, msg: i + 1 }));
    const plan = planPoll(policy({ limits: { maxMessageSize: 1000, maxBytes: 200 } }), list, stateWith([]));
    expect(plan.work.map((m) => [m.uid, m.action])).toEqual([
      ['big', 'too-large'],
      ['small1', 'full'],
      ['small2', 'full'],
    ]);
  });

  it('uses headers mode and the filter', () => {
    expect(planPoll(policy({ mode: 'headers' }), listing(1), stateWith([])).work[0]?.action).toBe('headers');
    const filtered = policy({ filter: { rules: [], otherwise: 'full' } });
    expect(planPoll(filtered, listing(1), stateWith([])).work[0]?.action).toBe('filter');
  });
});

describe('uid-epoch-circuit-breaker', () => {
  it('trips when the known messages vanish and come back under new UIDs (same LIST sizes): renumbering', () => {
    const state = stateWith(listing(30).map((m) => m.uid), { listSize: 100 });
    const verdict = checkCircuit(listing(30, 100, 'new'), state);
    expect(verdict).toEqual({ open: true, stats: { known: 30, listed: 30, unknownListed: 30, knownGone: 30, reappeared: 30 } });
  });

  it('does not trip when another client deleted known mail and unrelated new mail arrived (sizes do not match)', () => {
    const state = stateWith(listing(30).map((m) => m.uid), { listSize: 100 });
    expect(checkCircuit(listing(30, 777, 'new'), state).open).toBe(false);
    // Vanished alone (no new mail at all) is never renumbering.
    expect(checkCircuit([], state).open).toBe(false);
  });

  it('threshold circuitMinKnown: 20 known UIDs can trip, 19 cannot', () => {
    const renumber = (n: number): boolean => checkCircuit(listing(n, 100, 'new'), stateWith(listing(n).map((m) => m.uid), { listSize: 100 })).open;
    expect(renumber(20)).toBe(true);
    expect(renumber(19)).toBe(false);
  });

  it('threshold circuitGoneShare: trips above half of the known UIDs gone, not at half', () => {
    const state = stateWith(listing(40).map((m) => m.uid), { listSize: 100 });
    // 21 of 40 gone (u1..u21), 21 new of the same size.
    const above = [...listing(40).slice(21), ...listing(21, 100, 'new')].map((m, i) => ({ ...m, msg: i + 1 }));
    expect(checkCircuit(above, state).open).toBe(true);
    const at = [...listing(40).slice(20), ...listing(20, 100, 'new')].map((m, i) => ({ ...m, msg: i + 1 }));
    expect(checkCircuit(at, state).open).toBe(false);
  });

  it('threshold circuitMatchShare: trips when more than half of the gone UIDs reappear by size, not at half', () => {
    const state = stateWith(listing(30).map((m) => m.uid), { listSize: 100 });
    const mixed = (same: number): ListedMessage[] =>
      [...listing(same, 100, 'new'), ...listing(30 - same, 555, 'other')].map((m, i) => ({ ...m, msg: i + 1 }));
    expect(checkCircuit(mixed(16), state).open).toBe(true);
    expect(checkCircuit(mixed(15), state).open).toBe(false);
  });

  it('does not count what the server expired: EXPIRE 0 removals are recorded deleted, EXPIRE n past n days are expected gone', () => {
    const old = new Date(now.getTime() - 10 * 86_400_000).toISOString();
    const state = stateWith(listing(30).map((m) => m.uid), { listSize: 100, firstSeen: old });
    expect(checkCircuit(listing(30, 100, 'new'), state, { now, expire: 7 }).open).toBe(false);
    expect(checkCircuit(listing(30, 100, 'new'), state, { now, expire: 30 }).open).toBe(true);
  });

  it('does not trip for a young mailbox, normal arrivals, or our own deletions', () => {
    expect(checkCircuit(listing(10, 100, 'new'), stateWith(listing(10).map((m) => m.uid))).open).toBe(false);
    // Normal: everything known still there, a burst of new mail.
    const known = listing(20).map((m) => m.uid);
    const burst = [...listing(20), ...listing(100, 100, 'new')];
    expect(checkCircuit(burst, stateWith(known)).open).toBe(false);
    // We deleted them ourselves (after-store): expected to be gone.
    expect(checkCircuit(listing(30, 100, 'new'), stateWith(known, { status: 'deleted' })).open).toBe(false);
    // Mailbox emptied by another client: nothing new listed.
    expect(checkCircuit([], stateWith(known)).open).toBe(false);
  });
});

describe('selectDeletes: only acknowledged full messages, per policy', () => {
  const list = listing(4);
  const state = emptyState('inbox', now);
  state.entries.set('u1', entry());
  state.entries.set('u2', entry({ status: 'unpublished', event: { id: 'e', detailType: 'Message Stored', detail: {} } }));
  state.entries.set('u3', entry({ kind: 'headers' }));
  state.entries.set('u4', entry({ firstSeen: new Date(now.getTime() - 10 * 86_400_000).toISOString() }));

  const all = new Set(['u1', 'u2', 'u3', 'u4']);

  it('never deletes by default', () => {
    expect(selectDeletes(policy(), list, state, now, all)).toEqual([]);
  });

  it('never deletes a UID whose identity this session did not confirm', () => {
    expect(selectDeletes(policy({ delete: { kind: 'after-store' } }), list, state, now, new Set(['u4']))).toEqual([4]);
    expect(selectDeletes(policy({ delete: { kind: 'after-store' } }), list, state, now, new Set())).toEqual([]);
  });

  it('after-store deletes published full messages only (not unpublished, not headers-only)', () => {
    expect(selectDeletes(policy({ delete: { kind: 'after-store' } }), list, state, now, all)).toEqual([1, 4]);
  });

  it('after-days counts from first seen', () => {
    expect(selectDeletes(policy({ delete: { kind: 'after-days', days: 7 } }), list, state, now, all)).toEqual([4]);
    expect(selectDeletes(policy({ delete: { kind: 'after-days', days: 11 } }), list, state, now, all)).toEqual([]);
  });

  it('never deletes a UID recorded deleted that is listed again: it is fetched as a new message (re-use)', () => {
    const s = stateWith(['u1'], { status: 'deleted' });
    expect(selectDeletes(policy({ delete: { kind: 'after-store' } }), listing(1), s, now, new Set(['u1']))).toEqual([]);
    expect(planPoll(policy({ delete: { kind: 'after-store' } }), listing(1), s).work.map((m) => m.action)).toEqual(['full']);
  });
});

describe('policyWarnings: server EXPIRE against the delete policy', () => {
  const caps = { pipelining: true, uidl: true, top: true };
  it('warns when the server deletes anyway', () => {
    expect(policyWarnings(policy(), { ...caps, expire: 0 })[0]).toMatch(/EXPIRE 0/);
    expect(policyWarnings(policy(), { ...caps, expire: 5 })[0]).toMatch(/EXPIRE 5/);
    expect(policyWarnings(policy({ delete: { kind: 'after-days', days: 30 } }), { ...caps, expire: 10 })[0]).toMatch(/before the policy's 30 days/);
  });
  it('stays quiet when compatible', () => {
    expect(policyWarnings(policy(), { ...caps, expire: 'never' })).toEqual([]);
    expect(policyWarnings(policy(), caps)).toEqual([]);
    expect(policyWarnings(policy({ delete: { kind: 'after-days', days: 7 } }), { ...caps, expire: 30 })).toEqual([]);
  });
});
