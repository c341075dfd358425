/**
 * Threat: a large message (or a mailbox of them) exhausts the Lambda's memory because the body is
 * buffered whole. Stores a generated 100 MB stream through S3MessageStore into the emulator (in a
 * child process, so its copy of the object is not counted) and bounds this process's RSS growth.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3MessageStore } from '../../lambda/adapters/s3/message-store.js';
import { startS3Server, testS3Client, type S3Server } from '../support/s3-server.js';
import { useTempDir } from '../support/temp-dir.js';

const MB = 1_000_000;
const TOTAL = 100 * MB;
const CHUNK = 64 * 1024;

/** A 100 MB body produced on the fly (fresh buffers, as a socket would), hashing what it yields. */
function generated(total: number, hash: ReturnType<typeof createHash>): AsyncIterable<Uint8Array> {
  const pattern = randomBytes(CHUNK + 7);
  return (async function* () {
    let sent = 0;
    let turn = 0;
    while (sent < total) {
      const size = Math.min(CHUNK, total - sent);
      const chunk = Buffer.allocUnsafe(size);
      pattern.copy(chunk, 0, turn % 7, (turn % 7) + size);
      chunk.writeUInt32BE(turn >>> 0, 0);
      hash.update(chunk);
      sent += size;
      turn += 1;
      yield chunk;
    }
  })();
}

describe('S3MessageStore memory on a 100 MB message', () => {
  let server: S3Server;
  let client: S3Client;
  const spoolDir = useTempDir('s3-mem-', 'all');

  beforeAll(async () => {
    server = await startS3Server();
    client = testS3Client(server.endpoint);
    await client.send(new CreateBucketCommand({ Bucket: 'mail' }));
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('keeps RSS growth bounded while streaming 100 MB through the spool and multipart upload', async () => {
    // Prepare: warm up the SDK and the code paths, then take the baseline
    const store = new S3MessageStore({ client, bucket: 'mail', tmpDir: spoolDir() });
    await store.put({ key: 'warmup.eml', body: generated(9 * 1024 * 1024, createHash('sha256')), uidHash: 'w', fetchedAt: new Date(), kind: 'full' });
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 5);
    const expected = createHash('sha256');

    // Act
    let result;
    try {
      result = await store.put({ key: 'big.eml', body: generated(TOTAL, expected), uidHash: 'b', fetchedAt: new Date(), kind: 'full' });
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage.rss());

    // Assess
    const growthMiB = (peak - baseline) / (1024 * 1024);
    console.log(`100 MB stored: RSS baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, peak ${(peak / 2 ** 20).toFixed(1)} MiB, growth ${growthMiB.toFixed(1)} MiB`);
    expect(growthMiB).toBeLessThan(64);
    const sha256 = expected.digest('hex');
    expect(result.size).toBe(TOTAL);
    expect(result.sha256).toBe(sha256);
    expect(await readdir(spoolDir())).toEqual([]);

    // Read back as a stream and hash: the emulator holds exactly what was hashed.
    const object = await client.send(new GetObjectCommand({ Bucket: 'mail', Key: 'big.eml' }));
    const readBack = createHash('sha256');
    let size = 0;
    for await (const chunk of object.Body as AsyncIterable<Uint8Array>) {
      readBack.update(chunk);
      size += chunk.byteLength;
    }
    expect(size).toBe(TOTAL);
    expect(readBack.digest('hex')).toBe(sha256);
    expect(object.Metadata?.sha256).toBe(sha256);
  }, 120_000);
});
