import { describe, expect, it } from 'vitest';
import { SYNC_LIMITS } from '../../lambda/sync/limits.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';

const policy: MailboxPolicy = { id: 'inbox', mode: 'full', delete: { kind: 'never' }, limits: {}, keyPrefix: 'mail/' };

// Threat: a reader that runs ahead of a slow store commit without bound. Every stored but
// unrecorded message holds its event in memory and (local folder) two open files until the
// commit that covers it: with groups chained behind one slow commit, a 10,000-message import
// held them all (one commit of 9,497 files, 8,473 reopened by path, 200 MiB peak RSS).
describe('the reader waits for the recorder', () => {
  it('keeps stored-but-uncommitted messages within recordQueueMax while commits are slow', async () => {
    // Prepare: 1,500 messages; every commit takes many turns of the event loop
    const world = new MemoryWorld();
    for (let i = 1; i <= 1500; i++) world.mailbox.add({ uid: `uid-${i}`, text: mailText(i) });
    const commit = world.store.commit.bind(world.store);
    let maxAhead = 0;
    const put = world.store.put.bind(world.store);
    world.store.put = async (request) => {
      const result = await put(request);
      maxAhead = Math.max(maxAhead, world.store.creates - world.store.durable.size);
      return result;
    };
    world.store.commit = async () => {
      for (let i = 0; i < 200; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      await commit();
    };

    // Act
    const summary = await pollMailbox(policy, world.deps());

    // Assess: all stored, and never more ahead of the commits than the bound (plus the stores
    // in flight and one group being committed)
    expect(summary).toMatchObject({ status: 'ok', stored: 1500, published: 1500 });
    expect(maxAhead).toBeLessThanOrEqual(SYNC_LIMITS.recordQueueMax + SYNC_LIMITS.storesInFlight + SYNC_LIMITS.publishGroupSize);
  });
});
