/**
 * delete-phase-outlives-the-invocation: in delete mode, with a short Lambda window, the poll
 * stopped ingesting at the soft deadline (a fixed share of the window) and then ran out of time
 * in the delete phase: the handler's hard stop aborted DELE or QUIT and the invocation ended
 * POP3_ABORTED although every message was stored and announced (issue 10's backlog bench, 20 s
 * windows, 15 ms added to S3). The poll now sizes that phase from the writes it measured: it
 * stops ingesting, or deletes fewer, so that DELE and QUIT end before finishBy.
 *
 * Time is a fake clock that the slow parts advance; the handler's abort timer is the server
 * wrapper below: a DELE or QUIT that would end past finishBy fails as the abort makes it fail
 * (POP3_ABORTED, the connection dropped, nothing committed).
 */
import { describe, expect, it } from 'vitest';
import { Pop3Error } from '../../lambda/pop3/index.js';
import { DETAIL_TYPE_MESSAGE_STORED } from '../../lambda/sync/events.js';
import { messageKey, uidHash } from '../../lambda/sync/keys.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { FetchRequest, FetchedMessage, MailboxSession, MailSource } from '../../lambda/sync/ports.js';
import type { MailboxPolicy, PollSummary } from '../../lambda/sync/types.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';

const policy: MailboxPolicy = { id: 'inbox', mode: 'full', delete: { kind: 'after-store' }, limits: {}, keyPrefix: 'mail/' };

/** What each slow part costs on the fake clock. */
interface Costs {
  fetchMs: number;
  /** Per state write (segment and manifest each). */
  stateWriteMs: number;
  leaseMs: number;
  /** Per DELE, and per message removed by QUIT's UPDATE (together under the budget's 1 ms prior). */
  deleMs: number;
  quitMsPerDelete: number;
}

const MESSAGES = 3_000;
const COSTS: Costs = { fetchMs: 10, stateWriteMs: 700, leaseMs: 50, deleMs: 0.1, quitMsPerDelete: 0.9 };

/** A server whose commands take time on the fake clock, behind the handler's hard stop at `finishBy`. */
class SlowServer implements MailSource {
  finishBy = Number.POSITIVE_INFINITY;
  /** The handler's abort, fired when a command runs into finishBy. */
  controller = new AbortController();
  /** Set when a DELE or QUIT ran into the hard stop (the old code's failure). */
  aborted = 0;
  /** A QUIT cut off still runs UPDATE (Dovecot, once it has read QUIT), or not. */
  commitsWhenCut = false;

  constructor(
    private readonly world: MemoryWorld,
    private readonly costs: Costs,
  ) {}

  async open(): Promise<MailboxSession> {
    const inner = await this.world.source.open();
    const { world, costs } = this;
    let marked = 0;
    const cutOff = async (quitting: boolean): Promise<never> => {
      // The handler's timer fired while the command ran: the session is dropped.
      this.aborted += 1;
      this.controller.abort(new Error('Lambda time budget exhausted'));
      if (quitting && this.commitsWhenCut) await inner.quit();
      else inner.abort();
      throw new Pop3Error('POP3_ABORTED', 'session aborted');
    };
    const spend = async (ms: number, quitting = false): Promise<void> => {
      world.clock.advance(ms);
      if (world.clock.now().getTime() > this.finishBy) await cutOff(quitting);
    };
    return {
      capabilities: inner.capabilities,
      listMessages: () => inner.listMessages(),
      async *fetch(requests: Iterable<FetchRequest>): AsyncIterable<FetchedMessage> {
        for await (const fetched of inner.fetch(requests)) {
          world.clock.advance(costs.fetchMs);
          yield fetched;
        }
      },
      async markDeleted(msgs) {
        await spend(costs.deleMs * msgs.length);
        marked += msgs.length;
        await inner.markDeleted(msgs);
      },
      async quit() {
        await spend(costs.quitMsPerDelete * marked, true);
        await inner.quit();
      },
      abort: (reason) => inner.abort(reason),
    };
  }
}

function slowWorld(messages: number, costs: Costs): { world: MemoryWorld; server: SlowServer; slowSaves: { extraMs: number } } {
  const world = new MemoryWorld();
  world.mailbox.chunkSize = 64 * 1024;
  for (let i = 1; i <= messages; i++) world.mailbox.add({ uid: `uid-${i}`, text: mailText(i) });
  const slowSaves = { extraMs: 0 };
  const save = world.state.save.bind(world.state);
  const putSegment = world.state.putSegment.bind(world.state);
  world.state.save = async (id, body, expected) => {
    world.clock.advance(costs.stateWriteMs + slowSaves.extraMs);
    return save(id, body, expected);
  };
  world.state.putSegment = async (id, name, body) => {
    world.clock.advance(costs.stateWriteMs);
    return putSegment(id, name, body);
  };
  const acquire = world.lease.acquire.bind(world.lease);
  world.lease.acquire = async (id, owner, ttl) => {
    world.clock.advance(costs.leaseMs);
    const lease = await acquire(id, owner, ttl);
    if (lease === null) return null;
    const renew = lease.renew.bind(lease);
    lease.renew = async (ms) => {
      world.clock.advance(costs.leaseMs);
      return renew(ms);
    };
    return lease;
  };
  const server = new SlowServer(world, costs);
  // No DELE may be committed unless the message is stored, announced and recorded deleteSent.
  world.mailbox.onCommit = (uids) => {
    const state = world.state.json('inbox', uids);
    const announced = new Set(world.publisher.ofType(DETAIL_TYPE_MESSAGE_STORED).map((e) => e.detail['uidHash']));
    for (const uid of uids) {
      expect(world.store.objects.has(messageKey('mail/', 'inbox', uid, 'full'))).toBe(true);
      expect(announced.has(uidHash('inbox', uid))).toBe(true);
      expect(state?.uids[uid]).toMatchObject({ status: 'published', deleteSent: true });
    }
  };
  return { world, server, slowSaves };
}

/** One invocation: the soft deadline and the hard stop (finishBy) that many ms from now. */
async function invoke(world: MemoryWorld, server: SlowServer, deadlineMs: number, finishByMs: number, onProgress?: (done: number) => void): Promise<PollSummary> {
  const now = world.clock.now().getTime();
  server.finishBy = now + finishByMs;
  server.controller = new AbortController();
  return pollMailbox(policy, { ...world.deps(), source: server }, {
    deadline: new Date(now + deadlineMs),
    finishBy: new Date(server.finishBy),
    signal: server.controller.signal,
    ...(onProgress ? { onProgress: (p) => onProgress(p.messagesDone) } : {}),
  });
}

describe('delete-phase-outlives-the-invocation', () => {
  it('stops ingesting early enough that DELE and QUIT end before the hard stop, and later invocations drain the rest', async () => {
    const { world, server } = slowWorld(MESSAGES, COSTS);
    // A 20 s Lambda window: soft deadline at 15 s, hard stop at 18 s. Ingesting until 15 s
    // (~1,450 messages) leaves 3 s for the final save and the deleteSent save (1 s each at
    // 500 ms a write), the renewal, and DELE/QUIT (1 ms a message): it does not fit.
    const summaries: PollSummary[] = [];
    for (let i = 0; i < 20 && world.mailbox.messages.length > 0; i++) {
      summaries.push(await invoke(world, server, 15_000, 18_000));
      world.clock.advance(60_000);
    }
    expect(server.aborted).toBe(0);
    for (const s of summaries) {
      expect(s.error).toBeUndefined();
      expect(s.status).toBe('ok');
    }
    expect(summaries[0]?.deleted).toBeGreaterThan(0);
    expect(summaries.at(-1)).toMatchObject({ backlog: 0, deletionsDeferred: 0 });
    // Nothing lost, nothing stored twice: every message stored once, announced, then deleted.
    expect(world.mailbox.messages).toHaveLength(0);
    expect(world.store.objects.size).toBe(MESSAGES);
    expect(new Set(world.publisher.ofType(DETAIL_TYPE_MESSAGE_STORED).map((e) => e.detail['uidHash'])).size).toBe(MESSAGES);
    expect(summaries.reduce((n, s) => n + s.deleted, 0)).toBe(MESSAGES);
  });

  it('deletes fewer (none) when a slow final save leaves too little time, QUITs cleanly, and the next poll deletes them', async () => {
    const { world, server, slowSaves } = slowWorld(50, { ...COSTS, fetchMs: 1 });
    // Everything is read by 50 ms; then the state's manifest write turns slow (15 s, a stalled
    // S3): the save after the last message ends with under 2 s left, less than a renewal, a
    // deleteSent save and QUIT now take by this poll's own measure.
    const first = await invoke(world, server, 15_000, 18_000, (done) => {
      if (done === 50) slowSaves.extraMs = 15_000;
    });
    expect(server.aborted).toBe(0);
    expect(first).toMatchObject({ status: 'ok', stored: 50, backlog: 0, deleted: 0, deletionsDeferred: 50 });
    expect(first.error).toBeUndefined();
    expect(world.mailbox.log.filter((c) => c.startsWith('DELE'))).toEqual([]);
    expect(world.mailbox.log.at(-1)).toBe('QUIT');
    expect(world.mailbox.messages).toHaveLength(50);

    slowSaves.extraMs = 0;
    world.clock.advance(60_000);
    world.mailbox.log.length = 0;
    const second = await invoke(world, server, 15_000, 18_000);
    expect(server.aborted).toBe(0);
    expect(second).toMatchObject({ status: 'ok', stored: 0, deleted: 50, deletionsDeferred: 0 });
    // Confirmed by TOP (header hash and size), never by the UID alone, and not fetched again.
    expect(world.mailbox.log.filter((c) => c.startsWith('TOP'))).toHaveLength(50);
    expect(world.mailbox.log.filter((c) => c.startsWith('RETR'))).toEqual([]);
    expect(world.mailbox.messages).toHaveLength(0);
    expect(world.store.objects.size).toBe(50);
  });

  it('counts the known messages it confirms for deletion too: a pile of them is deleted before new mail is read', async () => {
    const { world, server } = slowWorld(1_500, { ...COSTS, fetchMs: 2 });
    // Stored and announced earlier by a poll that kept them (delete: never); now due.
    await pollMailbox({ ...policy, delete: { kind: 'never' } }, world.deps());
    for (let i = 1_501; i <= 4_500; i++) world.mailbox.add({ uid: `uid-${i}`, text: mailText(i) });
    world.clock.advance(60_000);
    const summary = await invoke(world, server, 15_000, 18_000);
    expect(server.aborted).toBe(0);
    // Every deletion earned fits: the reader stopped early enough for all of them.
    expect(summary).toMatchObject({ status: 'ok', deletionsDeferred: 0 });
    expect(summary.deleted).toBe(1_500 + summary.stored);
    expect(summary.backlog).toBeGreaterThan(0);
  });

  for (const commitsWhenCut of [true, false]) {
    it(`a server slower to remove than the budget's prior: QUIT cut off by the hard stop is not an error (${commitsWhenCut ? 'server committed' : 'server did not commit'}), the next poll settles it`, async () => {
      const { world, server } = slowWorld(200, { ...COSTS, fetchMs: 1, quitMsPerDelete: 100 });
      server.commitsWhenCut = commitsWhenCut;
      const first = await invoke(world, server, 15_000, 18_000);
      expect(server.aborted).toBe(1);
      expect(first).toMatchObject({ status: 'ok', stored: 200, backlog: 0, deleted: 0, deletionsDeferred: 200 });
      expect(first.error).toBeUndefined();
      expect(first.warnings.join('\n')).toContain('QUIT did not answer');
      expect(world.mailbox.messages).toHaveLength(commitsWhenCut ? 0 : 200);

      server.commitsWhenCut = false;
      world.clock.advance(60_000);
      world.mailbox.log.length = 0;
      const second = await invoke(world, server, 15_000, 180_000);
      expect(second).toMatchObject({ status: 'ok', stored: 0, deleted: commitsWhenCut ? 0 : 200, deletionsDeferred: 0 });
      expect(world.mailbox.log.filter((c) => c.startsWith('RETR'))).toEqual([]);
      expect(world.mailbox.messages).toHaveLength(0);
      expect(world.store.objects.size).toBe(200);
      const entries = Object.values(world.state.json('inbox')?.uids ?? {});
      // Committed: the gone UIDs, recorded deleteSent, are pruned (never read as a UID epoch
      // change). Not committed: deleted now, after a TOP confirmed each one.
      if (commitsWhenCut) expect(entries).toHaveLength(0);
      else expect(entries.every((e) => e.status === 'deleted')).toBe(true);
    });
  }

  it('without finishBy (the CLI) deletes everything due, however long it takes', async () => {
    const { world, server } = slowWorld(50, { ...COSTS, quitMsPerDelete: 100 });
    const summary = await pollMailbox(policy, { ...world.deps(), source: server }, {});
    expect(summary).toMatchObject({ status: 'ok', stored: 50, deleted: 50, deletionsDeferred: 0 });
    expect(world.mailbox.messages).toHaveLength(0);
  });
});
