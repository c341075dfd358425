/**
 * Threats: a retried or concurrent poll overwrites (or double-stores) a message already in S3;
 * a re-used UID's new body is reported stored because some object sits under its key.
 * S3 conditional writes stop it; the emulator does not enforce them, so this runs against an
 * in-memory S3 that does, and asserts the headers actually sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdapterError } from '../../lambda/adapters/errors.js';
import { S3MessageStore } from '../../lambda/adapters/s3/message-store.js';
import { useTempDir } from '../support/temp-dir.js';
import { fakeS3, s3Error, type FakeS3 } from './fake-s3.js';

const MiB = 1024 * 1024;

async function* chunked(bytes: Uint8Array, chunkSize = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
}

function request(key: string, body: Uint8Array) {
  return { key, body: chunked(body), uidHash: 'h', fetchedAt: new Date('2026-01-01T00:00:00Z'), kind: 'full' as const };
}

describe('S3MessageStore conditional create', () => {
  let s3: FakeS3;
  const spoolDir = useTempDir('s3-cond-');

  beforeEach(async () => {
    s3 = fakeS3();
  });
  afterEach(async () => {
    s3.mock.restore();
  });

  it('sends a small message with If-None-Match: *, its SHA-256 checksum and metadata', async () => {
    // Prepare
    const body = Buffer.from('Subject: x\r\n\r\nhello\r\n');
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', tmpDir: spoolDir() });

    // Act
    await store.put(request('m/1.eml', body));

    // Assess
    const [call] = s3.mock.commandCalls(PutObjectCommand);
    const input = call!.args[0].input;
    expect(input.IfNoneMatch).toBe('*');
    expect(input.ContentType).toBe('message/rfc822');
    expect(input.ChecksumSHA256).toBe(createHash('sha256').update(body).digest('base64'));
    expect(input.Metadata).toMatchObject({ 'uid-hash': 'h', size: String(body.byteLength), kind: 'full', 'fetched-at': '2026-01-01T00:00:00.000Z' });
  });

  it('after a 412, answers already-stored only when the object\'s SHA-256 metadata matches, else conflict', async () => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', tmpDir: spoolDir() });
    const first = await store.put(request('m/1.eml', Buffer.from('first')));
    const same = await store.put(request('m/1.eml', Buffer.from('first')));
    const other = await store.put(request('m/1.eml', Buffer.from('second')));

    expect(first.status).toBe('stored');
    expect(same).toMatchObject({ status: 'already-stored', location: { bucket: 'b', key: 'm/1.eml' }, size: 5, sha256: createHash('sha256').update('first').digest('hex') });
    expect(other).toMatchObject({ status: 'conflict', size: 6, sha256: createHash('sha256').update('second').digest('hex') });
    expect(s3.objects.get('b/m/1.eml')?.body.toString()).toBe('first');
    expect(s3.mock.commandCalls(HeadObjectCommand)).toHaveLength(2);
  });

  it('answers conflict, never already-stored, for an object without SHA-256 metadata (not one we wrote)', async () => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', tmpDir: spoolDir() });
    s3.objects.set('b/m/1.eml', { body: Buffer.from('same'), etag: '"e"' });

    const result = await store.put(request('m/1.eml', Buffer.from('same')));

    expect(result.status).toBe('conflict');
  });

  it('completes a multipart upload with If-None-Match: * and, on 412 from another object, answers conflict and aborts the upload', async () => {
    // Prepare: the key exists already
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', partSizeBytes: 5 * MiB, tmpDir: spoolDir() });
    s3.objects.set('b/m/big.eml', { body: Buffer.from('existing'), etag: '"e"' });
    const big = randomBytes(11 * MiB + 3);

    // Act
    const result = await store.put(request('m/big.eml', big));

    // Assess
    expect(result.status).toBe('conflict');
    expect(result.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(s3.mock.commandCalls(UploadPartCommand)).toHaveLength(3);
    expect(s3.mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.IfNoneMatch).toBe('*');
    expect(s3.mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.objects.get('b/m/big.eml')?.body.toString()).toBe('existing');
    expect(await readdir(spoolDir())).toEqual([]);
  });

  it('puts the final size and SHA-256 in CreateMultipartUpload metadata and a checksum on every part', async () => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', partSizeBytes: 5 * MiB, tmpDir: spoolDir() });
    const big = randomBytes(10 * MiB + 1);

    const result = await store.put(request('m/big.eml', big));

    expect(result.status).toBe('stored');
    const created = s3.mock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input;
    expect(created.Metadata).toMatchObject({ size: String(big.byteLength), sha256: createHash('sha256').update(big).digest('hex') });
    expect(created.ChecksumAlgorithm).toBe('SHA256');
    const parts = s3.mock.commandCalls(UploadPartCommand).map((call) => call.args[0].input);
    expect(parts.map((part) => part.ContentLength)).toEqual([5 * MiB, 5 * MiB, 1]);
    expect(parts.every((part) => typeof part.ChecksumSHA256 === 'string')).toBe(true);
    expect(s3.objects.get('b/m/big.eml')?.body.equals(big)).toBe(true);
  });

  it('aborts the multipart upload and deletes the spool file when a part fails', async () => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', partSizeBytes: 5 * MiB, tmpDir: spoolDir() });
    s3.mock.on(UploadPartCommand).rejects(s3Error('InternalError', 500));

    const error = await store.put(request('m/big.eml', randomBytes(6 * MiB))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toMatchObject({ code: 'STORE_FAILED', category: 'transient', retryable: true });
    expect(s3.mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.objects.size).toBe(0);
    expect(await readdir(spoolDir())).toEqual([]);
  });

  it('never completes an upload whose part was not sent in full (STORE_INTEGRITY)', async () => {
    // Prepare: an S3 that acknowledges a part without reading its body
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', partSizeBytes: 5 * MiB, tmpDir: spoolDir() });
    s3.mock.on(UploadPartCommand).resolves({ ETag: '"p"' });

    const error = await store.put(request('m/big.eml', randomBytes(6 * MiB))).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'STORE_INTEGRITY' });
    expect(s3.mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('treats 409 ConditionalRequestConflict as a transient failure, not as stored', async () => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', tmpDir: spoolDir() });
    s3.mock.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));

    const error = await store.put(request('m/1.eml', Buffer.from('x'))).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'STORE_FAILED', category: 'transient', retryable: true });
  });

  it('maps refused credentials to an auth error', async () => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', tmpDir: spoolDir() });
    s3.mock.on(PutObjectCommand).rejects(s3Error('InvalidAccessKeyId', 403));

    const error = await store.put(request('m/1.eml', Buffer.from('x'))).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'STORE_FAILED', category: 'auth', retryable: false });
  });

  it('passes the source stream\'s own error through and leaves no spool file', async () => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', partSizeBytes: 5 * MiB, tmpDir: spoolDir() });
    const boom = new Error('connection reset by POP3 server');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(6 * MiB);
      throw boom;
    }

    const error = await store.put({ key: 'm/x.eml', body: failing(), uidHash: 'h', fetchedAt: new Date(), kind: 'full' }).catch((e: unknown) => e);

    expect(error).toBe(boom);
    expect(s3.mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(await readdir(spoolDir())).toEqual([]);
  });

  it('reports a spool folder it cannot write as STORE_FAILED before starting an upload', async () => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', partSizeBytes: 5 * MiB, tmpDir: join(spoolDir(), 'missing') });

    const error = await store.put(request('m/big.eml', randomBytes(6 * MiB))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toMatchObject({ code: 'STORE_FAILED' });
    expect(s3.mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it.each(['', '/abs.eml', 'a/../b.eml', 'a\nb.eml', 'k'.repeat(1025)])('refuses the object key %j without calling S3', async (key) => {
    const store = new S3MessageStore({ client: s3.client, bucket: 'b', tmpDir: spoolDir() });
    await expect(store.put(request(key, Buffer.from('x')))).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(s3.mock.calls()).toHaveLength(0);
  });

  it('rejects a part size S3 would refuse', () => {
    expect(() => new S3MessageStore({ client: s3.client, bucket: 'b', partSizeBytes: 1024 })).toThrow(/partSizeBytes/);
  });
});
