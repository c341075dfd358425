/**
 * One contract, three StoredMessageReaders (replay's only view of the store): the in-memory
 * reader the sync-core tests use, the local folder (sidecar + file) and S3 through the real SDK
 * over HTTP to a loopback S3 (one ranged GET). Each reads back what its own MessageStore wrote:
 * size and SHA-256 of the whole object, at most `headBytes` leading octets, null when gone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderMessageReader } from '../../lambda/adapters/local/folder-reader.js';
import { FolderMessageStore } from '../../lambda/adapters/local/folder-store.js';
import { S3MessageReader } from '../../lambda/adapters/s3/message-reader.js';
import { S3MessageStore } from '../../lambda/adapters/s3/message-store.js';
import type { MessageStore, StoredMessageReader } from '../../lambda/sync/ports.js';
import { startFakeS3Server, type FakeS3Server } from '../adapters/fake-s3-server.js';
import { Faults } from '../support/faults.js';
import { MemoryStoreReader } from '../support/memory-reader.js';
import { MemoryStore } from '../support/memory-stores.js';
import { useTempDir } from '../support/temp-dir.js';

interface Subject {
  store: MessageStore;
  reader: StoredMessageReader;
  /** Removes the object under `key` behind the store's back (a lifecycle rule, a person). */
  remove(key: string): Promise<void>;
}

let s3Server: FakeS3Server;
beforeAll(async () => {
  s3Server = await startFakeS3Server();
});
afterAll(async () => {
  await s3Server.stop();
});

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe.each([
  ['memory', (): Subject => {
    const store = new MemoryStore({ faults: new Faults() });
    return { store, reader: new MemoryStoreReader(store), remove: async (key) => void store.objects.delete(key) };
  }],
  ['folder', (dir: string): Subject => ({
    store: new FolderMessageStore({ dir }),
    reader: new FolderMessageReader({ dir }),
    remove: (key) => rm(join(dir, key)),
  })],
  ['s3', (dir: string): Subject => {
    s3Server.model.objects.clear();
    s3Server.model.listPageSize = 2;
    const client = s3Server.client();
    return {
      store: new S3MessageStore({ client, bucket: 'contract', tmpDir: dir }),
      reader: new S3MessageReader({ client, bucket: 'contract' }),
      remove: async (key) => void s3Server.model.objects.delete(`contract/${key}`),
    };
  }],
])('StoredMessageReader contract: %s', (_name, make) => {
  const dir = useTempDir('reader-contract-');

  it('reads the whole object\'s size and SHA-256 and only the first octets asked for', async () => {
    // Prepare
    const subject = make(dir());
    const body = randomBytes(100_000);
    const key = 'mail/box/full/a.eml';
    await subject.store.put({ key, body: (async function* () { yield body; })(), uidHash: 'u', fetchedAt: new Date('2026-05-06T07:08:09.000Z'), kind: 'full' });
    await subject.store.commit();
    // Act
    const info = await subject.reader.read(key, 4096);
    const short = await subject.reader.read(key, 200_000);
    // Assess
    expect(info).toMatchObject({ size: body.length, sha256: sha(body), location: { key } });
    expect(Buffer.from(info!.head).equals(body.subarray(0, 4096))).toBe(true);
    expect(Buffer.from(short!.head).equals(body)).toBe(true);
  });

  it('lists the message keys under a prefix, across pages, without sidecars or other mailboxes', async () => {
    // Prepare: five messages of one mailbox (two folders deep) and one of another
    const subject = make(dir());
    const keys = ['mail/box/full/a.eml', 'mail/box/full/b.eml', 'mail/box/headers/c.eml', 'mail/box/e2/full/d.eml', 'mail/box/full/e.eml'];
    for (const key of [...keys, 'mail/boxer/full/x.eml']) {
      await subject.store.put({ key, body: (async function* () { yield Buffer.from(`Subject: ${key}\r\n\r\nbody\r\n`); })(), uidHash: 'u', fetchedAt: new Date(), kind: 'full' });
    }
    await subject.store.commit();
    // Act
    const listed: string[] = [];
    for await (const key of subject.reader.keysUnder('mail/box/')) listed.push(key);
    const none: string[] = [];
    for await (const key of subject.reader.keysUnder('mail/nobody/')) none.push(key);
    // Assess
    expect(listed.sort()).toEqual([...keys].sort());
    expect(none).toEqual([]);
  });

  it('answers null for a key whose object is gone', async () => {
    // Prepare
    const subject = make(dir());
    const key = 'mail/box/full/b.eml';
    await subject.store.put({ key, body: (async function* () { yield new Uint8Array([65, 13, 10]); })(), uidHash: 'u', fetchedAt: new Date(), kind: 'full' });
    await subject.store.commit();
    await subject.remove(key);
    // Act + Assess
    expect(await subject.reader.read(key, 1024)).toBeNull();
    expect(await subject.reader.read('mail/box/full/never.eml', 1024)).toBeNull();
  });
});
