/**
 * Found by the hard-kill test (hard-kill.test.ts, delete mode): a poller killed after its QUIT
 * committed the deletions but before the state save that records them as 'deleted' leaves
 * 'published' entries whose UIDs are gone. docs/delivery-guarantees.md says the next poll
 * prunes them, but the UID circuit breaker (plan.ts checkCircuit) runs before the prune and
 * counts them as "known UIDs gone". With delete after-store, the next listing is mostly new mail,
 * so with 20 or more such entries the breaker trips: status circuit-open, ingestion stops until
 * a human sets acceptNewEpoch, and accepting re-keys (e2/) any listed message that an earlier
 * killed run had already stored: a second object for the same message.
 *
 * Fixed: poll.ts records `deleteSent` in the state saved before DELE, and checkCircuit does not
 * count an entry with `deleteSent` whose UID is gone.
 */
import { describe, expect, it } from 'vitest';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { Faults, mailText, MemoryWorld } from '../support/memory-ports.js';

const policy: MailboxPolicy = { id: 'inbox', mode: 'full', delete: { kind: 'after-store' }, limits: {} };

describe('breaker-false-trip-after-kill', () => {
  it('a kill between the committing QUIT and the state save does not stop the next poll with circuit-open', async () => {
    // Prepare: 25 messages are ingested and deleted; the process dies right after QUIT committed.
    const world = new MemoryWorld();
    world.mailbox.add(...Array.from({ length: 25 }, (_, i) => ({ uid: `first-${i + 1}`, text: mailText(i + 1) })));
    world.faults = new Faults().failOn('quit-after', 1, 'kill');
    await pollMailbox(policy, world.deps());
    expect(world.faults.fired('quit-after')).toBe(true);
    expect(world.mailbox.uids()).toEqual([]);
    world.recover();
    // New mail arrives, as it does.
    world.mailbox.add(...Array.from({ length: 25 }, (_, i) => ({ uid: `second-${i + 1}`, text: mailText(100 + i) })));

    // Act
    const summary = await pollMailbox(policy, world.deps());

    // Assess
    expect(summary.error?.code).toBeUndefined();
    expect(summary).toMatchObject({ status: 'ok', stored: 25, deleted: 25 });
  });
});
