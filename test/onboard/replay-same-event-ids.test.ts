/**
 * replay re-publishes what a poll published: the same event ids and details, without any POP3
 * session (the mail source throws if opened), only for messages whose firstSeen is in [from, to),
 * and an object that is gone is reported, not fatal.
 */
import { describe, expect, it } from 'vitest';
import { pollMailbox } from '../../lambda/sync/poll.js';
import { parseReplayBound, replayMailbox, type ReplayDependencies } from '../../lambda/sync/replay.js';
import type { MailSource, OutgoingEvent } from '../../lambda/sync/ports.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';
import { MemoryStoreReader } from '../support/memory-reader.js';

const policy = (over: Partial<MailboxPolicy> = {}): MailboxPolicy => ({ id: 'inbox', mode: 'full', delete: { kind: 'never' }, limits: {}, keyPrefix: 'mail/', ...over });

/** Moves the world's clock to `iso`. */
const at = (world: MemoryWorld, iso: string): void => world.clock.advance(Date.parse(iso) - world.clock.now().getTime());

const perMessage = (events: readonly OutgoingEvent[]): OutgoingEvent[] => events.filter((e) => e.detailType !== 'Mailbox Polled');

/** A world whose mail source fails the test if a replay ever opens it. */
function replayWorld(world: MemoryWorld): { deps: ReplayDependencies; opened: () => number } {
  let opened = 0;
  const throwing: MailSource = {
    open: async () => {
      opened += 1;
      throw new Error('replay must not open a POP3 session');
    },
  };
  Object.assign(world, { source: throwing });
  return { deps: { state: world.state, reader: new MemoryStoreReader(world.store), publisher: world.publisher, clock: world.clock }, opened: () => opened };
}

describe('replay', () => {
  it('publishes the same event ids and details as the original poll, with no POP3 session', async () => {
    // Prepare: full messages, one too large (header block stored, "Message Skipped"), headers mode later
    const world = new MemoryWorld();
    for (let i = 1; i <= 4; i++) world.mailbox.add({ uid: `uid-${i}`, text: mailText(i) });
    world.mailbox.add({ uid: 'big', text: mailText(9, `X-Pad: ${'y'.repeat(400)}\r\n`) });
    await pollMailbox(policy({ limits: { maxMessageSize: 300 } }), world.deps());
    const original = perMessage(world.publisher.delivered);
    world.publisher.delivered.length = 0;
    const { deps, opened } = replayWorld(world);
    // Act
    const { summary } = await replayMailbox(policy({ limits: { maxMessageSize: 300 } }), deps);
    // Assess
    expect(summary).toMatchObject({ status: 'ok', matched: 5, published: 5, missing: 0, nothingStored: 0 });
    expect(opened()).toBe(0);
    const replayed = world.publisher.delivered;
    expect(replayed.map((e) => e.id).sort()).toEqual(original.map((e) => e.id).sort());
    for (const event of replayed) {
      const first = original.find((o) => o.id === event.id)!;
      expect(event.detailType).toBe(first.detailType);
      expect(event.detail).toEqual(first.detail);
    }
    expect(new Set(replayed.map((e) => e.detailType))).toEqual(new Set(['Message Stored', 'Message Skipped']));
  });

  it('replays only the messages first seen in [from, to)', async () => {
    // Prepare: three polls on three days
    const world = new MemoryWorld();
    at(world, '2026-03-01T09:00:00Z');
    world.mailbox.add({ uid: 'd1', text: mailText(1) });
    await pollMailbox(policy(), world.deps());
    at(world, '2026-03-02T09:00:00Z');
    world.mailbox.add({ uid: 'd2', text: mailText(2) });
    await pollMailbox(policy(), world.deps());
    at(world, '2026-03-03T09:00:00Z');
    world.mailbox.add({ uid: 'd3', text: mailText(3) });
    await pollMailbox(policy(), world.deps());
    const dayTwo = perMessage(world.publisher.delivered).filter((e) => e.detail['firstSeen'] === '2026-03-02T09:00:00.000Z');
    world.publisher.delivered.length = 0;
    const { deps } = replayWorld(world);
    // Act
    const day = await replayMailbox(policy(), deps, { from: parseReplayBound('2026-03-02', 'from'), to: parseReplayBound('2026-03-02', 'to') });
    const fromDay3 = await replayMailbox(policy(), deps, { from: parseReplayBound('2026-03-02T09:00:00.001Z', 'from'), dryRun: true });
    // Assess
    expect(dayTwo).toHaveLength(1);
    expect(day.summary).toMatchObject({ matched: 1, published: 1 });
    expect(world.publisher.delivered.map((e) => e.id)).toEqual([dayTwo[0]!.id]);
    expect(fromDay3.summary).toMatchObject({ matched: 1, events: 1, published: 0, dryRun: true });
    expect(fromDay3.events.map((e) => e.firstSeen)).toEqual(['2026-03-03T09:00:00.000Z']);
    expect(world.publisher.delivered).toHaveLength(1);
  });

  it('reports a message whose object is gone and replays the others', async () => {
    // Prepare
    const world = new MemoryWorld();
    for (let i = 1; i <= 3; i++) world.mailbox.add({ uid: `uid-${i}`, text: mailText(i) });
    await pollMailbox(policy(), world.deps());
    const gone = [...world.store.objects.keys()][1]!;
    world.store.objects.delete(gone);
    world.publisher.delivered.length = 0;
    const { deps } = replayWorld(world);
    // Act
    const { summary } = await replayMailbox(policy(), deps);
    // Assess
    expect(summary).toMatchObject({ status: 'ok', matched: 3, published: 2, missing: 1, missingKeys: [goneKeyAsListed(gone)] });
    expect(world.publisher.delivered).toHaveLength(2);
  });

  it('a dry run publishes nothing and lists what it would publish', async () => {
    // Prepare
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'uid-1', text: mailText(1) });
    await pollMailbox(policy(), world.deps());
    const original = perMessage(world.publisher.delivered);
    world.publisher.delivered.length = 0;
    const { deps } = replayWorld(world);
    // Act
    const { summary, events } = await replayMailbox(policy(), deps, { dryRun: true });
    // Assess
    expect(summary).toMatchObject({ dryRun: true, events: 1, published: 0 });
    expect(events.map((e) => e.id)).toEqual(original.map((e) => e.id));
    expect(world.publisher.delivered).toEqual([]);
  });

  it('seeded messages have nothing stored: counted, not replayed', async () => {
    // Prepare
    const { seedMailbox } = await import('../../lambda/sync/seed.js');
    const world = new MemoryWorld();
    world.mailbox.add({ uid: 'old', text: mailText(1) });
    await seedMailbox(policy(), world.deps());
    const { deps } = replayWorld(world);
    // Act
    const { summary } = await replayMailbox(policy(), deps);
    // Assess
    expect(summary).toMatchObject({ matched: 1, nothingStored: 1, events: 0 });
  });

  it('an empty or malformed range is refused with a clear error', () => {
    expect(() => parseReplayBound('yesterday', 'from')).toThrow(/ISO date/);
    expect(parseReplayBound('2026-03-02', 'to').toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(parseReplayBound('2026-03-02T10:00:00+01:00', 'from').toISOString()).toBe('2026-03-02T09:00:00.000Z');
  });
});

/**
 * A key as a replay reports it when the object is gone: entries kept in the compact seen-state
 * hold half of the UID hash, so the key is named by that half and an ellipsis.
 */
function goneKeyAsListed(key: string): string {
  return `${key.slice(0, key.length - '.eml'.length - 32)}…`;
}
