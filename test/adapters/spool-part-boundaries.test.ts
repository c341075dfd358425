/**
 * Threat: a chunk that straddles a part boundary lands in the wrong part (or its hash in the
 * wrong part's checksum), so a multipart upload is rejected or, worse, stored corrupt. The spool
 * must give the same parts whatever the chunking, and every byte exactly once.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../lambda/adapters/s3/spool.js';
import { useTempDir } from '../support/temp-dir.js';

async function* split(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b)) {
    // Fresh copies, as a socket would hand them over.
    yield Uint8Array.from(bytes.subarray(start, cut));
    start = cut;
  }
  yield Uint8Array.from(bytes.subarray(start));
}

const sha = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

describe('spool part boundaries', () => {
  const dir = useTempDir('spool-', 'all');

  it('yields the same bytes, parts and hashes for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 1, max: 700 }),
        async (bytes, cuts, partSize) => {
          const body = await readBody(split(bytes, cuts), partSize, dir());
          expect(body.size).toBe(bytes.byteLength);
          expect(body.sha256.equals(sha(bytes))).toBe(true);
          if (body.kind === 'buffered') {
            expect(bytes.byteLength).toBeLessThanOrEqual(partSize);
            expect(Buffer.from(bytes).equals(body.bytes)).toBe(true);
            return;
          }
          try {
            expect(bytes.byteLength).toBeGreaterThan(partSize);
            const file = await readFile(body.path);
            expect(file.equals(Buffer.from(bytes))).toBe(true);
            expect(body.parts.map((p) => p.number)).toEqual(body.parts.map((_, i) => i + 1));
            for (const part of body.parts) {
              const last = part.number === body.parts.length;
              expect(part.offset).toBe((part.number - 1) * partSize);
              expect(last ? part.length <= partSize && part.length > 0 : part.length === partSize).toBe(true);
              expect(part.sha256.equals(sha(bytes.subarray(part.offset, part.offset + part.length)))).toBe(true);
            }
          } finally {
            await body.dispose();
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(await readdir(dir())).toEqual([]);
  });
});
