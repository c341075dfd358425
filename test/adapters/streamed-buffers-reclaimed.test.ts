/**
 * Threat: a big message streamed through a store leaves its dead socket buffers to V8, which
 * collects them by heap allocation, not by their size outside the heap: a 100 MiB body grew the
 * CLI by ~20 MiB (bench/whole, section memory). The reclaimer runs a young-generation GC every
 * few MiB streamed, and must do so without leaving a `gc` global to later code.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RECLAIM_EVERY_BYTES, StreamReclaimer } from '../../lambda/adapters/reclaim.js';

describe('StreamReclaimer', () => {
  it('collects once per RECLAIM_EVERY_BYTES streamed, not per chunk', () => {
    const reclaimer = new StreamReclaimer();
    const chunk = 4096;
    for (let sent = 0; sent < 10 * RECLAIM_EVERY_BYTES; sent += chunk) reclaimer.add(chunk);
    expect(reclaimer.collections).toBe(10);
  });

  it('frees dead buffers outside the heap that the streaming left behind', () => {
    const reclaimer = new StreamReclaimer(1);
    // Warm up: the first call finds gc() and may run a collection of its own.
    reclaimer.add(1);
    const before = process.memoryUsage().arrayBuffers;
    // Dead as soon as made, like a socket read already written to disk.
    for (let i = 0; i < 4096; i++) Buffer.allocUnsafeSlow(4096).fill(i);
    const garbage = process.memoryUsage().arrayBuffers;
    reclaimer.add(1);
    const after = process.memoryUsage().arrayBuffers;
    expect(garbage - before).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(after - before).toBeLessThan(2 * 1024 * 1024);
  });

  it('leaves no gc global to this or any later context', () => {
    new StreamReclaimer(1).add(1);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
