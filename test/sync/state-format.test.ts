import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_SEGMENTS, StateKeeper } from '../../lambda/sync/checkpoint.js';
import { SyncError } from '../../lambda/sync/errors.js';
import { messageKey } from '../../lambda/sync/keys.js';
import { pollMailbox, pruneState } from '../../lambda/sync/poll.js';
import type { ListedMessage } from '../../lambda/sync/ports.js';
import type { SeenEntry } from '../../lambda/sync/state.js';
import { FakeClock, Faults, MemoryStateStore, MemoryWorld, mailText } from '../support/memory-ports.js';

const now = new Date('2026-01-01T00:00:00Z');
const clock = new FakeClock(now.getTime());
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const fixture = readFileSync(new URL('../fixtures/seen-state-v2.json', import.meta.url));

/** A record as the recorder writes it for a stored, acknowledged message. */
function kept(uid: string, over: Partial<SeenEntry> = {}): SeenEntry {
  return {
    firstSeen: now.toISOString(), key: messageKey('pfx/', 'inbox', uid, 'full'), kind: 'full', status: 'published',
    size: 1000, listSize: 1000, headerHash: 'ab'.repeat(16), ...over,
  };
}

function store(): MemoryStateStore {
  return new MemoryStateStore({ faults: new Faults() });
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SyncError);
    return (error as SyncError).code;
  }
  return undefined;
}

const listed = (uids: string[]): ListedMessage[] => uids.map((uid, i) => ({ msg: i + 1, uid, size: 1000 }));

describe('seen-state schema 3: manifest and segments', () => {
  it('round-trips quiet and full records, document fields and a "__proto__" UID', async () => {
    // Prepare
    const s = store();
    const keeper = await StateKeeper.load(s, clock, 'inbox');
    const pending: SeenEntry = { ...kept('u2'), status: 'unpublished', sha256: 'c'.repeat(64), event: { id: 'e2', detailType: 'Message Stored', detail: { a: 1 } } };
    keeper.state.entries.set('u1', kept('u1'));
    keeper.state.entries.set('u2', pending);
    keeper.state.entries.set('__proto__', kept('__proto__', { kind: 'headers', key: messageKey('pfx/', 'inbox', '__proto__', 'headers'), headersWhy: 'too-large' }));
    keeper.state.entries.set('u3', kept('u3', { status: 'retry', attempts: 2, lastError: 'no' }));
    keeper.state.identity = 'id';
    keeper.state.meta['lastLoginAt'] = now.toISOString();
    keeper.markDirty();
    await keeper.save();
    // Act
    const loaded = await StateKeeper.load(s, clock, 'inbox');
    // Assess
    const e = loaded.state.entries;
    expect(e.size).toBe(4);
    expect(e.quietCount).toBe(2);
    expect(e.get('u1')).toEqual(kept('u1'));
    expect(e.get('u2')).toEqual(pending);
    expect(e.get('__proto__')?.headersWhy).toBe('too-large');
    expect(e.get('u3')).toMatchObject({ status: 'retry', attempts: 2 });
    expect(e.get('nope')).toBeUndefined();
    expect(loaded.state.identity).toBe('id');
    expect(loaded.state.meta).toEqual({ lastLoginAt: now.toISOString() });
    expect(({} as Record<string, unknown>)['key']).toBeUndefined();
  });

  it('a quiet entry costs under 40 octets stored (UID hash, header hash, small columns)', async () => {
    const s = store();
    const keeper = await StateKeeper.load(s, clock, 'inbox');
    for (let i = 0; i < 20_000; i++) keeper.state.entries.set(`uid-${i}`, kept(`uid-${i}`, { firstSeen: new Date(now.getTime() + i * 1000).toISOString(), size: 2000 + (i % 5000), listSize: 2000 + (i % 5000), headerHash: (i.toString(16).padStart(8, '0')).repeat(4) }));
    keeper.markDirty();
    await keeper.save();
    expect(s.storedBytes('inbox') / 20_000).toBeLessThan(40);
  });

  it('a save writes what changed: one changed entry in 5,000 is a small delta, not the whole state', async () => {
    // Prepare
    const s = store();
    const keeper = await StateKeeper.load(s, clock, 'inbox');
    for (let i = 0; i < 5_000; i++) keeper.state.entries.set(`uid-${i}`, kept(`uid-${i}`));
    keeper.markDirty();
    await keeper.save();
    const full = s.bytesWritten;
    // Act
    const next = await StateKeeper.load(s, clock, 'inbox');
    next.state.entries.set('uid-7', { ...kept('uid-7'), deleteSent: true });
    next.state.entries.delete('uid-8');
    next.markDirty();
    await next.save();
    // Assess
    expect(s.bytesWritten - full).toBeLessThan(1_000);
    const again = await StateKeeper.load(s, clock, 'inbox');
    expect(again.state.entries.get('uid-7')?.deleteSent).toBe(true);
    expect(again.state.entries.get('uid-8')).toBeUndefined();
    expect(again.state.entries.size).toBe(4_999);
  });

  it('compacts when the deltas outgrow the base or are too many, then removes the replaced segments', async () => {
    const s = store();
    for (let round = 0; round < MAX_SEGMENTS + 3; round++) {
      const keeper = await StateKeeper.load(s, clock, 'inbox');
      keeper.state.entries.set(`uid-${round}`, kept(`uid-${round}`));
      keeper.markDirty();
      await keeper.save();
      const manifest = JSON.parse(new TextDecoder().decode(s.docs.get('inbox')?.body)) as { segments: unknown[] };
      expect(manifest.segments.length).toBeLessThanOrEqual(MAX_SEGMENTS);
      expect(s.segments.size).toBe(manifest.segments.length);
    }
    expect((await StateKeeper.load(s, clock, 'inbox')).state.entries.size).toBe(MAX_SEGMENTS + 3);
  });

  it('prune removes quiet entries known only by hash, and keeps unacknowledged ones', async () => {
    const keeper = await StateKeeper.load(store(), clock, 'inbox');
    keeper.state.entries.set('a', kept('a'));
    keeper.state.entries.set('b', kept('b'));
    keeper.state.entries.set('c', { ...kept('c'), status: 'unpublished', event: { id: 'e', detailType: 'Message Stored', detail: {} } });
    await keeper.save().catch(() => undefined);
    expect(pruneState(keeper.state, listed(['a']))).toBe(1);
    expect(keeper.state.entries.get('b')).toBeUndefined();
    expect(keeper.state.entries.get('c')?.status).toBe('unpublished');
    expect(keeper.state.entries.size).toBe(2);
  });

  it.each([
    ['not JSON', 'not json {'],
    ['invalid UTF-8', '\xff'],
    ['JSON null', 'null'],
    ['wrong format tag', JSON.stringify({ format: 'x', schemaVersion: 3, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, entries: 0, segments: [] })],
    ['segments not a list', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 3, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, entries: 0, segments: {} })],
    ['a segment name that is a path', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 3, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, entries: 0, segments: [{ name: '../x', bytes: 1 }] })],
    ['a missing segment', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 3, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, entries: 0, segments: [{ name: 'gone', bytes: 1 }] })],
    ['bad meta', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 3, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, entries: 0, segments: [], meta: { 'a b': 1 } })],
    ['v2: uids not an object', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 2, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: [] })],
    ['v2: bad entry status', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 2, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: { u: { firstSeen: now, key: 'k', kind: 'full', status: 'gone' } } })],
    ['v2: invalid UID', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 2, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: { 'a b': { firstSeen: now, key: 'k', kind: 'full', status: 'published' } } })],
    ['v2: unpublished without its event', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 2, mailboxId: 'inbox', epoch: 1, epochSince: now, updatedAt: now, uids: { u: { firstSeen: now, key: 'k', kind: 'full', status: 'unpublished' } } })],
    ['bad date', JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 2, mailboxId: 'inbox', epoch: 1, epochSince: 'yesterday', updatedAt: now, uids: {} })],
  ])('state-corrupt-never-all-new: %s is SYNC_STATE_CORRUPT', async (_name, text) => {
    const s = store();
    s.docs.set('inbox', { body: text === '\xff' ? new Uint8Array([0xff]) : enc(text), version: 1 });
    expect(await codeOf(StateKeeper.load(s, clock, 'inbox'))).toBe('SYNC_STATE_CORRUPT');
  });

  it.each([
    ['truncated', (b: Uint8Array) => b.subarray(0, b.length - 3)],
    ['not a segment', (b: Uint8Array) => Uint8Array.from([0, ...b.subarray(1)])],
    ['hashes out of order', (b: Uint8Array) => swapFirstHashes(b)],
  ])('state-corrupt-never-all-new: a segment %s is SYNC_STATE_CORRUPT', async (_name, spoil) => {
    // Prepare
    const s = store();
    const keeper = await StateKeeper.load(s, clock, 'inbox');
    for (let i = 0; i < 50; i++) keeper.state.entries.set(`uid-${i}`, kept(`uid-${i}`));
    keeper.markDirty();
    await keeper.save();
    const [name, body] = [...s.segments.entries()][0] as [string, Uint8Array];
    s.segments.set(name, spoil(body));
    // Act, Assess
    expect(await codeOf(StateKeeper.load(s, clock, 'inbox'))).toBe('SYNC_STATE_CORRUPT');
  });

  it('refuses a document from a newer schema or another mailbox', async () => {
    const s = store();
    s.docs.set('inbox', { body: enc(JSON.stringify({ format: 'pop3-ingest.seen-state', schemaVersion: 99, mailboxId: 'inbox' })), version: 1 });
    expect(await codeOf(StateKeeper.load(s, clock, 'inbox'))).toBe('SYNC_STATE_INCOMPATIBLE');
    s.docs.set('other', { body: new Uint8Array(fixture), version: 1 });
    expect(await codeOf(StateKeeper.load(s, clock, 'other'))).toBe('SYNC_STATE_INCOMPATIBLE');
  });

  it('a reader whose manifest lost its segments to a compaction reads the new manifest', async () => {
    // Prepare: a store that compacts between our manifest read and our segment reads.
    const s = store();
    const writer = await StateKeeper.load(s, clock, 'inbox');
    writer.state.entries.set('a', kept('a'));
    writer.markDirty();
    await writer.save();
    const original = s.getSegment.bind(s);
    let compacted = false;
    s.getSegment = async (mailboxId, name) => {
      if (!compacted) {
        compacted = true;
        const other = await StateKeeper.load({ ...s, getSegment: original, load: s.load.bind(s), save: s.save.bind(s), putSegment: s.putSegment.bind(s), deleteSegments: s.deleteSegments.bind(s) }, clock, 'inbox');
        other.state.needsRewrite = true;
        other.state.entries.set('b', kept('b'));
        await other.save();
      }
      return original(mailboxId, name);
    };
    // Act
    const reader = await StateKeeper.load(s, clock, 'inbox');
    // Assess
    expect(reader.state.entries.get('b')?.status).toBe('published');
  });
});

describe('migration from schema 2 (one JSON document)', () => {
  it('a v2 document written by the previous release is read, and the next poll rewrites it as schema 3', async () => {
    // Prepare: the mailbox the fixture was recorded from (uid-5 was refused once, uid-2's event
    // not acknowledged), as a schema 2 document.
    const world = new MemoryWorld();
    for (let i = 1; i <= 6; i++) world.mailbox.add({ uid: `uid-${i}`, text: mailText(i) });
    world.mailbox.add({ uid: '__proto__', text: mailText(7) });
    world.state.docs.set('inbox', { body: new Uint8Array(fixture), version: 1 });
    const before = world.state.json('inbox');
    const policy = { id: 'inbox', mode: 'full' as const, delete: { kind: 'never' as const }, limits: {}, identity: 'f'.repeat(64) };
    // Act
    const summary = await pollMailbox(policy, world.deps());
    // Assess
    expect(summary.status).toBe('ok');
    const after = world.state.json('inbox');
    expect(after?.schemaVersion).toBe(3);
    expect(before?.schemaVersion).toBe(2);
    expect(after?.identity).toBe('f'.repeat(64));
    // uid-2's owed event was republished with its id; uid-5 fetched again; nothing else fetched.
    expect(world.publisher.delivered.filter((e) => e.detailType === 'Message Stored').map((e) => e.id)).toEqual([
      before?.uids['uid-2']?.event?.id, expect.any(String),
    ]);
    for (const uid of ['uid-1', 'uid-3', 'uid-4', 'uid-6', '__proto__']) expect(after?.uids[uid]).toEqual(before?.uids[uid]);
    expect(after?.uids['uid-2']?.status).toBe('published');
    expect(after?.uids['uid-5']?.status).toBe('published');
    expect(after?.unresolved).toBe(0);
  });

  it('an idle mailbox with a v2 document is still converted (the migration counts as work)', async () => {
    const world = new MemoryWorld();
    for (const uid of ['uid-1', 'uid-3']) world.mailbox.add({ uid, text: mailText(1) });
    const doc = JSON.parse(fixture.toString('utf8')) as { uids: Record<string, unknown> };
    doc.uids = { 'uid-1': doc.uids['uid-1'], 'uid-3': doc.uids['uid-3'] };
    world.state.docs.set('inbox', { body: enc(JSON.stringify(doc)), version: 1 });
    await pollMailbox({ id: 'inbox', mode: 'full', delete: { kind: 'never' }, limits: {} }, world.deps());
    expect(world.state.json('inbox')?.schemaVersion).toBe(3);
    expect(world.store.objects.size).toBe(0);
    const writes = world.state.writes;
    await pollMailbox({ id: 'inbox', mode: 'full', delete: { kind: 'never' }, limits: {} }, world.deps());
    expect(world.state.writes).toBe(writes);
  });
});

/** Swaps the first two UID hashes of a segment (its columns start after the JSON header). */
function swapFirstHashes(body: Uint8Array): Uint8Array {
  const out = body.slice();
  const headerLength = new DataView(out.buffer).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(out.subarray(12, 12 + headerLength))) as { removed: number };
  const at = 12 + headerLength + header.removed * 16;
  const first = out.slice(at, at + 16);
  out.copyWithin(at, at + 16, at + 32);
  out.set(first, at + 16);
  return out;
}
