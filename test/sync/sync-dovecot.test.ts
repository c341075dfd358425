/**
 * The sync core over the real POP3 engine against a private Dovecot (memory store, publisher,
 * state and lease): pipelined ingestion byte for byte, a deadline that stops mid-pipeline
 * (the engine must drain and still DELE/QUIT), and the filter's TOP-before-RETR order.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPE_MESSAGE_SKIPPED, DETAIL_TYPE_MESSAGE_STORED } from '../../lambda/sync/events.js';
import { messageKey } from '../../lambda/sync/keys.js';
import { listedMessages } from '../../lambda/sync/listing.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { dovecotWorld } from '../integration/helpers.js';
import { expectedFromDovecot, makeMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { MemoryWorld } from '../support/memory-ports.js';

const policy = (over: Partial<MailboxPolicy> = {}): MailboxPolicy => ({ id: 'inbox', mode: 'full', delete: { kind: 'after-store' }, limits: {}, ...over });

describe('sync core against Dovecot', () => {
  let server: DovecotServer;
  const mail = Array.from({ length: 120 }, (_, i) => makeMessage(i, 500 + ((i * 7919) % 30_000)));

  beforeAll(async () => {
    server = await startDovecot();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const worldFor = (user: string): MemoryWorld => dovecotWorld(server, user);

  it('ingests a mailbox pipelined, byte for byte, deletes after store and finds nothing new next time', async () => {
    // Prepare
    await server.seed('alice', mail);
    const world = worldFor('alice');
    // Act
    const first = await pollMailbox(policy(), world.deps());
    const second = await pollMailbox(policy(), world.deps());
    // Assess
    expect(first).toMatchObject({ status: 'ok', newMessages: 120, stored: 120, published: 120, deleted: 120, backlog: 0 });
    expect(second).toMatchObject({ status: 'ok', serverMessages: 0, newMessages: 0 });
    expect(world.store.objects.size).toBe(120);
    const hashes = new Set([...world.store.objects.values()].map((o) => o.sha256));
    for (const [i, raw] of mail.entries()) {
      expect(hashes.has(createHash('sha256').update(expectedFromDovecot(raw)).digest('hex')), `message ${i}`).toBe(true);
    }
    const subjects = world.publisher.ofType(DETAIL_TYPE_MESSAGE_STORED).map((e) => (e.detail['headers'] as { subject?: string }).subject);
    expect(subjects).toContain('bulk message 0');
    expect(await server.maildirFiles('alice')).toEqual([]);
  });

  it('deadline-mid-pipeline: stops after the message in flight, QUITs, deletes only what was ingested', async () => {
    // Prepare
    await server.seed('bob', mail.slice(0, 80));
    const world = worldFor('bob');
    world.clock.step = 50; // each clock read is 50 ms later
    const deadline = new Date(world.clock.now().getTime() + 3_000);
    // Act
    const first = await pollMailbox(policy(), world.deps(), { deadline });
    world.clock.step = 0;
    const second = await pollMailbox(policy(), world.deps());
    // Assess
    expect(first.status).toBe('ok');
    expect(first.stored).toBeGreaterThan(0);
    expect(first.backlog).toBe(80 - first.stored);
    expect(first.deleted).toBe(first.stored);
    expect(second).toMatchObject({ status: 'ok', stored: 80 - first.stored, alreadyStored: 0 });
    expect(world.store.creates).toBe(80);
    expect(await server.maildirFiles('bob')).toEqual([]);
  });

  it('runs the filter on TOP output before any RETR and skips what it says', async () => {
    // Prepare
    await server.seed('carol', mail.slice(0, 6));
    const world = worldFor('carol');
    const filtered = policy({
      delete: { kind: 'never' },
      filter: { rules: [{ subject: '/bulk message [024]$/', action: 'full' }, { subject: 'bulk message 5', action: 'skip' }], otherwise: 'headers' },
    });
    // Act
    const summary = await pollMailbox(filtered, world.deps());
    // Assess
    expect(summary).toMatchObject({ status: 'ok', stored: 5, headersOnly: 2, skipped: 1, published: 6, deleted: 0 });
    expect(world.publisher.ofType(DETAIL_TYPE_MESSAGE_SKIPPED)).toHaveLength(1);
    // The state keeps most UIDs as hashes: resolve them from the server's own listing.
    const session = await world.deps().source.open();
    const listed = listedMessages((await session.listMessages()).listing).map((m) => m.uid);
    await session.quit();
    const view = world.state.json('inbox', listed);
    const uidl = Object.keys(view?.uids ?? {});
    expect(uidl).toHaveLength(6);
    expect(view?.unresolved).toBe(0);
    const kinds = [...world.store.objects.values()].map((o) => o.kind).sort();
    expect(kinds).toEqual(['full', 'full', 'full', 'headers', 'headers']);
    for (const uid of uidl) {
      const header = world.store.objects.get(messageKey('', 'inbox', uid, 'headers'));
      if (header) expect(Buffer.from(header.body).toString('latin1')).toMatch(/\r\n\r\n$/);
    }
    expect(await server.maildirFiles('carol')).toHaveLength(6);
  });
});
