import { describe, expect, it } from 'vitest';
import { checkpointDue } from '../../lambda/sync/checkpoint.js';
import { SYNC_LIMITS } from '../../lambda/sync/limits.js';

describe('checkpoint-quadratic-import: the checkpoint threshold grows with the seen-state', () => {
  it('saves every 100 recorded messages (or 10 s) while the state is small', () => {
    expect(checkpointDue(500, 99, 0)).toBe(false);
    expect(checkpointDue(500, 100, 0)).toBe(true);
    expect(checkpointDue(500, 1, SYNC_LIMITS.checkpointEveryMs)).toBe(true);
  });

  it('waits for 10% of the state (and a proportionally longer interval) once it is large', () => {
    expect(checkpointDue(10_000, 999, 0)).toBe(false);
    expect(checkpointDue(10_000, 1_000, 0)).toBe(true);
    // 10x the threshold, 10x the interval: timer saves write about the same octets per second.
    expect(checkpointDue(10_000, 1, 10 * SYNC_LIMITS.checkpointEveryMs - 1)).toBe(false);
    expect(checkpointDue(10_000, 1, 10 * SYNC_LIMITS.checkpointEveryMs)).toBe(true);
  });
});
