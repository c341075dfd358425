/**
 * Harness of the crash matrix (crash-matrix-*.test.ts): for every failure point, every N and
 * every failure mode, one poll fails there, then clean polls run. Whatever happened, afterwards:
 * - every message has exactly the object its outcome calls for (created once, byte-identical),
 * - its event was published at least once, always with the same id,
 * - no message was ever deleted before it was stored in full AND published (checked at each
 *   QUIT commit, the instant the server removes it),
 * - with delete after-store every full message ends deleted, every other one stays; the
 *   seen-state owes no event.
 */
import { describe, expect, it } from 'vitest';
import {
  DETAIL_TYPE_HEADERS_FETCHED,
  DETAIL_TYPE_MESSAGE_SKIPPED,
  DETAIL_TYPE_MESSAGE_STORED,
} from '../../lambda/sync/events.js';
import { messageKey, uidHash } from '../../lambda/sync/keys.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { type FaultMode, type FaultPoint, MemoryWorld, mailText } from '../support/memory-ports.js';

/** More than one publish batch (10). */
export const MESSAGES = 13;

/** Points of the POP3 session (they also fail by dropping the connection). */
export const SESSION_POINTS: FaultPoint[] = ['open', 'list', 'fetch', 'body', 'dele', 'quit', 'quit-after'];
/** Points of the other ports (a first poll reads no segment: crash-matrix-two-polls.test.ts covers state-segment-get). */
export const PORT_POINTS: FaultPoint[] = [
  'lease', 'state-load', 'store', 'store-after', 'publish', 'publish-after', 'publish-entry', 'state-save', 'state-save-after',
  'state-segment-put', 'state-segment-put-after',
];

/** What should become of message i under a policy. */
export type Outcome = 'full' | 'headers' | 'skip-filter' | 'too-large';

/** Policy of the mixed variant: subjects pick the filter rule, message 13 is oversized. */
export const MIXED_POLICY: MailboxPolicy = {
  id: 'inbox',
  mode: 'full',
  delete: { kind: 'after-store' },
  limits: { maxMessageSize: 100_000 },
  filter: { rules: [{ subject: 'message 3', action: 'skip' }, { subject: '/message [0-9]*[02468]$/', action: 'headers' }], otherwise: 'full' },
};

function outcomeOf(policy: MailboxPolicy, i: number): Outcome {
  if (policy.mode === 'headers' && !policy.filter) return 'headers';
  if (!policy.filter) return 'full';
  if (i === 13) return 'too-large';
  if (String(i).startsWith('3')) return 'skip-filter';
  return i % 2 === 0 ? 'headers' : 'full';
}

const textOf = (i: number): string => mailText(i, `X-Pad: ${'p'.repeat(i * 3)}\r\n`);

/** Failure modes that make sense at a point. */
export function modesFor(point: FaultPoint): FaultMode[] {
  return SESSION_POINTS.includes(point) ? ['error', 'drop', 'kill'] : ['error', 'kill'];
}

interface Violation {
  uid: string;
  why: string;
}

/** A world with MESSAGES messages and a QUIT-time check that nothing unsafe is removed. */
export function buildWorld(policy: MailboxPolicy, clockStep = 0): { world: MemoryWorld; violations: Violation[] } {
  const world = new MemoryWorld();
  // A moving clock makes the time-based checkpoint fire after (almost) every publish batch.
  world.clock.step = clockStep;
  for (let i = 1; i <= MESSAGES; i++) {
    world.mailbox.add({ uid: `uid-${i}`, text: textOf(i), ...(outcomeOf(policy, i) === 'too-large' ? { listSize: 5_000_000 } : {}) });
  }
  // Several chunks per message, but not hundreds: keeps the body row of the matrix fast.
  world.mailbox.chunkSize = 24;
  const violations: Violation[] = [];
  world.mailbox.onCommit = (uids) => {
    for (const uid of uids) {
      if (!world.store.objects.has(messageKey('', 'inbox', uid, 'full'))) violations.push({ uid, why: 'deleted but not stored in full' });
      if (!world.store.durable.has(messageKey('', 'inbox', uid, 'full'))) violations.push({ uid, why: 'deleted before its object was committed (durable)' });
      const hash = uidHash('inbox', uid);
      if (!world.publisher.delivered.some((e) => e.detailType === DETAIL_TYPE_MESSAGE_STORED && e.detail['uidHash'] === hash)) {
        violations.push({ uid, why: 'deleted but not published' });
      }
    }
  };
  return { world, violations };
}

/** Three clean polls; each must succeed. */
export async function cleanPolls(world: MemoryWorld, policy: MailboxPolicy): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const summary = await pollMailbox(policy, world.deps());
    expect(summary.status, JSON.stringify(summary.error)).toBe('ok');
  }
}

const DETAIL_TYPE: Record<Outcome, string> = {
  full: DETAIL_TYPE_MESSAGE_STORED,
  headers: DETAIL_TYPE_HEADERS_FETCHED,
  'skip-filter': DETAIL_TYPE_MESSAGE_SKIPPED,
  'too-large': DETAIL_TYPE_MESSAGE_SKIPPED,
};

/** The invariants listed at the top of this file. */
export function assertInvariants(world: MemoryWorld, violations: Violation[], policy: MailboxPolicy, label: string): void {
  expect(violations, label).toEqual([]);
  let objects = 0;
  const remaining: string[] = [];
  for (let i = 1; i <= MESSAGES; i++) {
    const uid = `uid-${i}`;
    const outcome = outcomeOf(policy, i);
    const full = world.store.objects.get(messageKey('', 'inbox', uid, 'full'));
    const headers = world.store.objects.get(messageKey('', 'inbox', uid, 'headers'));
    expect(full !== undefined, `${label}: ${uid} full object`).toBe(outcome === 'full');
    expect(headers !== undefined, `${label}: ${uid} headers object`).toBe(outcome === 'headers' || outcome === 'too-large');
    if (full) expect(new TextDecoder().decode(full.body), label).toBe(textOf(i));
    if (headers) expect(new TextDecoder().decode(headers.body), label).toBe(textOf(i).slice(0, textOf(i).indexOf('\r\n\r\n') + 4));
    objects += (full ? 1 : 0) + (headers ? 1 : 0);
    const events = world.publisher.delivered.filter((e) => e.detailType === DETAIL_TYPE[outcome] && e.detail['uidHash'] === uidHash('inbox', uid));
    expect(events.length, `${label}: ${uid} published at least once`).toBeGreaterThanOrEqual(1);
    expect(new Set(events.map((e) => e.id)).size, `${label}: ${uid} one stable event id`).toBe(1);
    if (outcome !== 'full' || policy.delete.kind === 'never') remaining.push(uid);
  }
  // No second object, ever: every object was created exactly once.
  expect(world.store.objects.size, label).toBe(objects);
  expect(world.store.creates, label).toBe(objects);
  const uids = world.state.json('inbox')?.uids ?? {};
  expect(Object.values(uids).filter((e) => e.status === 'unpublished'), label).toEqual([]);
  expect(world.mailbox.uids(), label).toEqual(remaining);
}

/** Calls per point of one clean poll. */
export async function callCounts(policy: MailboxPolicy, clockStep: number): Promise<Map<FaultPoint, number>> {
  const { world } = buildWorld(policy, clockStep);
  await pollMailbox(policy, world.deps());
  return world.faults.calls;
}

/** Runs the whole matrix for one policy: every point, every N, every mode. */
export function crashMatrix(name: string, policy: MailboxPolicy, clockStep = 0): void {
  describe(`crash matrix (${name})`, () => {
    for (const point of [...PORT_POINTS, ...SESSION_POINTS]) {
      it(`survives a failure at every ${point} call, in every mode`, async () => {
        const counts = await callCounts(policy, clockStep);
        const total = counts.get(point) ?? 0;
        if (!['dele', 'quit', 'quit-after'].includes(point) || policy.delete.kind !== 'never') {
          expect(total, `a clean poll reaches ${point}`).toBeGreaterThan(0);
        }
        let runs = 0;
        for (let n = 1; n <= total; n++) {
          for (const mode of modesFor(point)) {
            // Prepare
            const { world, violations } = buildWorld(policy, clockStep);
            world.faults.failOn(point, n, mode);
            const label = `${point} #${n} (${mode})`;
            // Act: the failing poll must not throw, whatever broke.
            const failed = await pollMailbox(policy, world.deps());
            expect(world.faults.fired(point), label).toBe(true);
            expect(['ok', 'busy', 'failed'], label).toContain(failed.status);
            world.recover();
            await cleanPolls(world, policy);
            // Assess
            assertInvariants(world, violations, policy, label);
            runs += 1;
          }
        }
        expect(runs).toBe(total * modesFor(point).length);
      });
    }
  });
}
