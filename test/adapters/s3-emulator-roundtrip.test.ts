import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRequests } from '../../lambda/adapters/aws-counter.js';
import { S3LeaseStore } from '../../lambda/adapters/s3/lease-store.js';
import { S3MessageStore } from '../../lambda/adapters/s3/message-store.js';
import { S3StateStore } from '../../lambda/adapters/s3/state-store.js';
import { startS3Server, testS3Client, type S3Server } from '../support/s3-server.js';
import { useTempDir } from '../support/temp-dir.js';

const MiB = 1024 * 1024;

/** Yields `bytes` in chunks of `chunkSize`, like a POP3 body stream. */
async function* chunked(bytes: Uint8Array, chunkSize = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
    yield bytes.subarray(offset, offset + chunkSize);
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('S3 adapters against a real S3 API (fauxqs on loopback)', () => {
  let server: S3Server;
  let client: S3Client;
  const spoolDir = useTempDir('s3-store-spool-', 'all');
  const bucket = 'mail';

  beforeAll(async () => {
    server = await startS3Server();
    client = testS3Client(server.endpoint);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  async function readBack(key: string): Promise<Buffer> {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  it('stores a small message in one PutObject, byte for byte, with its metadata', async () => {
    // Prepare
    const message = Buffer.from('From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n.. dotted\r\n');
    const store = new S3MessageStore({ client, bucket, tmpDir: spoolDir() });
    const fetchedAt = new Date('2026-01-02T03:04:05.000Z');

    // Act
    const result = await store.put({ key: 'mail/small.eml', body: chunked(message, 7), uidHash: 'u1', fetchedAt, kind: 'full' });

    // Assess
    expect(result).toEqual({ status: 'stored', location: { bucket, key: 'mail/small.eml' }, size: message.byteLength, sha256: sha256Hex(message) });
    expect((await readBack('mail/small.eml')).equals(message)).toBe(true);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mail/small.eml' }));
    expect(head.ContentType).toBe('message/rfc822');
    expect(head.Metadata).toEqual({
      'uid-hash': 'u1', size: String(message.byteLength), sha256: sha256Hex(message), 'fetched-at': fetchedAt.toISOString(), kind: 'full',
    });
  });

  it('stores an empty message', async () => {
    const store = new S3MessageStore({ client, bucket, tmpDir: spoolDir() });
    const result = await store.put({ key: 'mail/empty.eml', body: chunked(new Uint8Array(0)), uidHash: 'u0', fetchedAt: new Date(), kind: 'headers' });
    expect(result.size).toBe(0);
    expect(result.sha256).toBe(sha256Hex(new Uint8Array(0)));
    expect((await readBack('mail/empty.eml')).byteLength).toBe(0);
  });

  it('stores a 20 MiB message as a multipart upload, byte for byte, and leaves no spool file', async () => {
    // Prepare: 5 MiB parts, chunks that do not divide the part size, so chunks straddle parts
    const message = randomBytes(20 * MiB + 12_345);
    const store = new S3MessageStore({ client, bucket, partSizeBytes: 5 * MiB, tmpDir: spoolDir() });
    const fetchedAt = new Date();

    // Act
    const result = await store.put({ key: 'mail/large.eml', body: chunked(message, 100_003), uidHash: 'u20', fetchedAt, kind: 'full' });

    // Assess
    expect(result.status).toBe('stored');
    expect(result.size).toBe(message.byteLength);
    expect(result.sha256).toBe(sha256Hex(message));
    expect((await readBack('mail/large.eml')).equals(message)).toBe(true);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mail/large.eml' }));
    expect(head.ContentType).toBe('message/rfc822');
    expect(head.Metadata?.sha256).toBe(sha256Hex(message));
    expect(head.Metadata?.size).toBe(String(message.byteLength));
    expect(await readdir(spoolDir())).toEqual([]);
  });

  it('stores a body of exactly one part in memory, and one byte more through the spool', async () => {
    const store = new S3MessageStore({ client, bucket, partSizeBytes: 5 * MiB, tmpDir: spoolDir() });
    for (const size of [5 * MiB, 5 * MiB + 1]) {
      const message = randomBytes(size);
      const result = await store.put({ key: `mail/edge-${size}.eml`, body: chunked(message, MiB), uidHash: 'e', fetchedAt: new Date(), kind: 'full' });
      expect(result.sha256).toBe(sha256Hex(message));
      expect((await readBack(`mail/edge-${size}.eml`)).equals(message)).toBe(true);
    }
    expect(await readdir(spoolDir())).toEqual([]);
  });

  it('spends one request on a small message and 2 + parts on a large one', async () => {
    // Prepare: a fresh client, so the counts are this test's own
    const counted = testS3Client(server.endpoint);
    const counter = countRequests(counted);
    const store = new S3MessageStore({ client: counted, bucket, partSizeBytes: 5 * MiB, tmpDir: spoolDir() });

    // Act
    await store.put({ key: 'budget/small.eml', body: chunked(randomBytes(10_000)), uidHash: 's', fetchedAt: new Date(), kind: 'full' });
    const afterSmall = { ...counter.counts };
    await store.put({ key: 'budget/large.eml', body: chunked(randomBytes(12 * MiB)), uidHash: 'l', fetchedAt: new Date(), kind: 'full' });

    // Assess
    expect(afterSmall).toEqual({ PutObjectCommand: 1 });
    expect(counter.counts).toEqual({
      PutObjectCommand: 1, CreateMultipartUploadCommand: 1, UploadPartCommand: 3, CompleteMultipartUploadCommand: 1,
    });
    counted.destroy();
  });

  it('round-trips the state document and its ETag through the real S3 wire format', async () => {
    const state = new S3StateStore({ client, bucket, prefix: 'ingest/' });
    expect(await state.load('box')).toBeNull();

    const v1 = await state.save('box', new TextEncoder().encode('{"seen":[]}'), null);
    const loaded = await state.load('box');
    const v2 = await state.save('box', new TextEncoder().encode('{"seen":["a"]}'), v1);

    expect(new TextDecoder().decode(loaded!.body)).toBe('{"seen":[]}');
    expect(loaded!.version).toBe(v1);
    expect(v2).not.toBe(v1);
    expect(new TextDecoder().decode((await state.load('box'))!.body)).toBe('{"seen":["a"]}');
  });

  it('stores the state document gzip-compressed, so a 100,000-UID keep-mode state stays small', async () => {
    // Prepare: the shape of a real seen-state entry (~200 bytes of JSON each).
    const state = new S3StateStore({ client, bucket, prefix: 'big/' });
    const entries = Array.from({ length: 100_000 }, (_, i) => {
      const uid = createHash('sha1').update(String(i)).digest('hex').slice(0, 24);
      const key = `mail/box/full/${createHash('sha256').update(uid).digest('hex')}.eml`;
      return `"${uid}":{"firstSeen":"2026-01-01T00:00:00.000Z","key":"${key}","kind":"full","status":"published","size":${4096 + i}}`;
    });
    const json = new TextEncoder().encode(`{"uids":{${entries.join(',')}}}`);

    // Act
    await state.save('box', json, null);

    // Assess: compressed at rest (the Content-Encoding label is checked in s3-state-lost-update),
    // and the exact bytes come back.
    const stored = await readBack('big/state/box.json');
    expect(stored.length).toBeLessThan(json.length / 3);
    expect(gunzipSync(stored).equals(Buffer.from(json))).toBe(true);
    expect(Buffer.from((await state.load('box'))!.body).equals(Buffer.from(json))).toBe(true);
  });

  it('still loads a state document written uncompressed by an earlier version', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'old/state/box.json', Body: '{"seen":["old"]}', ContentType: 'application/json' }));

    const loaded = await new S3StateStore({ client, bucket, prefix: 'old/' }).load('box');

    expect(new TextDecoder().decode(loaded!.body)).toBe('{"seen":["old"]}');
  });

  // The emulator ignores If-None-Match on writes, so contention is tested in s3-lease-double-poller.
  it('writes and releases a lease through the real S3 wire format', async () => {
    const leases = new S3LeaseStore({ client, bucket, prefix: 'ingest/' });
    const lease = await leases.acquire('box', 'poller-1', 60_000);
    expect(lease?.owner).toBe('poller-1');
    const stored = JSON.parse((await readBack('ingest/lease/box.json')).toString()) as { owner: string; expiresAt: string };
    expect(stored.owner).toBe('poller-1');
    expect(Date.parse(stored.expiresAt)).toBe(lease!.expiresAt.getTime());

    await lease!.release();

    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ingest/lease/box.json' }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});
