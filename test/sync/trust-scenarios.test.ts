/**
 * Servers that change between polls the way RFC 1939 and real providers allow: UID re-use,
 * messages the server cannot serve, EXPIRE 0, other clients deleting, policy changes, another
 * mailbox behind the same id, a lost lease, a deadline. Each case failed on the first cut.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DETAIL_TYPE_CIRCUIT_OPENED,
  DETAIL_TYPE_MESSAGE_FAILED,
  DETAIL_TYPE_MESSAGE_STORED,
} from '../../lambda/sync/events.js';
import { messageKey, uidHash } from '../../lambda/sync/keys.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';

const policy = (over: Partial<MailboxPolicy> = {}): MailboxPolicy => ({
  id: 'inbox',
  mode: 'full',
  delete: { kind: 'after-store' },
  limits: {},
  ...over,
});

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const retrs = (w: MemoryWorld): string[] => w.mailbox.log.filter((c) => c.startsWith('RETR'));
const deles = (w: MemoryWorld): string[] => w.mailbox.log.filter((c) => c.startsWith('DELE'));
const storedEventsOf = (w: MemoryWorld, uid: string) =>
  w.publisher.ofType(DETAIL_TYPE_MESSAGE_STORED).filter((e) => e.detail['uidHash'] === uidHash('inbox', uid));

/** Records every UID removed at a QUIT whose current bytes are not in the store: a lost message. */
function watchLosses(world: MemoryWorld): string[] {
  const lost: string[] = [];
  world.mailbox.onCommit = (uids) => {
    for (const uid of uids) {
      const body = world.mailbox.messages.find((m) => m.uid === uid)?.body;
      const bodySha = body ? createHash('sha256').update(body).digest('hex') : '';
      const kept = [...world.store.objects.values()].some((o) => o.uidHash === uidHash('inbox', uid) && o.sha256 === bodySha);
      if (!kept) lost.push(uid);
    }
  };
  return lost;
}

describe('uid-reuse-is-a-new-message', () => {
  it('a UID recorded deleted and listed again is fetched and stored as a new generation before any DELE', async () => {
    // Prepare: uid-1 ingested and deleted; the server then hands uid-1 to a new message.
    const world = new MemoryWorld();
    const lost = watchLosses(world);
    world.mailbox.add({ uid: 'uid-1', text: mailText(1) });
    expect(await pollMailbox(policy(), world.deps())).toMatchObject({ status: 'ok', stored: 1, deleted: 1 });
    const second = mailText(2, 'X-New: yes\r\n');
    world.mailbox.add({ uid: 'uid-1', text: second });
    world.mailbox.log.length = 0;
    // Act
    const summary = await pollMailbox(policy(), world.deps());
    // Assess: fetched, stored under generation 2 with its own event, then deleted; nothing lost.
    expect(summary).toMatchObject({ status: 'ok', stored: 1, deleted: 1 });
    expect(retrs(world)).toEqual(['RETR 1']);
    expect(lost).toEqual([]);
    const g2 = world.store.objects.get(messageKey('', 'inbox', 'uid-1', 'full', 1, 2));
    expect(g2 && new TextDecoder().decode(g2.body)).toBe(second);
    const events = storedEventsOf(world, 'uid-1');
    expect(events.map((e) => e.detail['sha256'])).toEqual([sha(mailText(1)), sha(second)]);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    expect(events[1]?.detail).toMatchObject({ generation: 2, key: messageKey('', 'inbox', 'uid-1', 'full', 1, 2) });
  });

  it('a re-used UID whose old entry was pruned meets other bytes in the store: never reported as already stored', async () => {
    // Prepare: uid-7 stored, then gone from the server (pruned from the state), keep mode.
    const world = new MemoryWorld();
    const keep = policy({ delete: { kind: 'never' } });
    world.mailbox.add({ uid: 'uid-7', text: mailText(7) }, { uid: 'other', text: mailText(8) });
    await pollMailbox(keep, world.deps());
    world.mailbox.messages = world.mailbox.messages.filter((m) => m.uid !== 'uid-7');
    await pollMailbox(keep, world.deps());
    expect(world.state.json('inbox')?.uids['uid-7']).toBeUndefined();
    const fresh = mailText(9, 'X-Reused: 1\r\n');
    world.mailbox.add({ uid: 'uid-7', text: fresh });
    // Act
    const summary = await pollMailbox(keep, world.deps());
    // Assess
    expect(summary).toMatchObject({ status: 'ok', stored: 1, alreadyStored: 0 });
    const latest = storedEventsOf(world, 'uid-7').at(-1);
    expect(latest?.detail).toMatchObject({ sha256: sha(fresh), size: fresh.length, generation: 2 });
    expect(new TextDecoder().decode(world.store.objects.get(messageKey('', 'inbox', 'uid-7', 'full'))?.body)).toBe(mailText(7));
  });

  it('after-days deletes only with identity evidence: TOP hash matches (no second download); a replaced message is fetched, not deleted blind', async () => {
    const world = new MemoryWorld();
    const lost = watchLosses(world);
    const days = policy({ delete: { kind: 'after-days', days: 3 } });
    world.mailbox.add({ uid: 'a', text: mailText(1) }, { uid: 'b', text: mailText(2) });
    await pollMailbox(days, world.deps());
    // The server replaces b's message under the same UID and size (a lie RFC 1939 forbids, but a crash-restored store can do it).
    const replaced = mailText(3);
    world.mailbox.messages[1] = { uid: 'b', body: new TextEncoder().encode(replaced) };
    world.clock.advance(4 * 86_400_000);
    world.mailbox.log.length = 0;
    // Act
    const summary = await pollMailbox(days, world.deps());
    // Assess: a confirmed by TOP alone; b fetched, stored as a new generation, announced, then deleted.
    expect(world.mailbox.log).toContain('TOP 1 0');
    expect(retrs(world)).toEqual(['RETR 2']);
    expect(summary).toMatchObject({ status: 'ok', stored: 1, deleted: 2 });
    expect(lost).toEqual([]);
    expect(storedEventsOf(world, 'b').at(-1)?.detail).toMatchObject({ sha256: sha(replaced), generation: 2 });
  });

  it('a message published by an earlier poll but not deleted there is confirmed before its DELE', async () => {
    // Prepare: a keep-mode mailbox switched to after-store.
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'k1', text: mailText(1) });
    await pollMailbox(policy({ delete: { kind: 'never' } }), world.deps());
    world.mailbox.log.length = 0;
    // Act
    const summary = await pollMailbox(policy(), world.deps());
    // Assess
    expect(summary.deleted).toBe(1);
    expect(world.mailbox.log.slice(0, 4)).toEqual(['UIDL', 'LIST', 'TOP 1 0', 'DELE 1']);
  });
});

describe('poison-message-set-aside', () => {
  it('a message the server always refuses is counted, set aside after 3 polls with Message Failed, never deleted; the rest flows', async () => {
    const world = new MemoryWorld();
    for (let i = 1; i <= 5; i++) world.mailbox.add({ uid: `u${i}`, text: mailText(i) });
    world.mailbox.refuse.add('u3');
    // Act: three polls
    const first = await pollMailbox(policy(), world.deps());
    // Assess: the others are stored and deleted in the very first poll
    expect(first).toMatchObject({ status: 'ok', stored: 4, deleted: 4, fetchFailures: 1, setAside: 0 });
    expect(world.state.json('inbox')?.uids['u3']).toMatchObject({ status: 'retry', attempts: 1 });
    world.mailbox.add({ uid: 'u6', text: mailText(6) });
    const second = await pollMailbox(policy(), world.deps());
    expect(second).toMatchObject({ status: 'ok', stored: 1, fetchFailures: 1 });
    const third = await pollMailbox(policy(), world.deps());
    expect(third).toMatchObject({ status: 'ok', fetchFailures: 1, setAside: 1, setAsideTotal: 1 });
    const failed = world.publisher.ofType(DETAIL_TYPE_MESSAGE_FAILED);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.detail).toMatchObject({ kind: 'failed', attempts: 3, uidHash: uidHash('inbox', 'u3'), serverText: '-ERR cannot read message' });
    // Later polls leave it alone: no RETR, no DELE, no error.
    world.mailbox.log.length = 0;
    const fourth = await pollMailbox(policy(), world.deps());
    expect(fourth).toMatchObject({ status: 'ok', fetchFailures: 0, setAsideTotal: 1 });
    expect(retrs(world)).toEqual([]);
    expect(world.mailbox.uids()).toEqual(['u3']);
    // Once the server can serve it, retryFailed brings it back.
    world.mailbox.refuse.delete('u3');
    const retried = await pollMailbox(policy({ retryFailed: true }), world.deps());
    expect(retried).toMatchObject({ status: 'ok', stored: 1, deleted: 1, setAsideTotal: 0 });
    expect(world.mailbox.uids()).toEqual([]);
  });

  it('a message past the source hard cap (MESSAGE_FAULT) is an attempt of that message, not a failed poll', async () => {
    const world = new MemoryWorld();
    for (let i = 1; i <= 3; i++) world.mailbox.add({ uid: `u${i}`, text: mailText(i) });
    world.mailbox.overLimit.add('u2');
    const summary = await pollMailbox(policy({ maxAttempts: 1 }), world.deps());
    expect(summary).toMatchObject({ status: 'ok', stored: 2, deleted: 2, fetchFailures: 1, setAside: 1 });
    expect(world.mailbox.uids()).toEqual(['u2']);
    expect(world.store.objects.has(messageKey('', 'inbox', 'u2', 'full'))).toBe(false);
  });
});

describe('breaker-trips-on-renumbering-only', () => {
  const many = (world: MemoryWorld, prefix: string, n: number, pad = ''): void => {
    for (let i = 1; i <= n; i++) world.mailbox.add({ uid: `${prefix}${i}`, text: mailText(i, pad) });
  };

  it('EXPIRE 0: what we retrieved is removed at QUIT and recorded so; new mail of the same sizes does not trip', async () => {
    const world = new MemoryWorld();
    world.mailbox.capabilities = { ...world.mailbox.capabilities, expire: 0 };
    const keep = policy({ delete: { kind: 'never' } });
    many(world, 'a', 25);
    expect(await pollMailbox(keep, world.deps())).toMatchObject({ status: 'ok', stored: 25 });
    expect(world.mailbox.uids()).toEqual([]);
    expect(world.state.json('inbox')?.uids['a1']).toMatchObject({ status: 'deleted' });
    many(world, 'b', 25);
    // Act: the next poll, with new mail in place of what the server expired
    const next = await pollMailbox(keep, world.deps());
    expect(next).toMatchObject({ status: 'ok', stored: 25 });
    expect(world.publisher.ofType(DETAIL_TYPE_CIRCUIT_OPENED)).toEqual([]);
  });

  it('another client deletes known mail and new mail arrives before the next poll: no trip', async () => {
    const world = new MemoryWorld();
    const keep = policy({ delete: { kind: 'never' } });
    many(world, 'a', 30);
    await pollMailbox(keep, world.deps());
    world.mailbox.messages = world.mailbox.messages.slice(25);
    many(world, 'b', 40, 'X-Other-Client: yes\r\n');
    const next = await pollMailbox(keep, world.deps());
    expect(next).toMatchObject({ status: 'ok', stored: 40 });
  });

  it('a renumbered mailbox (same messages, new UIDs) trips and ingests nothing', async () => {
    const world = new MemoryWorld();
    const keep = policy({ delete: { kind: 'never' } });
    many(world, 'a', 30);
    await pollMailbox(keep, world.deps());
    world.mailbox.messages = world.mailbox.messages.map((m, i) => ({ ...m, uid: `renumbered-${i}` }));
    world.mailbox.log.length = 0;
    const next = await pollMailbox(keep, world.deps());
    expect(next.status).toBe('circuit-open');
    expect(retrs(world)).toEqual([]);
  });
});

describe('policy-changes-are-honoured', () => {
  it('messages seen in headers mode are fetched in full when the mailbox switches to full, then deleted', async () => {
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'h1', text: mailText(1) }, { uid: 'h2', text: mailText(2) });
    await pollMailbox(policy({ mode: 'headers' }), world.deps());
    expect(world.mailbox.uids()).toEqual(['h1', 'h2']);
    const summary = await pollMailbox(policy(), world.deps());
    expect(summary).toMatchObject({ status: 'ok', stored: 2, deleted: 2 });
    expect(storedEventsOf(world, 'h1')).toHaveLength(1);
  });

  it('a message stored headers-only as too large is fetched in full once the size limit rises', async () => {
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'big', text: mailText(1, `X-Pad: ${'p'.repeat(500)}\r\n`) });
    await pollMailbox(policy({ limits: { maxMessageSize: 100 } }), world.deps());
    expect(world.mailbox.uids()).toEqual(['big']);
    const summary = await pollMailbox(policy({ limits: { maxMessageSize: 10_000 } }), world.deps());
    expect(summary).toMatchObject({ status: 'ok', stored: 1, deleted: 1 });
  });
});

describe('mailbox-identity-checked', () => {
  it('refuses a seen-state recorded for another server or user, before logging in; accepts it once when told', async () => {
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'u1', text: mailText(1) });
    await pollMailbox(policy({ identity: 'host-a', delete: { kind: 'never' } }), world.deps());
    const sessions = world.mailbox.sessions;
    const refused = await pollMailbox(policy({ identity: 'host-b' }), world.deps());
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'SYNC_IDENTITY_MISMATCH' } });
    expect(refused.error?.message).toContain('acceptNewIdentity');
    expect(world.mailbox.sessions).toBe(sessions);
    world.mailbox.add({ uid: 'u2', text: mailText(2) });
    const accepted = await pollMailbox(policy({ identity: 'host-b', acceptNewIdentity: true, delete: { kind: 'never' } }), world.deps());
    expect(accepted).toMatchObject({ status: 'ok', stored: 1 });
    expect((await pollMailbox(policy({ identity: 'host-b', delete: { kind: 'never' } }), world.deps())).status).toBe('ok');
  });
});

describe('lease-lives-as-long-as-its-poll', () => {
  it('a poller whose lease was taken over stops before any DELE', async () => {
    const world = new MemoryWorld();
    for (let i = 1; i <= 3; i++) world.mailbox.add({ uid: `u${i}`, text: mailText(i) });
    const summary = await pollMailbox(policy(), world.deps(), {
      onProgress: () => world.lease.held.set('inbox', { owner: 'someone-else', expiresAt: world.clock.now().getTime() + 60_000, token: -1 }),
    });
    expect(summary).toMatchObject({ status: 'busy', error: { code: 'SYNC_LEASE_LOST' } });
    expect(deles(world)).toEqual([]);
    expect(world.lease.held.get('inbox')?.owner).toBe('someone-else');
  });

  it('renews its lease as the poll goes on, so a long poll is never overtaken', async () => {
    const world = new MemoryWorld();
    for (let i = 1; i <= 40; i++) world.mailbox.add({ uid: `u${i}`, text: mailText(i) });
    let taken = 0;
    const summary = await pollMailbox(policy(), world.deps(), {
      onProgress: async () => {
        world.clock.advance(15_000); // 40 messages x 15 s: ten TTLs of 60 s
        if (await world.lease.acquire('inbox', 'intruder', 60_000)) taken += 1;
      },
    });
    expect(taken).toBe(0);
    expect(summary).toMatchObject({ status: 'ok', stored: 40, deleted: 40 });
  });
});

describe('deadline-with-pipelining', () => {
  it('a stop at the deadline drains what is in flight, then still commits the deletions already earned', async () => {
    const world = new MemoryWorld();
    for (let i = 1; i <= 50; i++) world.mailbox.add({ uid: `u${i}`, text: mailText(i) });
    const deadline = new Date(world.clock.now().getTime() + 10_000);
    const summary = await pollMailbox(policy(), world.deps(), {
      deadline,
      onProgress: (p) => {
        if (p.messagesDone === 5) world.clock.advance(20_000);
      },
    });
    expect(summary.status).toBe('ok');
    expect(summary.stored).toBeGreaterThanOrEqual(5);
    expect(summary.stored).toBeLessThan(50);
    expect(summary.deleted).toBe(summary.stored);
    expect(summary.backlog).toBe(50 - summary.stored);
  });
});

describe('store-pipeline: reading never waits for a store', () => {
  it('reads later messages while earlier stores are still running', async () => {
    const world = new MemoryWorld();
    for (let i = 1; i <= 8; i++) world.mailbox.add({ uid: `u${i}`, text: mailText(i) });
    const put = world.store.put.bind(world.store);
    let retrsWhenFirstStoreEnded = -1;
    world.store.put = async (request) => {
      const result = await put(request);
      if (retrsWhenFirstStoreEnded < 0) {
        retrsWhenFirstStoreEnded = 0;
        // Hold the first store until every message was read (bounded turns of the event loop):
        // a loop that awaits each store before reading on never gets past message 1 here.
        for (let i = 0; i < 10_000 && retrs(world).length < 8; i++) await new Promise((r) => setImmediate(r));
        retrsWhenFirstStoreEnded = retrs(world).length;
      }
      return result;
    };
    const summary = await pollMailbox(policy({ delete: { kind: 'never' } }), world.deps());
    expect(summary).toMatchObject({ status: 'ok', stored: 8 });
    expect(retrsWhenFirstStoreEnded).toBe(8);
  });
});
