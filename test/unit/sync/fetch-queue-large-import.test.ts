/**
 * Threat: a first import of a big mailbox fails before fetching anything. With 1,000,000 kept
 * messages (200,000 per invocation), building the fetch queue spread every planned job into one
 * call and threw "RangeError: Maximum call stack size exceeded" (bench:million, issue 15).
 */
import { describe, expect, it } from 'vitest';
import { FetchQueue, type WindowJob } from '../../../lambda/sync/fetch-loop.js';

describe('FetchQueue', () => {
  it('takes an initial plan of 1,000,000 jobs and hands them out in order', () => {
    const jobs: WindowJob[] = Array.from({ length: 1_000_000 }, (_, i) => ({ msg: i + 1, fetch: 'full', size: 100 }));

    const queue = new FetchQueue(jobs);

    expect(queue.takeIf(() => true)?.msg).toBe(1);
    expect(queue.takeIf(() => true)?.msg).toBe(2);
    jobs.length = 0;
    // The queue holds its own copy: the planner's array is the planner's.
    expect(queue.pending).toBe(true);
  });
});
