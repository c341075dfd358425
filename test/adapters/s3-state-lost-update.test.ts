/**
 * Threat: two pollers load the same state and both save, the second silently erasing the first
 * one's record of what was stored (and so re-fetching or, worse, deleting unrecorded mail).
 * S3StateStore saves with If-Match / If-None-Match; the loser gets STATE_CONFLICT.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdapterError } from '../../lambda/adapters/errors.js';
import { S3StateStore } from '../../lambda/adapters/s3/state-store.js';
import { fakeS3, s3Error, type FakeS3 } from './fake-s3.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('S3StateStore compare-and-swap', () => {
  let s3: FakeS3;
  beforeEach(() => {
    s3 = fakeS3();
  });
  afterEach(() => s3.mock.restore());

  it('loads null for a mailbox without state, then creates it with If-None-Match: *', async () => {
    const store = new S3StateStore({ client: s3.client, bucket: 'b', prefix: 'p/' });

    expect(await store.load('box')).toBeNull();
    const version = await store.save('box', text('{"v":1}'), null);

    const input = s3.mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input.Key).toBe('p/state/box.json');
    expect(input.IfNoneMatch).toBe('*');
    expect(input.IfMatch).toBeUndefined();
    // Stored gzip-compressed and labelled so (the fake keeps the bytes as sent).
    expect(input.ContentEncoding).toBe('gzip');
    expect(input.ContentType).toBe('application/json');
    const loaded = await store.load('box');
    expect(loaded && decode(loaded.body)).toBe('{"v":1}');
    expect(loaded?.version).toBe(version);
  });

  it('saves with If-Match on the loaded ETag', async () => {
    const store = new S3StateStore({ client: s3.client, bucket: 'b' });
    const v1 = await store.save('box', text('1'), null);

    const v2 = await store.save('box', text('2'), v1);

    expect(s3.mock.commandCalls(PutObjectCommand)[1]!.args[0].input.IfMatch).toBe(v1);
    expect(v2).not.toBe(v1);
  });

  it('lets exactly one of two writers that loaded the same version win', async () => {
    // Prepare
    const a = new S3StateStore({ client: s3.client, bucket: 'b' });
    const b = new S3StateStore({ client: s3.client, bucket: 'b' });
    await a.save('box', text('base'), null);
    const loadedA = await a.load('box');
    const loadedB = await b.load('box');

    // Act
    await a.save('box', text('from A'), loadedA!.version);
    const error = await b.save('box', text('from B'), loadedB!.version).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toMatchObject({ code: 'STATE_CONFLICT' });
    expect(decode((await a.load('box'))!.body)).toBe('from A');
  });

  it('refuses to create state that another writer created first', async () => {
    const store = new S3StateStore({ client: s3.client, bucket: 'b' });
    await store.save('box', text('first'), null);

    await expect(store.save('box', text('second'), null)).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
  });

  it('reports 409 ConditionalRequestConflict and a vanished document as STATE_CONFLICT', async () => {
    const store = new S3StateStore({ client: s3.client, bucket: 'b' });
    await expect(store.save('box', text('x'), '"gone"')).rejects.toMatchObject({ code: 'STATE_CONFLICT' });

    s3.mock.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));
    await expect(store.save('box', text('x'), null)).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
  });

  it('reports other failures as STATE_FAILED with the SDK category', async () => {
    const store = new S3StateStore({ client: s3.client, bucket: 'b' });
    s3.mock.on(PutObjectCommand).rejects(s3Error('InternalError', 500));

    await expect(store.save('box', text('x'), null)).rejects.toMatchObject({ code: 'STATE_FAILED', category: 'transient' });
  });

  it('never builds a key from a mailbox id that could escape the prefix', async () => {
    const store = new S3StateStore({ client: s3.client, bucket: 'b', prefix: 'p/' });
    await expect(store.load('../other')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.save('a/b', text('x'), null)).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });
});
