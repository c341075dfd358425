/**
 * Keeps a streamed message's dead read buffers from piling up in memory.
 *
 * Why: a big body arrives as thousands of socket reads (Dovecot over TLS: 4 KiB each), each an
 * ArrayBuffer outside the JS heap that is freed only when V8's young-generation GC finds its
 * small wrapper dead. V8 runs that GC by heap allocation, not by those outside bytes, and grows
 * the young generation (up to 2 x 16 MiB) on a long stream: a 100 MiB message cost the CLI
 * ~20 MiB of dead buffers and young space, S3 multipart ~50 MiB (bench/whole, section memory).
 * `--max-semi-space-size` fixes it only as a start-up flag (V8 reads it when the heap is made:
 * `v8.setFlagsFromString` later changes nothing, measured). A young-generation GC every few MiB
 * streamed frees them instead, at ~1 ms each (a scavenge of a heap with few live objects).
 *
 * The collector is `gc()`, obtained once without a start-up flag: `--expose-gc` is raised just
 * long enough for a fresh vm context to install it, then lowered again so no later context
 * (user code, the parser) sees a `gc` global. Where that is refused, reclaiming is a no-op:
 * memory is then what V8 alone makes of it, nothing breaks.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Octets streamed between two young-generation GCs: the dead buffers it lets accumulate. 1 MiB,
 * not 4: with the CLI's smaller start-up heap (the bundle), 4 MiB let a 100 MiB message through
 * S3 multipart grow peak RSS by 25 MiB, 1 MiB by 12 (bench/whole, section memory), for about 100
 * scavenges of ~1 ms per 100 MiB.
 */
export const RECLAIM_EVERY_BYTES = 1024 * 1024;

type Collector = (options: { type: 'minor' | 'major' }) => unknown;

let collector: Collector | null | undefined;

/** The gc() function, found once; null when this runtime will not give it. */
function findCollector(): Collector | null {
  if (collector !== undefined) return collector;
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return (collector = exposed as Collector);
  try {
    setFlagsFromString('--expose-gc');
    try {
      const found = runInNewContext('typeof gc === "function" ? gc : undefined') as unknown;
      collector = typeof found === 'function' ? (found as Collector) : null;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  } catch {
    collector = null;
  }
  return collector;
}

/** Counts octets of one stream and runs a young-generation GC every `every` of them. */
export class StreamReclaimer {
  private since = 0;
  /** Young-generation GCs this reclaimer ran. */
  collections = 0;

  constructor(private readonly every = RECLAIM_EVERY_BYTES) {}

  /** Notes `octets` more streamed; collects once `every` accumulated since the last one. */
  add(octets: number): void {
    this.since += octets;
    if (this.since < this.every) return;
    this.since = 0;
    const gc = findCollector();
    if (gc === null) return;
    gc({ type: 'minor' });
    this.collections += 1;
  }
}
