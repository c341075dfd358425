/**
 * Runs at different scales and on different days must drain the same corpus, or figures stop
 * being comparable: sizes are a pure function of the message number, within the ranges.
 */
import { describe, expect, it } from 'vitest';
import { LARGE_EVERY, messageSize } from '../corpus.js';

describe('the backlog corpus', () => {
  it('gives every message the same size on every run, in the issue ranges', () => {
    const sizes = Array.from({ length: 10_000 }, (_, i) => messageSize(i + 1));
    expect(sizes).toEqual(Array.from({ length: 10_000 }, (_, i) => messageSize(i + 1)));
    const large = sizes.filter((s) => s >= 1024 * 1024);
    expect(large).toHaveLength(10_000 / LARGE_EVERY);
    expect(large.every((s) => s <= 25 * 1024 * 1024)).toBe(true);
    expect(sizes.filter((s) => s < 1024 * 1024).every((s) => s >= 2 * 1024 && s < 20 * 1024)).toBe(true);
  });

  it('keeps the idle mailbox small-only', () => {
    expect(Array.from({ length: 5_000 }, (_, i) => messageSize(i + 1, true)).every((s) => s < 20 * 1024)).toBe(true);
  });
});
