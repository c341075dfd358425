/**
 * The backlog corpus of issue 6: deterministic message sizes (mostly 2-20 KB, one in
 * LARGE_EVERY 1-25 MB), seeded straight into a Dovecot maildir through the harness's seed(),
 * with the SHA-256 of every message kept so the drained bucket can be checked against it.
 */
import { createHash } from 'node:crypto';
import { makeMessage } from '../../test/support/corpus.js';
import type { DovecotServer } from '../../test/support/dovecot.js';

/** One message in LARGE_EVERY is large (1-25 MB); the rest are 2-20 KB. */
export const LARGE_EVERY = 1000;
const KB = 1024;
const MB = 1024 * 1024;

/** What was seeded: how many messages and octets, and the SHA-256 (hex) of each, with counts. */
export interface SeededCorpus {
  messages: number;
  bytes: number;
  largeMessages: number;
  /** SES inbound billing units for the same mails: one per started 256 KB of each message. */
  sesChunks: number;
  /** sha256 hex -> how many seeded messages have it (each message is unique, so 1). */
  sha256: Map<string, number>;
}

/** Size of message `i` (1-based): a cheap deterministic hash spreads sizes; every LARGE_EVERY-th is large. */
export function messageSize(i: number, smallOnly = false): number {
  const h = mix(i);
  if (!smallOnly && i % LARGE_EVERY === LARGE_EVERY / 2) return MB + (h % (24 * MB));
  return 2 * KB + (h % (18 * KB));
}

/** Seeds messages `first..first+count-1` into `user`'s maildir, in batches (memory stays bounded). */
export async function seedCorpus(dovecot: DovecotServer, user: string, count: number, options: { first?: number; smallOnly?: boolean } = {}): Promise<SeededCorpus> {
  const first = options.first ?? 1;
  const out: SeededCorpus = { messages: 0, bytes: 0, largeMessages: 0, sesChunks: 0, sha256: new Map() };
  const BATCH_BYTES = 64 * MB;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  for (let i = first; i < first + count; i += 1) {
    const size = messageSize(i, options.smallOnly);
    const message = makeMessage(i, size);
    const hash = createHash('sha256').update(message).digest('hex');
    out.sha256.set(hash, (out.sha256.get(hash) ?? 0) + 1);
    out.messages += 1;
    out.bytes += message.length;
    if (size >= MB) out.largeMessages += 1;
    out.sesChunks += Math.max(1, Math.ceil(message.length / (256 * KB)));
    batch.push(message);
    batchBytes += message.length;
    if (batch.length >= 500 || batchBytes >= BATCH_BYTES) {
      await dovecot.seed(user, batch);
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length > 0) await dovecot.seed(user, batch);
  return out;
}

/** A 32-bit integer hash (splitmix-style) so sizes look random but never change between runs. */
function mix(i: number): number {
  let x = (i + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
