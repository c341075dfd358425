/**
 * Threats: with a local folder the fsyncs of each group's commit set the pace of a poll; a
 * recorder that starts a group's commit only after the previous group was published and saved
 * leaves the disk idle meanwhile (issue 10). And the overlap must not let a group be announced
 * before its own commit resolved (docs/delivery-guarantees.md, invariant S).
 */
import { describe, expect, it } from 'vitest';
import { StateKeeper } from '../../lambda/sync/checkpoint.js';
import { SYNC_LIMITS } from '../../lambda/sync/limits.js';
import type { EventPublisher, Logger, MessageStore, OutgoingEvent, PublishResult, StoreRequest, StoreResult } from '../../lambda/sync/ports.js';
import { Recorder, type Outcome } from '../../lambda/sync/recorder.js';
import { newSummary } from '../../lambda/sync/summary.js';
import { Faults } from '../support/faults.js';
import { MemoryStateStore } from '../support/memory-stores.js';

/** A promise and its resolver, to hold a port call until the test releases it. */
function gate(): { promise: Promise<void>; release: () => void; released: boolean } {
  const g = { released: false } as { promise: Promise<void>; release: () => void; released: boolean };
  g.promise = new Promise<void>((resolve) => {
    g.release = () => {
      g.released = true;
      resolve();
    };
  });
  return g;
}

/** Resolves when `check()` holds, polling on the event loop (no timer). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

const noLog: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function outcome(i: number): Outcome {
  const event: OutgoingEvent = { id: `event-${i}`, detailType: 'Message Stored', detail: { i } };
  return { uid: `uid-${i}`, entry: { firstSeen: '2026-01-01T00:00:00.000Z', key: `k/${i}.eml`, kind: 'full', status: 'unpublished', listSize: 10 }, event, confirms: true };
}

describe('Recorder group commit', () => {
  it('starts the next group\'s commit while the previous group is being published, and announces no group before its own commit resolved', async () => {
    const commits: ReturnType<typeof gate>[] = [];
    const store: MessageStore = {
      put: (_request: StoreRequest): Promise<StoreResult> => Promise.reject(new Error('not used')),
      commit: () => {
        const held = gate();
        commits.push(held);
        return held.promise;
      },
    };
    const publishes: { events: number; commitsResolvedThen: number; held: ReturnType<typeof gate> }[] = [];
    const publisher: EventPublisher = {
      publish: async (events: readonly OutgoingEvent[]): Promise<PublishResult[]> => {
        const held = gate();
        publishes.push({ events: events.length, commitsResolvedThen: commits.filter((c) => c.released).length, held });
        await held.promise;
        return events.map((e) => ({ id: e.id, ok: true }));
      },
    };
    const clock = { now: () => new Date('2026-01-01T00:00:00.000Z') };
    const keeper = await StateKeeper.load(new MemoryStateStore({ faults: new Faults() }), clock, 'box');
    const recorder = new Recorder({ store, publisher, keeper, clock, logger: noLog, summary: newSummary('box', clock.now()), mailboxId: 'box' });
    const group = SYNC_LIMITS.publishGroupSize;

    for (let i = 0; i < group; i++) await recorder.add(outcome(i));
    expect(commits).toHaveLength(1);
    commits[0]?.release();
    await until(() => publishes.length === 1);
    // Group 1 is being published (held); group 2 forms now.
    for (let i = group; i < 2 * group; i++) await recorder.add(outcome(i));
    expect(commits).toHaveLength(2);

    // Group 1 done; group 2 waits for its commit, not announced before it resolves.
    publishes[0]?.held.release();
    const flushed = recorder.flush();
    await until(() => keeper.state.entries.get('uid-0')?.status === 'published');
    expect(publishes).toHaveLength(1);
    commits[1]?.release();
    await until(() => publishes.length === 2);
    publishes[1]?.held.release();
    await flushed;

    expect(publishes.map((p) => p.events)).toEqual([group, group]);
    expect(publishes.map((p) => p.commitsResolvedThen)).toEqual([1, 2]);
    expect(keeper.state.entries.get(`uid-${2 * group - 1}`)?.status).toBe('published');
  });
});
