/**
 * Issue 15: the listing is matched against the seen-state while UIDL streams, and the known UIDs
 * a poll needs nothing of are left out of it (listing-known.ts). The threat: a left-out UID
 * that the plan, the breaker, the prune or the deletions would have read differently, i.e. a
 * known message looking new (fetched twice), gone (pruned, then re-ingested) or a duplicated
 * UID no longer rejected. So over random states and listings (duplicates, re-used UIDs,
 * unknown UIDs, messages LIST leaves out, every kind of record, both modes, every delete
 * policy) the poll must decide exactly what it decides with the whole listing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listingOf, offerTo } from '../../../lambda/adapters/pop3/column-listing.js';
import { ListSizes, UidlCollector } from '../../../lambda/pop3/index.js';
import { messageKey } from '../../../lambda/sync/keys.js';
import { listKnown, listedCount } from '../../../lambda/sync/listing-known.js';
import { dueForDeletion, planPoll, quietNeedsNothing } from '../../../lambda/sync/plan.js';
import { pruneState } from '../../../lambda/sync/poll.js';
import type { KnownUids, Listing, MailboxSession, RejectedListing } from '../../../lambda/sync/ports.js';
import { emptyState, type SeenEntry, type SeenState } from '../../../lambda/sync/state.js';
import type { MailboxPolicy } from '../../../lambda/sync/types.js';

const now = new Date('2026-03-01T00:00:00Z');
const OLD = '2026-02-20T00:00:00.000Z';
const RECENT = '2026-02-28T12:00:00.000Z';

const RECORDS = ['full', 'headers-mode', 'headers-filter', 'skipped', 'seeded', 'retry', 'deleted', 'unpublished', 'failed', 'delete-sent'] as const;
type RecordKind = (typeof RECORDS)[number];

function record(uid: string, kind: RecordKind, firstSeen: string): SeenEntry {
  const full = (k: 'full' | 'headers'): string => messageKey('pfx/', 'inbox', uid, k);
  const base: SeenEntry = { firstSeen, key: full('full'), kind: 'full', status: 'published', size: 100, listSize: 100, headerHash: 'ab'.repeat(16) };
  switch (kind) {
    case 'full': return base;
    case 'headers-mode': return { ...base, key: full('headers'), kind: 'headers', headersWhy: 'mode' };
    case 'headers-filter': return { ...base, key: full('headers'), kind: 'headers', headersWhy: 'filter' };
    case 'skipped': return { ...base, kind: 'skipped' };
    case 'seeded': return { ...base, kind: 'seeded' };
    case 'retry': return { ...base, status: 'retry', attempts: 1, lastError: 'refused' };
    // A UID we deleted: listed again, the server re-used it for a new message (RFC 1939 section 7).
    case 'deleted': return { ...base, status: 'deleted' };
    case 'unpublished': return { ...base, status: 'unpublished', event: { id: `e-${uid}`, detailType: 'Message Stored', detail: { uid } } };
    case 'failed': return { ...base, kind: 'failed', attempts: 3, lastError: 'too many' };
    case 'delete-sent': return { ...base, deleteSent: true };
  }
}

interface Spec {
  records: { uid: string; kind: RecordKind; old: boolean; run: 0 | 1; forgotten: boolean }[];
  lines: { msg: number; uid: string; size: number | undefined }[];
  policy: MailboxPolicy;
}

/** The state as loaded: quiet records sealed into one or two runs, some removed since. */
function stateOf(spec: Spec): SeenState {
  const state = emptyState('inbox', now);
  for (const run of [0, 1]) {
    for (const r of spec.records) if (r.run === run) state.entries.set(r.uid, record(r.uid, r.kind, r.old ? OLD : RECENT));
    state.entries.takeChanges();
  }
  for (const r of spec.records) if (r.forgotten) state.entries.delete(r.uid);
  state.entries.forgetChanges();
  return state;
}

/** A mail source over the engine's own UIDL and LIST columns, as the POP3 source wires them. */
function sourceOf(spec: Spec): MailboxSession {
  const listMessages = async (known?: KnownUids): Promise<{ listing: Listing; rejected: RejectedListing[] }> => {
    const sizes = new ListSizes(1000);
    for (const line of spec.lines) if (line.size !== undefined) sizes.line(`${line.msg} ${line.size}`);
    const offer = known === undefined ? undefined : offerTo(known);
    const uidl = new UidlCollector(1000, offer === undefined ? undefined : (uid, msg) => offer(uid, msg, sizes.get(msg)));
    for (const line of spec.lines) uidl.line(`${line.msg} ${line.uid}`);
    return listingOf(uidl.finish(), sizes, known);
  };
  return { listMessages } as unknown as MailboxSession;
}

/** Everything the poll decides from a listing and a state. */
function decisions(spec: Spec, state: SeenState, listed: { listing: Listing; rejected: RejectedListing[] }): unknown {
  const { listing, rejected } = listed;
  const plan = planPoll(spec.policy, listing, state, { now });
  return {
    work: plan.work,
    newMessages: plan.newMessages,
    backlog: plan.backlog,
    circuit: plan.circuit,
    gone: state.entries.match(listing).gone.map((g) => `${g.uid ?? g.hashHex} ${g.status} ${g.sizeHint}`).sort(),
    due: dueForDeletion(spec.policy, listing, state, now).map((m) => m.uid).sort(),
    serverMessages: listedCount(listing) + rejected.length,
    rejected: [...rejected].sort((a, b) => a.msg - b.msg || a.reason.localeCompare(b.reason)),
  };
}

const pool = Array.from({ length: 24 }, (_, i) => `uid-${i}\\${i % 3}`);
const specs: fc.Arbitrary<Spec> = fc.record({
  records: fc.uniqueArray(
    fc.record({ uid: fc.constantFrom(...pool.slice(0, 16)), kind: fc.constantFrom(...RECORDS), old: fc.boolean(), run: fc.constantFrom(0 as const, 1 as const), forgotten: fc.constantFrom(false, false, false, true) }),
    { selector: (r) => r.uid, maxLength: 16 },
  ),
  listed: fc.array(fc.record({ uid: fc.constantFrom(...pool), size: fc.option(fc.constantFrom(100, 100, 100, 250), { freq: 12, nil: undefined }) }), { maxLength: 30 }),
  sortedMsgs: fc.boolean(),
  mode: fc.constantFrom('full' as const, 'headers' as const),
  del: fc.constantFrom('never', 'always', 'after-days'),
  maxMessages: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
}).map(({ records, listed, sortedMsgs, mode, del, maxMessages }) => {
  const msgs = listed.map((_, i) => i + 1);
  if (!sortedMsgs) msgs.reverse();
  return {
    records,
    lines: listed.map((l, i) => ({ msg: msgs[i] as number, uid: l.uid, size: l.size })),
    policy: {
      id: 'inbox', mode,
      delete: del === 'never' ? { kind: 'never' } : del === 'always' ? { kind: 'always' } : { kind: 'after-days', days: 1 },
      limits: maxMessages === undefined ? {} : { maxMessages },
    } as MailboxPolicy,
  };
});

describe('the listing matched while it streams', () => {
  it('gives the poll exactly the decisions of the whole listing: plan, breaker, gone, deletions, rejections', async () => {
    await fc.assert(fc.asyncProperty(specs, async (spec) => {
      // Prepare
      const whole = stateOf(spec);
      const streamed = stateOf(spec);
      const source = sourceOf(spec);
      // Act
      const before = await source.listMessages();
      const after = await listKnown(source, streamed.entries, quietNeedsNothing(spec.policy));
      // Assess
      expect(decisions(spec, streamed, after)).toEqual(decisions(spec, whole, before));
      // The same after pruning (the match is computed again over a changed state) and after a
      // compaction merged the runs the listing was matched against.
      expect(pruneState(streamed, after.listing)).toBe(pruneState(whole, before.listing));
      expect(decisions(spec, streamed, after)).toEqual(decisions(spec, whole, before));
      streamed.entries.takeAll();
      expect(decisions(spec, streamed, after)).toEqual(decisions(spec, whole, before));
    }), { numRuns: 400 });
  });

  it('gives the same decisions against the state read again under the lease (another object, same content)', async () => {
    await fc.assert(fc.asyncProperty(specs, async (spec) => {
      const source = sourceOf(spec);
      const after = await listKnown(source, stateOf(spec).entries, quietNeedsNothing(spec.policy));
      const before = await source.listMessages();
      expect(decisions(spec, stateOf(spec), after)).toEqual(decisions(spec, stateOf(spec), before));
    }), { numRuns: 200 });
  });

  it('keeps no entry of a known message an idle poll needs nothing of', async () => {
    const spec: Spec = {
      records: pool.slice(0, 16).map((uid) => ({ uid, kind: 'full' as const, old: true, run: 0 as const, forgotten: false })),
      lines: [...pool.slice(0, 16), 'fresh'].map((uid, i) => ({ msg: i + 1, uid, size: 100 })),
      policy: { id: 'inbox', mode: 'full', delete: { kind: 'never' }, limits: {} },
    };
    const state = stateOf(spec);
    const { listing } = await listKnown(sourceOf(spec), state.entries, quietNeedsNothing(spec.policy));
    expect(listing.length).toBe(1);
    expect(listing.uid(0)).toBe('fresh');
    expect(listedCount(listing)).toBe(17);
    expect(planPoll(spec.policy, listing, state, { now }).work.map((m) => m.uid)).toEqual(['fresh']);
  });

  it('rejects every holder of a known UID listed twice, and forgets it as gone (as for any duplicate)', async () => {
    const spec: Spec = {
      records: [{ uid: 'twice', kind: 'full', old: true, run: 0, forgotten: false }, { uid: 'once', kind: 'full', old: true, run: 0, forgotten: false }],
      lines: [{ msg: 1, uid: 'twice', size: 100 }, { msg: 2, uid: 'once', size: 100 }, { msg: 3, uid: 'twice', size: 100 }, { msg: 4, uid: 'twice', size: 100 }],
      policy: { id: 'inbox', mode: 'full', delete: { kind: 'never' }, limits: {} },
    };
    const state = stateOf(spec);
    const { listing, rejected } = await listKnown(sourceOf(spec), state.entries, quietNeedsNothing(spec.policy));
    expect(rejected).toEqual([1, 3, 4].map((msg) => ({ msg, uidEscaped: 'twice', reason: 'duplicate-uid' })));
    expect(listedCount(listing)).toBe(1);
    expect(state.entries.match(listing).gone).toHaveLength(1);
  });
});
