import { describe, expect, it } from 'vitest';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { Faults, type MemoryWorld } from '../support/memory-ports.js';
import { assertInvariants, buildWorld, cleanPolls } from './crash-harness.js';

describe('crash matrix across two polls', () => {
  it('a kill at every state write of a second, deleting poll is survived', async () => {
    const policy: MailboxPolicy = { id: 'inbox', mode: 'full', delete: { kind: 'after-days', days: 1 }, limits: {} };
    const secondPollSaves = async (failAt?: number): Promise<MemoryWorld> => {
      const { world, violations } = buildWorld(policy);
      await pollMailbox(policy, world.deps());
      world.clock.advance(2 * 86_400_000);
      world.faults = new Faults();
      if (failAt !== undefined) world.faults.failOn('state-save', failAt, 'kill');
      await pollMailbox(policy, world.deps());
      if (failAt !== undefined) {
        expect(world.faults.fired('state-save')).toBe(true);
        world.recover();
        await cleanPolls(world, policy);
        assertInvariants(world, violations, { ...policy, delete: { kind: 'after-store' } }, `second poll state-save #${failAt}`);
      }
      return world;
    };
    const saves = (await secondPollSaves()).faults.calls.get('state-save') ?? 0;
    expect(saves).toBeGreaterThan(0);
    for (let n = 1; n <= saves; n++) await secondPollSaves(n);
  });
});
