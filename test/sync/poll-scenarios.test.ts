import { describe, expect, it } from 'vitest';
import { IngestError } from '../../lambda/shared/errors.js';
import {
  DETAIL_TYPE_CIRCUIT_OPENED,
  DETAIL_TYPE_HEADERS_FETCHED,
  DETAIL_TYPE_MAILBOX_POLLED,
  DETAIL_TYPE_MESSAGE_SKIPPED,
  DETAIL_TYPE_MESSAGE_STORED,
} from '../../lambda/sync/events.js';
import { messageKey, uidHash } from '../../lambda/sync/keys.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy, PollProgress } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';

const policy = (over: Partial<MailboxPolicy> = {}): MailboxPolicy => ({
  id: 'inbox',
  mode: 'full',
  delete: { kind: 'never' },
  limits: {},
  keyPrefix: 'mail/',
  ...over,
});

function worldWith(n: number): MemoryWorld {
  const world = new MemoryWorld();
  for (let i = 1; i <= n; i++) world.mailbox.add({ uid: `uid-${i}`, text: mailText(i) });
  return world;
}

const retrs = (w: MemoryWorld): string[] => w.mailbox.log.filter((c) => c.startsWith('RETR'));

describe('pollMailbox: the happy path', () => {
  it('stores every new message, publishes one event each with decoded headers, records, QUITs', async () => {
    // Prepare
    const world = worldWith(3);
    // Act
    const summary = await pollMailbox(policy(), world.deps());
    // Assess
    expect(summary).toMatchObject({ status: 'ok', serverMessages: 3, newMessages: 3, stored: 3, published: 3, deleted: 0, backlog: 0 });
    expect(summary.error).toBeUndefined();
    expect(world.store.objects.size).toBe(3);
    const key = messageKey('mail/', 'inbox', 'uid-1', 'full');
    expect(new TextDecoder().decode(world.store.objects.get(key)?.body)).toBe(mailText(1));
    const stored = world.publisher.ofType(DETAIL_TYPE_MESSAGE_STORED);
    expect(stored).toHaveLength(3);
    expect(stored[0]?.detail).toMatchObject({
      schemaVersion: 1,
      mailboxId: 'inbox',
      kind: 'full',
      uidHash: uidHash('inbox', 'uid-1'),
      bucket: 'memory',
      key,
      size: mailText(1).length,
      headers: { messageId: '<m1@example.test>', from: 'Sender 1 <s1@example.test>', subject: 'message 1' },
      truncated: false,
    });
    expect(world.state.json('inbox')?.uids['uid-1']).toMatchObject({ status: 'published', kind: 'full' });
    expect(world.mailbox.log.at(-1)).toBe('QUIT');
    expect(world.mailbox.messages).toHaveLength(3);
    expect(world.lease.held.size).toBe(0);
    expect(world.publisher.ofType(DETAIL_TYPE_MAILBOX_POLLED).at(-1)?.detail).toMatchObject({ status: 'ok', stored: 3 });
  });

  it('fetches nothing and writes no state on a poll with nothing new', async () => {
    const world = worldWith(2);
    await pollMailbox(policy(), world.deps());
    const writes = world.state.writes;
    world.mailbox.log.length = 0;
    const summary = await pollMailbox(policy(), world.deps());
    expect(summary).toMatchObject({ status: 'ok', newMessages: 0, stored: 0, published: 0 });
    expect(retrs(world)).toEqual([]);
    expect(world.state.writes).toBe(writes);
  });

  it('idle-poll-writes-nothing: 10,000 kept messages, nothing new or due: 1 state read, no lease, no save, only the summary event', async () => {
    // Prepare: a first import of 10,000 messages kept on the server
    const world = worldWith(10_000);
    expect((await pollMailbox(policy(), world.deps())).stored).toBe(10_000);
    const [loads, writes, acquires, events] = [world.state.loads, world.state.writes, world.lease.acquires, world.publisher.delivered.length];
    world.mailbox.log.length = 0;
    // Act
    const summary = await pollMailbox(policy({ delete: { kind: 'after-days', days: 30 } }), world.deps());
    // Assess
    expect(summary).toMatchObject({ status: 'ok', serverMessages: 10_000, newMessages: 0, stored: 0, published: 0, deleted: 0 });
    expect(world.state.loads - loads).toBe(1);
    expect(world.state.writes - writes).toBe(0);
    expect(world.lease.acquires - acquires).toBe(0);
    expect(world.publisher.delivered.slice(events).map((e) => e.detailType)).toEqual([DETAIL_TYPE_MAILBOX_POLLED]);
    expect(world.mailbox.log).toEqual(['UIDL', 'LIST', 'QUIT']);
    // The 10,000-message import it needs takes seconds on a loaded machine: not a timing test.
  }, 120_000);

  it('a poll with work takes the lease, reloads the state under it, and releases it', async () => {
    const world = worldWith(1);
    await pollMailbox(policy(), world.deps());
    expect(world.lease.acquires).toBe(1);
    expect(world.state.loads).toBe(2);
    expect(world.lease.held.size).toBe(0);
  });

  it('stale-listing-after-lease: another poller progressed before our lease: list again, nothing fetched or announced twice', async () => {
    // Prepare: our poll lists 2 new messages; before it gets the lease, a third arrives and
    // another poller ingests all three (our listing does not show the third one).
    const world = worldWith(2);
    const acquire = world.lease.acquire.bind(world.lease);
    let raced = false;
    world.lease.acquire = async (id, owner, ttl) => {
      if (!raced) {
        raced = true;
        world.mailbox.add({ uid: 'uid-3', text: mailText(3) });
        expect((await pollMailbox(policy(), world.deps(), { owner: 'other-poller' })).stored).toBe(3);
      }
      return acquire(id, owner, ttl);
    };
    // Act
    const summary = await pollMailbox(policy(), world.deps());
    await pollMailbox(policy(), world.deps());
    // Assess: the state still knows uid-3 (a stale listing would have pruned it, and the next
    // poll would have fetched and announced it again).
    expect(summary).toMatchObject({ status: 'ok', stored: 0, published: 0, newMessages: 0 });
    expect(retrs(world)).toEqual(['RETR 1', 'RETR 2', 'RETR 3']);
    expect(world.publisher.ofType(DETAIL_TYPE_MESSAGE_STORED)).toHaveLength(3);
    expect(Object.keys(world.state.json('inbox')?.uids ?? {}).sort()).toEqual(['uid-1', 'uid-2', 'uid-3']);
  });

  it('reports progress per message', async () => {
    const world = worldWith(3);
    const seen: PollProgress[] = [];
    await pollMailbox(policy(), world.deps(), { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.messagesDone)).toEqual([1, 2, 3]);
    expect(seen.at(-1)).toMatchObject({ messagesPlanned: 3, bytesDone: [1, 2, 3].reduce((s, i) => s + mailText(i).length, 0) });
  });

  it('checkpoints during the poll every 100 messages while the state is small, not only at the end', async () => {
    const world = worldWith(250);
    await pollMailbox(policy(), world.deps());
    expect(world.state.writes).toBe(3);
  });

  it('checkpoint-quadratic-import: a first import of 10,000 messages writes under 3x the final state, not 10x', async () => {
    // Prepare
    const world = worldWith(10_000);
    // Act
    await pollMailbox(policy(), world.deps());
    // Assess: saves grow by 10% of the state each and write only what changed (a delta
    // segment); the base is rewritten when the deltas outgrow it (a geometric series).
    const final = world.state.storedBytes('inbox');
    expect(world.state.writes).toBeLessThan(40);
    expect(world.state.bytesWritten).toBeLessThan(3 * final);
    // Compact: a quiet entry is its UID hash, header hash and a few small columns.
    expect(final / 10_000).toBeLessThan(45);
  });

  it('checkpoints on time too, when messages arrive slowly', async () => {
    const world = worldWith(25);
    world.clock.step = 1_000; // each clock read is a second later
    await pollMailbox(policy(), world.deps());
    expect(world.state.writes).toBeGreaterThanOrEqual(3);
  });
});

describe('delete policies: DELE only what is stored AND published, recorded after QUIT', () => {
  it('after-store deletes in the same poll and records "deleted" only after QUIT', async () => {
    const world = worldWith(2);
    const summary = await pollMailbox(policy({ delete: { kind: 'after-store' } }), world.deps());
    expect(summary).toMatchObject({ status: 'ok', deleted: 2 });
    expect(world.mailbox.messages).toHaveLength(0);
    expect(world.mailbox.log.slice(-3)).toEqual(['DELE 1', 'DELE 2', 'QUIT']);
    expect(world.state.json('inbox')?.uids['uid-1']?.status).toBe('deleted');
    // Next poll prunes what is gone.
    await pollMailbox(policy({ delete: { kind: 'after-store' } }), world.deps());
    expect(world.state.json('inbox')?.uids).toEqual({});
  });

  it('after-days waits N days from first seen (Clock)', async () => {
    const world = worldWith(1);
    const p = policy({ delete: { kind: 'after-days', days: 3 } });
    await pollMailbox(p, world.deps());
    world.clock.advance(2 * 86_400_000);
    expect((await pollMailbox(p, world.deps())).deleted).toBe(0);
    world.clock.advance(1 * 86_400_000);
    expect((await pollMailbox(p, world.deps())).deleted).toBe(1);
    expect(world.mailbox.messages).toHaveLength(0);
  });

  it('unpublished-never-deleted: an unacknowledged event keeps the message, republished next poll with the same id', async () => {
    // Prepare
    const world = worldWith(2);
    world.publisher.reject = (e) => e.detailType === DETAIL_TYPE_MESSAGE_STORED && e.detail['uidHash'] === uidHash('inbox', 'uid-2');
    const p = policy({ delete: { kind: 'after-store' } });
    // Act
    const first = await pollMailbox(p, world.deps());
    // Assess
    expect(first).toMatchObject({ status: 'ok', stored: 2, published: 1, deleted: 1 });
    expect(first.warnings.join()).toMatch(/not acknowledged/);
    expect(world.mailbox.uids()).toEqual(['uid-2']);
    expect(world.state.json('inbox')?.uids['uid-2']?.status).toBe('unpublished');
    // Next poll: no re-fetch, same event id, then deleted.
    world.publisher.reject = () => false;
    world.mailbox.log.length = 0;
    const second = await pollMailbox(p, world.deps());
    expect(second).toMatchObject({ status: 'ok', stored: 0, published: 1, deleted: 1 });
    expect(retrs(world)).toEqual([]);
    const ids = world.publisher.ofType(DETAIL_TYPE_MESSAGE_STORED).map((e) => e.id);
    expect(new Set(ids).size).toBe(2);
    expect(world.mailbox.messages).toHaveLength(0);
  });

  it('headers mode never deletes (the body is stored nowhere) and says so', async () => {
    const world = worldWith(2);
    const summary = await pollMailbox(policy({ mode: 'headers', delete: { kind: 'after-store' } }), world.deps());
    expect(summary).toMatchObject({ status: 'ok', headersOnly: 2, deleted: 0 });
    expect(summary.warnings.join()).toMatch(/Delete policy ignored/);
    expect(world.mailbox.log.filter((c) => c.startsWith('TOP'))).toEqual(['TOP 1 0', 'TOP 2 0']);
    expect(retrs(world)).toEqual([]);
    const event = world.publisher.ofType(DETAIL_TYPE_HEADERS_FETCHED)[0];
    expect(event?.detail).toMatchObject({ kind: 'headers', headers: { subject: 'message 1' }, key: messageKey('mail/', 'inbox', 'uid-1', 'headers') });
    expect(new TextDecoder().decode(world.store.objects.get(messageKey('mail/', 'inbox', 'uid-1', 'headers'))?.body)).not.toContain('Body of');
  });

  it('expire-zero-no-quit: with EXPIRE 0 and an unacknowledged event the session ends without QUIT', async () => {
    const world = worldWith(1);
    world.mailbox.capabilities.expire = 0;
    world.publisher.reject = (e) => e.detailType === DETAIL_TYPE_MESSAGE_STORED;
    const summary = await pollMailbox(policy(), world.deps());
    expect(summary.warnings.join()).toMatch(/EXPIRE 0: it removes retrieved messages/);
    expect(summary.warnings.join()).toMatch(/without QUIT/);
    expect(world.mailbox.log).not.toContain('QUIT');
    expect(world.mailbox.messages).toHaveLength(1);
  });
});

describe('filter, headers-only and size limits', () => {
  it('runs TOP for every new message before any RETR, then acts per decision', async () => {
    // Prepare
    const world = new MemoryWorld();
    world.mailbox.add(
      { uid: 'a', text: mailText(1).replace('Subject: message 1', 'Subject: [invoice] 1') },
      { uid: 'b', text: mailText(2).replace('s2@example.test', 'noreply@shop.test') },
      { uid: 'c', text: mailText(3) },
    );
    const p = policy({
      filter: { rules: [{ subject: 'invoice', action: 'full' }, { from: 'noreply@', action: 'skip' }], otherwise: 'headers' },
    });
    // Act
    const summary = await pollMailbox(p, world.deps());
    // Assess
    expect(world.mailbox.log.filter((c) => /^(TOP|RETR)/.test(c))).toEqual(['TOP 1 0', 'TOP 2 0', 'TOP 3 0', 'RETR 1']);
    expect(summary).toMatchObject({ status: 'ok', stored: 2, headersOnly: 1, skipped: 1, published: 3 });
    const skipped = world.publisher.ofType(DETAIL_TYPE_MESSAGE_SKIPPED)[0]?.detail;
    expect(skipped).toMatchObject({ reason: 'filter', explanation: 'filter rule 1', headers: { from: 'Sender 2 <noreply@shop.test>' } });
    expect(world.store.objects.has(messageKey('mail/', 'inbox', 'b', 'headers'))).toBe(false);
    expect(world.publisher.ofType(DETAIL_TYPE_HEADERS_FETCHED)[0]?.detail).toMatchObject({ headers: { subject: 'message 3' } });
    expect(world.state.json('inbox')?.uids['b']).toMatchObject({ kind: 'skipped', status: 'published' });
    // Nothing is fetched again next time.
    world.mailbox.log.length = 0;
    await pollMailbox(p, world.deps());
    expect(world.mailbox.log.filter((c) => /^(TOP|RETR)/.test(c))).toEqual([]);
  });

  it('oversize-never-silent: a message above maxMessageSize gets its headers stored and a Message Skipped event', async () => {
    const world = worldWith(1);
    world.mailbox.add({ uid: 'huge', text: mailText(9), listSize: 10_000_000 });
    const summary = await pollMailbox(policy({ limits: { maxMessageSize: 1_000_000 }, delete: { kind: 'after-store' } }), world.deps());
    expect(summary).toMatchObject({ status: 'ok', stored: 2, skipped: 1, deleted: 1 });
    expect(world.mailbox.log).toContain('TOP 2 0');
    expect(world.mailbox.log).not.toContain('RETR 2');
    const skip = world.publisher.ofType(DETAIL_TYPE_MESSAGE_SKIPPED)[0]?.detail;
    expect(skip).toMatchObject({ reason: 'too-large', listSize: 10_000_000, headers: { subject: 'message 9' }, stored: { key: messageKey('mail/', 'inbox', 'huge', 'headers') } });
    expect(skip?.['explanation']).toMatch(/maxMessageSize 1000000/);
    // The huge message stays on the server: its body is stored nowhere.
    expect(world.mailbox.uids()).toEqual(['huge']);
  });

  it('maxMessages leaves a backlog that the next poll takes', async () => {
    const world = worldWith(5);
    const first = await pollMailbox(policy({ limits: { maxMessages: 2 } }), world.deps());
    expect(first).toMatchObject({ newMessages: 5, stored: 2, backlog: 3 });
    const second = await pollMailbox(policy({ limits: { maxMessages: 10 } }), world.deps());
    expect(second).toMatchObject({ newMessages: 3, stored: 3, backlog: 0 });
  });

  it('deadline: starts no new message after it, records what finished, QUITs cleanly', async () => {
    const world = worldWith(10);
    world.clock.step = 100; // every now() call moves time on
    const start = world.clock.now();
    const summary = await pollMailbox(policy(), world.deps(), { deadline: new Date(start.getTime() + 2_000) });
    expect(summary.status).toBe('ok');
    expect(summary.stored).toBeGreaterThan(0);
    expect(summary.stored).toBeLessThan(10);
    expect(summary.backlog).toBe(10 - summary.stored);
    expect(world.mailbox.log.at(-1)).toBe('QUIT');
    expect(Object.keys(world.state.json('inbox')?.uids ?? {})).toHaveLength(summary.stored);
  });

  it('publishes an already-stored message again with its headers when the state was lost', async () => {
    const world = worldWith(1);
    await pollMailbox(policy(), world.deps());
    world.state.docs.clear(); // forget: the message looks new again
    const summary = await pollMailbox(policy(), world.deps());
    expect(summary).toMatchObject({ status: 'ok', stored: 0, alreadyStored: 1, published: 1 });
    expect(world.publisher.ofType(DETAIL_TYPE_MESSAGE_STORED).at(-1)?.detail).toMatchObject({ headers: { subject: 'message 1' } });
  });
});

describe('mailbox-level outcomes never throw', () => {
  it('lease held: busy, nothing fetched, stored, written or deleted; the session QUITs having done nothing', async () => {
    // Prepare: one message due for deletion, one new; another poller holds the lease
    const world = worldWith(1);
    const p = policy({ delete: { kind: 'after-store' } });
    world.publisher.reject = (e) => e.detailType === DETAIL_TYPE_MESSAGE_STORED; // first poll: stored, not deleted
    await pollMailbox(p, world.deps());
    world.publisher.reject = () => false;
    world.mailbox.add({ uid: 'uid-2', text: mailText(2) });
    await world.lease.acquire('inbox', 'someone-else', 60_000);
    const [writes, creates, events] = [world.state.writes, world.store.creates, world.publisher.delivered.length];
    world.mailbox.log.length = 0;
    // Act
    const summary = await pollMailbox(p, world.deps());
    // Assess
    expect(summary).toMatchObject({ status: 'busy', error: { code: 'SYNC_LEASE_HELD', category: 'throttled', retryable: true } });
    expect(world.mailbox.log).toEqual(['UIDL', 'LIST', 'QUIT']);
    expect(world.state.writes).toBe(writes);
    expect(world.store.creates).toBe(creates);
    expect(world.publisher.delivered.slice(events).map((e) => e.detailType)).toEqual([DETAIL_TYPE_MAILBOX_POLLED]);
    expect(world.mailbox.uids()).toEqual(['uid-1', 'uid-2']);
    expect(world.lease.held.get('inbox')?.owner).toBe('someone-else');
  });

  it('[IN-USE] from the server: busy', async () => {
    const world = worldWith(1);
    world.mailbox.openError = new IngestError('POP3_IN_USE', 'throttled', 'maildrop locked [IN-USE]');
    const summary = await pollMailbox(policy(), world.deps());
    expect(summary).toMatchObject({ status: 'busy', error: { code: 'POP3_IN_USE', category: 'throttled' } });
    expect(world.lease.held.size).toBe(0);
  });

  it('no UIDL: failed, clear message, nothing fetched or deleted', async () => {
    const world = worldWith(2);
    world.mailbox.noUidl = true;
    const summary = await pollMailbox(policy({ delete: { kind: 'after-store' } }), world.deps());
    expect(summary).toMatchObject({ status: 'failed', error: { code: 'POP3_UNSUPPORTED', category: 'permanent', retryable: false } });
    expect(summary.error?.message).toMatch(/UIDL, RFC 1939/);
    expect(retrs(world)).toEqual([]);
    expect(world.mailbox.messages).toHaveLength(2);
  });

  it('rejected UIDL entries are reported in warnings and the summary event, never fetched', async () => {
    const world = worldWith(1);
    world.mailbox.rejected = [{ msg: 2, uidEscaped: 'bad\\x20uid', reason: 'invalid-uid' }];
    const summary = await pollMailbox(policy(), world.deps());
    expect(summary.status).toBe('ok');
    expect(summary.serverMessages).toBe(2);
    expect(summary.warnings.join()).toMatch(/message 2 rejected \(invalid-uid\): bad\\x20uid/);
    expect(world.publisher.ofType(DETAIL_TYPE_MAILBOX_POLLED)[0]?.detail['warnings']).toEqual(summary.warnings);
  });

  it('warning-flood-bounded: thousands of rejected UIDs do not burst the summary event', async () => {
    const world = worldWith(1);
    world.mailbox.rejected = Array.from({ length: 5000 }, (_, i) => ({ msg: i + 2, uidEscaped: 'x'.repeat(70), reason: 'duplicate-uid' as const }));
    const summary = await pollMailbox(policy(), world.deps());
    expect(summary.warnings).toHaveLength(51);
    expect(summary.warnings.at(-1)).toBe('... and 4950 more warning(s)');
    const detail = world.publisher.ofType(DETAIL_TYPE_MAILBOX_POLLED)[0]?.detail;
    expect(Buffer.byteLength(JSON.stringify(detail))).toBeLessThan(32 * 1024);
  });

  it('corrupt state: failed before any login, never "everything is new"', async () => {
    const world = worldWith(2);
    world.state.docs.set('inbox', { body: new TextEncoder().encode('{"garbage":'), version: 1 });
    const summary = await pollMailbox(policy(), world.deps());
    expect(summary).toMatchObject({ status: 'failed', error: { code: 'SYNC_STATE_CORRUPT', category: 'permanent' } });
    expect(world.mailbox.sessions).toBe(0);
    expect(world.store.objects.size).toBe(0);
  });

  it('state-conflict-stops: another writer wins the CAS -> busy, no DELE, session dropped', async () => {
    const world = worldWith(3);
    const save = world.state.save.bind(world.state);
    let first = true;
    world.state.save = async (id, body, expected) => {
      if (first) {
        first = false;
        await save(id, new TextEncoder().encode('{}'), expected); // someone else writes first
      }
      return save(id, body, expected);
    };
    const summary = await pollMailbox(policy({ delete: { kind: 'after-store' } }), world.deps());
    expect(summary).toMatchObject({ status: 'busy', error: { code: 'STATE_CONFLICT' } });
    expect(world.mailbox.log.filter((c) => c.startsWith('DELE'))).toEqual([]);
    expect(world.mailbox.messages).toHaveLength(3);
  });

  it('a publisher that throws for the summary event does not make pollMailbox throw', async () => {
    const world = worldWith(1);
    const publish = world.publisher.publish.bind(world.publisher);
    world.publisher.publish = async (events) => {
      if (events.some((e) => e.detailType === DETAIL_TYPE_MAILBOX_POLLED)) throw new Error('EventBridge down');
      return publish(events);
    };
    await expect(pollMailbox(policy(), world.deps())).resolves.toMatchObject({ status: 'ok', stored: 1 });
  });

  it('an aborted signal stops the poll: failed SYNC_ABORTED, finished messages recorded', async () => {
    const world = worldWith(5);
    const controller = new AbortController();
    const summary = await pollMailbox(policy(), world.deps(), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.messagesDone === 2) controller.abort();
      },
    });
    // Stores run behind the reader: what was in flight at the abort is finished and recorded too.
    expect(summary).toMatchObject({ status: 'failed', error: { code: 'SYNC_ABORTED' } });
    expect(summary.stored).toBeGreaterThanOrEqual(2);
    expect(summary.stored).toBeLessThan(5);
    expect(summary.stored + summary.backlog).toBe(5);
    expect(Object.keys(world.state.json('inbox')?.uids ?? {})).toHaveLength(summary.stored);
  });

  it('an invalid mailbox id is refused before anything is touched', async () => {
    const world = worldWith(1);
    const summary = await pollMailbox(policy({ id: '../etc' }), world.deps());
    expect(summary).toMatchObject({ status: 'failed', error: { code: 'SYNC_INVALID_POLICY' } });
    expect(world.mailbox.sessions).toBe(0);
  });
});

describe('uid-epoch-circuit-breaker in a poll', () => {
  async function migrated(): Promise<MemoryWorld> {
    const world = worldWith(25);
    await pollMailbox(policy(), world.deps());
    // The server re-numbers every UID (migration): same mail, new ids.
    world.mailbox.messages = world.mailbox.messages.map((m, i) => ({ ...m, uid: `new-${i + 1}` }));
    world.mailbox.log.length = 0;
    return world;
  }

  it('opens: nothing ingested, state untouched, an event says what to do', async () => {
    const world = await migrated();
    const before = world.state.docs.get('inbox')?.version;
    const summary = await pollMailbox(policy({ delete: { kind: 'after-store' } }), world.deps());
    expect(summary).toMatchObject({ status: 'circuit-open', error: { code: 'SYNC_CIRCUIT_OPEN' } });
    expect(retrs(world)).toEqual([]);
    expect(world.state.docs.get('inbox')?.version).toBe(before);
    expect(world.publisher.ofType(DETAIL_TYPE_CIRCUIT_OPENED)[0]?.detail).toMatchObject({ known: 25, knownGone: 25, unknownListed: 25 });
  });

  it('breaker-false-trip-after-client-deletes: UIDs another client removed are pruned by the next poll, not left to trip the breaker', async () => {
    // Prepare: 40 kept messages; another client deletes 30 of them; a poll runs with nothing new
    const world = worldWith(40);
    await pollMailbox(policy(), world.deps());
    world.mailbox.messages = world.mailbox.messages.slice(30);
    expect((await pollMailbox(policy(), world.deps())).status).toBe('ok');
    // Then more new mail arrives than is left
    world.mailbox.add(...Array.from({ length: 15 }, (_, i) => ({ uid: `later-${i}`, text: mailText(100 + i) })));
    // Act
    const summary = await pollMailbox(policy(), world.deps());
    // Assess: 30 of 40 known gone and 15 of 25 listed unknown would trip it on an unpruned state.
    expect(summary).toMatchObject({ status: 'ok', stored: 15 });
  });

  it('acceptNewEpoch ingests the new UIDs under the new epoch key space', async () => {
    const world = await migrated();
    const summary = await pollMailbox(policy({ acceptNewEpoch: true }), world.deps());
    expect(summary).toMatchObject({ status: 'ok', stored: 25 });
    expect(summary.warnings.join()).toMatch(/epoch change accepted/);
    expect(world.state.json('inbox')?.epoch).toBe(2);
    expect(world.store.objects.has(messageKey('mail/', 'inbox', 'new-1', 'full', 2))).toBe(true);
    // Later polls are normal again without the flag.
    expect((await pollMailbox(policy(), world.deps())).status).toBe('ok');
  });
});
