/**
 * seed against a real Dovecot: an existing mailbox starts from now. After a seed the next poll
 * fetches nothing; with --since only the recent messages are left for it; a seeded message is
 * never DELEted (its body was never stored), whatever the delete policy; seeding twice writes
 * nothing; and a seed honours the lease like a poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollMailbox } from '../../lambda/sync/poll.js';
import { seedMailbox } from '../../lambda/sync/seed.js';
import { StateKeeper } from '../../lambda/sync/checkpoint.js';
import { fromQuietWithKey } from '../../lambda/sync/quiet-run.js';
import type { SeenEntry } from '../../lambda/sync/state.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { dovecotWorld } from '../integration/helpers.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { MemoryWorld } from '../support/memory-ports.js';

const policy: MailboxPolicy = { id: 'inbox', mode: 'full', delete: { kind: 'after-store' }, limits: {} };

/** A message dated `date` (RFC 5322 date-time). */
function dated(n: number, date: string): Buffer {
  return Buffer.from(
    `Message-ID: <seed${n}@example.test>\r\nFrom: s${n}@example.test\r\nTo: rcpt@example.test\r\nSubject: seed ${n}\r\n` +
      `Date: ${date}\r\n\r\nBody ${n}\r\n`,
  );
}

const OLD = Array.from({ length: 30 }, (_, i) => dated(i, `Mon, ${String(1 + (i % 27)).padStart(2, '0')} Jan 2024 10:00:00 +0000`));
const RECENT = Array.from({ length: 5 }, (_, i) => dated(100 + i, `Sun, 1 Mar 2026 ${String(10 + i)}:00:00 +0100`));
const UNDATED = [Buffer.from('Message-ID: <nodate@example.test>\r\nSubject: no date\r\n\r\nBody\r\n')];

describe('seed against Dovecot', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const worldFor = (user: string): MemoryWorld => dovecotWorld(server, user);

  it('after a seed the next poll fetches nothing and deletes nothing, even with delete after-store', async () => {
    // Prepare
    await server.seed('alice', [...OLD, ...RECENT]);
    const world = worldFor('alice');
    // Act
    const seeded = await seedMailbox(policy, world.deps());
    const polled = await pollMailbox(policy, world.deps());
    // Assess
    expect(seeded).toMatchObject({ status: 'ok', serverMessages: 35, seeded: 35, alreadyKnown: 0 });
    expect(polled).toMatchObject({ status: 'ok', serverMessages: 35, newMessages: 0, stored: 0, deleted: 0 });
    expect(world.store.objects.size).toBe(0);
    expect(world.publisher.delivered.filter((e) => e.detailType !== 'Mailbox Polled')).toEqual([]);
    expect(await server.maildirFiles('alice')).toHaveLength(35);
  });

  it('seed --since leaves the recent and the undated messages for the poll, and never DELEs a seeded one', async () => {
    // Prepare
    await server.seed('bob', [...OLD, ...RECENT, ...UNDATED]);
    const world = worldFor('bob');
    // Act
    const seeded = await seedMailbox(policy, world.deps(), { since: new Date('2026-03-01T00:00:00Z') });
    const polled = await pollMailbox(policy, world.deps());
    const again = await pollMailbox(policy, world.deps());
    // Assess
    expect(seeded).toMatchObject({ status: 'ok', seeded: 30, recent: 5, undated: 1 });
    expect(polled).toMatchObject({ status: 'ok', newMessages: 6, stored: 6, deleted: 6 });
    const subjects = world.publisher.ofType('Message Stored').map((e) => (e.detail['headers'] as { subject?: string }).subject).sort();
    expect(subjects).toEqual(['no date', 'seed 100', 'seed 101', 'seed 102', 'seed 103', 'seed 104']);
    expect(again).toMatchObject({ status: 'ok', serverMessages: 30, newMessages: 0, deleted: 0 });
    // The 30 old ones are still on the server: a seed is no evidence that a message is stored.
    expect(await server.maildirFiles('bob')).toHaveLength(30);
    const state = (await StateKeeper.load(world.state, world.clock, 'inbox')).state;
    // Every entry, full records and compact ones alike (their UIDs are not kept, their fields are).
    const entries: SeenEntry[] = [
      ...[...state.entries.loudEntries()].map(([, e]) => e),
      ...[...state.entries.quietRecords()].map(([, r]) => fromQuietWithKey('', r)),
    ];
    const kinds = new Set(entries.filter((e) => e.status !== 'deleted').map((e) => `${e.kind}/${e.status}`));
    expect(kinds).toEqual(new Set(['seeded/published']));
    // TOP gave the header block: identity evidence is kept like for a stored message.
    expect(entries.every((e) => e.status === 'deleted' || /^[0-9a-f]{32}$/.test(e.headerHash ?? ''))).toBe(true);
  });

  it('seeding twice changes nothing: no lease, no write', async () => {
    // Prepare
    await server.seed('carol', OLD.slice(0, 10));
    const world = worldFor('carol');
    await seedMailbox(policy, world.deps());
    const writes = world.state.writes;
    const acquires = world.lease.acquires;
    // Act
    const second = await seedMailbox(policy, world.deps());
    // Assess
    expect(second).toMatchObject({ status: 'ok', seeded: 0, alreadyKnown: 10 });
    expect(world.state.writes).toBe(writes);
    expect(world.lease.acquires).toBe(acquires);
  });

  it('a seed while another poller holds the lease is busy and records nothing', async () => {
    // Prepare
    await server.seed('carol', OLD.slice(0, 3));
    const world = worldFor('carol');
    const held = await world.lease.acquire('inbox', 'other-poller', 60_000);
    // Act
    const seeded = await seedMailbox(policy, world.deps());
    // Assess
    expect(held).not.toBeNull();
    expect(seeded).toMatchObject({ status: 'busy', error: { code: 'SYNC_LEASE_HELD' } });
    expect(await world.state.load('inbox')).toBeNull();
  });
});
