import { describe, expect, it } from 'vitest';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { Faults, type FaultMode, type FaultPoint, type MemoryWorld } from '../support/memory-ports.js';
import { assertInvariants, buildWorld, cleanPolls } from './crash-harness.js';

describe('crash matrix across two polls', () => {
  // The second poll reads a stored state (manifest and segments) and writes deltas to it.
  const points: FaultPoint[] = ['state-load', 'state-segment-get', 'state-save', 'state-save-after', 'state-segment-put', 'state-segment-put-after'];
  it.each(points)('a failure at every %s call of a second, deleting poll is survived (error and kill)', async (point) => {
    const policy: MailboxPolicy = { id: 'inbox', mode: 'full', delete: { kind: 'after-days', days: 1 }, limits: {} };
    const secondPoll = async (failAt?: number, mode: FaultMode = 'kill'): Promise<MemoryWorld> => {
      const { world, violations } = buildWorld(policy);
      await pollMailbox(policy, world.deps());
      world.clock.advance(2 * 86_400_000);
      world.faults = new Faults();
      if (failAt !== undefined) world.faults.failOn(point, failAt, mode);
      await pollMailbox(policy, world.deps());
      if (failAt !== undefined) {
        expect(world.faults.fired(point)).toBe(true);
        world.recover();
        await cleanPolls(world, policy);
        assertInvariants(world, violations, { ...policy, delete: { kind: 'after-store' } }, `second poll ${point} #${failAt} (${mode})`);
      }
      return world;
    };
    const calls = (await secondPoll()).faults.calls.get(point) ?? 0;
    expect(calls).toBeGreaterThan(0);
    for (let n = 1; n <= calls; n++) for (const mode of ['error', 'kill'] as const) await secondPoll(n, mode);
  });
});
