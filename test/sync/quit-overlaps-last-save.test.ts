/**
 * Threats: on a slow link every poll pays a QUIT round trip after its last commit, events and
 * save, although with nothing to delete QUIT commits nothing; and the other way round, a QUIT
 * sent early where it does commit something: DELEs, or EXPIRE 0 (RFC 2449 section 6.7), which
 * removes every retrieved message at QUIT.
 */
import { describe, expect, it } from 'vitest';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { StateStore } from '../../lambda/sync/ports.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';

const policy = (over: Partial<MailboxPolicy> = {}): MailboxPolicy => ({
  id: 'inbox',
  mode: 'full',
  delete: { kind: 'never' },
  limits: {},
  keyPrefix: 'mail/',
  ...over,
});

/** A world of `n` messages whose state port notes, at each save, whether QUIT was already sent. */
function observedWorld(n: number): { world: MemoryWorld; quitSentAtSave: boolean[]; deps: ReturnType<MemoryWorld['deps']> } {
  const world = new MemoryWorld();
  for (let i = 1; i <= n; i++) world.mailbox.add({ uid: `uid-${i}`, text: mailText(i) });
  const quitSentAtSave: boolean[] = [];
  const real = world.state;
  const state: StateStore = {
    load: (id) => real.load(id),
    save: (id, body, expected) => {
      quitSentAtSave.push(world.mailbox.log.includes('QUIT'));
      return real.save(id, body, expected);
    },
    putSegment: (id, name, body) => real.putSegment(id, name, body),
    getSegment: (id, name) => real.getSegment(id, name),
    deleteSegments: (id, names) => real.deleteSegments(id, names),
  };
  return { world, quitSentAtSave, deps: { ...world.deps(), state } };
}

describe('QUIT with nothing to delete', () => {
  it('goes out as soon as the last message is read, before the poll\'s last state save', async () => {
    const { world, quitSentAtSave, deps } = observedWorld(3);

    const summary = await pollMailbox(policy(), deps);

    expect(summary).toMatchObject({ status: 'ok', stored: 3, published: 3 });
    expect(quitSentAtSave.at(-1)).toBe(true);
    expect(world.state.json('inbox')?.uids['uid-3']).toMatchObject({ status: 'published' });
  });

  it('waits for the recording when messages are to be deleted (DELE must follow it)', async () => {
    const { world, quitSentAtSave, deps } = observedWorld(3);

    const summary = await pollMailbox(policy({ delete: { kind: 'after-store' } }), deps);

    expect(summary).toMatchObject({ status: 'ok', deleted: 3 });
    // Every save before the deletions were sent happened without QUIT.
    expect(quitSentAtSave.slice(0, -1).every((sent) => !sent)).toBe(true);
    expect(world.mailbox.log.indexOf('QUIT')).toBeGreaterThan(world.mailbox.log.findLastIndex((c) => c.startsWith('DELE')));
  });

  it('waits for the recording with EXPIRE 0 (QUIT would remove what was retrieved)', async () => {
    const { world, quitSentAtSave, deps } = observedWorld(3);
    world.mailbox.capabilities = { ...world.mailbox.capabilities, expire: 0 };

    const summary = await pollMailbox(policy(), deps);

    expect(summary).toMatchObject({ status: 'ok', stored: 3, published: 3 });
    // The one save after QUIT records what EXPIRE 0 removed; every earlier one came before QUIT.
    expect(quitSentAtSave.slice(0, -1).every((sent) => !sent)).toBe(true);
    expect(world.mailbox.messages).toHaveLength(0);
  });
});
