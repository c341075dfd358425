/**
 * Threat: a corrupt or hostile state object that is small in S3 but inflates to gigabytes,
 * exhausting the Lambda's memory on every poll. The gunzip is bounded by
 * MAX_STATE_DOCUMENT_BYTES; past it the load fails with a clear STATE_FAILED.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterError } from '../../lambda/adapters/errors.js';
import { S3StateStore } from '../../lambda/adapters/s3/state-store.js';
import { startS3Server, testS3Client, type S3Server } from '../support/s3-server.js';

describe('the S3 state document, decompressed', () => {
  let s3: S3Server;
  let client: S3Client;
  beforeAll(async () => {
    s3 = await startS3Server();
    client = testS3Client(s3.endpoint);
    await client.send(new CreateBucketCommand({ Bucket: 'state' }));
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });

  it('refuses a document that inflates past the maximum, before holding it all', async () => {
    // Prepare: 8 MiB of zeros gzip to ~8 KB; the store is set to 1 MiB so the test stays fast
    // (the default, MAX_STATE_DOCUMENT_BYTES, is the same mechanism at 512 MiB)
    const max = 1024 * 1024;
    const bomb = gzipSync(Buffer.alloc(8 * max), { level: 9 });
    await client.send(new PutObjectCommand({ Bucket: 'state', Key: 'state/bomb.json', Body: bomb, ContentEncoding: 'gzip' }));
    const store = new S3StateStore({ client, bucket: 'state', maxDocumentBytes: max });

    // Act
    const error = await store.load('bomb').then(() => undefined, (e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toMatchObject({ code: 'STATE_FAILED', retryable: false });
    expect((error as Error).message).toContain(`inflates past ${max} bytes`);

  });

  it('still loads a normal compressed document', async () => {
    const store = new S3StateStore({ client, bucket: 'state' });
    const version = await store.save('normal', new TextEncoder().encode('{"v":1}'), null);

    const loaded = await store.load('normal');

    expect(new TextDecoder().decode(loaded?.body)).toBe('{"v":1}');
    expect(loaded?.version).toBe(version);
  });
});
