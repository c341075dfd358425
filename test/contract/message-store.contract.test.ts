/**
 * One contract, three MessageStores: the in-memory fake the sync-core tests use, the local
 * folder, and S3 through the real SDK over HTTP to a loopback S3 that enforces If-None-Match.
 * A fake that passed where a real store fails would let the core's tests prove nothing.
 *
 * The contract (lambda/sync/ports.ts): stored; already-stored only for the same bytes; conflict
 * for other bytes with the old object untouched; of concurrent puts of one key exactly one
 * writes; commit() makes every earlier stored or confirmed object durable before it resolves;
 * a body that fails midway leaves nothing behind and its own error is what the caller sees.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_SYNC } from '../../lambda/adapters/local/durable-fs.js';
import { FolderMessageStore } from '../../lambda/adapters/local/folder-store.js';
import { S3MessageStore } from '../../lambda/adapters/s3/message-store.js';
import type { MessageStore, StoreRequest } from '../../lambda/sync/ports.js';
import { startFakeS3Server, type FakeS3Server } from '../adapters/fake-s3-server.js';
import { Faults } from '../support/faults.js';
import { MemoryStore } from '../support/memory-stores.js';
import { useTempDir } from '../support/temp-dir.js';

/** A store under test and what the contract needs to see behind it. */
interface Subject {
  store: MessageStore;
  /** The bytes under `key`, or undefined. */
  read(key: string): Promise<Buffer | undefined>;
  /** The SHA-256 a consumer reads for the object without the state (S3: metadata; folder: the file's own). */
  recordedSha256(key: string): Promise<string | undefined>;
  /** Everything the store left behind: objects, temp files, open multipart uploads. */
  leftovers(): Promise<string[]>;
  /** Keys whose object is durable now (a crash could not lose them). */
  durable(): Promise<Set<string>>;
}

const MiB = 1024 * 1024;
const sha = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

async function* chunked(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

/** Set per run of the contract: also hand a Uint8Array body over whole (StoreRequest.bytes), as the core does for small bodies. */
let inMemory = false;

function request(key: string, body: Uint8Array | AsyncIterable<Uint8Array>, chunkSize?: number): StoreRequest {
  const source = body instanceof Uint8Array ? chunked(body, chunkSize) : body;
  const bytes = inMemory && body instanceof Uint8Array ? { bytes: body } : {};
  return { key, body: source, ...bytes, uidHash: 'u', fetchedAt: new Date('2026-05-06T07:08:09.000Z'), kind: 'full' };
}

function memorySubject(): Subject {
  const store = new MemoryStore({ faults: new Faults() });
  return {
    store,
    read: async (key) => {
      const object = store.objects.get(key);
      return object ? Buffer.from(object.body) : undefined;
    },
    recordedSha256: async (key) => store.objects.get(key)?.sha256,
    leftovers: async () => [...store.objects.keys()],
    durable: async () => new Set(store.durable),
  };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

function folderSubject(root: string): Subject {
  const syncedFiles = new Set<string>();
  const syncedDirs = new Set<string>();
  const store = new FolderMessageStore({
    dir: root,
    sync: {
      file: async (handle, path) => {
        await SYSTEM_SYNC.file(handle, path);
        syncedFiles.add(path);
      },
      dir: async (path) => {
        await SYSTEM_SYNC.dir(path);
        syncedDirs.add(path);
      },
    },
  });
  return {
    store,
    read: (key) => readFile(join(root, key)).catch(() => undefined),
    // The folder keeps nothing beside a message: the file's own hash is what a consumer reads.
    recordedSha256: async (key) => {
      const bytes = await readFile(join(root, key)).catch(() => undefined);
      return bytes === undefined ? undefined : sha(bytes);
    },
    leftovers: async () => (await walk(root)).map((path) => relative(root, path)),
    // Durable: the file's bytes synced and the directory holding its name synced after.
    durable: async () => {
      const keys = await walk(root);
      return new Set(keys.filter((path) => syncedFiles.has(path) && syncedDirs.has(join(path, '..'))).map((path) => relative(root, path)));
    },
  };
}

function s3Subject(server: FakeS3Server, tmpDir: string): Subject {
  const store = new S3MessageStore({ client: server.client(), bucket: 'contract', partSizeBytes: 5 * MiB, tmpDir });
  const prefix = 'contract/';
  const keys = (): string[] => [...server.model.objects.keys()].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
  return {
    store,
    read: async (key) => server.model.objects.get(prefix + key)?.body,
    recordedSha256: async (key) => server.model.objects.get(prefix + key)?.metadata?.sha256,
    leftovers: async () => [...keys(), ...Array.from({ length: server.model.openUploads() }, (_, i) => `upload ${i}`)],
    // S3 answers 200 only once the object is stored redundantly.
    durable: async () => new Set(keys()),
  };
}

let s3Server: FakeS3Server;
beforeAll(async () => {
  s3Server = await startFakeS3Server();
});
afterAll(async () => {
  await s3Server.stop();
});

const subjects = [
  ['memory', (): Subject => memorySubject()],
  ['folder', (dir: string): Subject => folderSubject(dir)],
  ['s3', (dir: string): Subject => {
    s3Server.model.objects.clear();
    return s3Subject(s3Server, dir);
  }],
] as const;

// Each store twice: bodies streamed, and small bodies also given whole (the folder store then
// writes on its own thread, a path of its own that must keep the same contract).
describe.each(subjects.flatMap(([name, make]) => [[`${name}, streamed`, make, false], [`${name}, in memory`, make, true]] as const))('MessageStore contract: %s', (_name, make, whole) => {
  const dir = useTempDir('store-contract-');
  beforeAll(() => {
    inMemory = whole;
  });

  it('stores a new key: status, size, SHA-256, location, bytes and the recorded hash agree', async () => {
    const subject = make(dir());
    const body = randomBytes(10_001);

    const result = await subject.store.put(request('mail/box/full/a.eml', body));

    expect(result).toMatchObject({ status: 'stored', size: body.byteLength, sha256: sha(body) });
    expect(result.location.key).toBe('mail/box/full/a.eml');
    expect((await subject.read('mail/box/full/a.eml'))?.equals(body)).toBe(true);
    expect(await subject.recordedSha256('mail/box/full/a.eml')).toBe(sha(body));
  });

  it('answers already-stored for the same bytes (chunked differently), with this body\'s size and hash', async () => {
    const subject = make(dir());
    const body = randomBytes(5000);
    await subject.store.put(request('m/same.eml', body, 4096));

    const again = await subject.store.put(request('m/same.eml', body, 7));

    expect(again).toMatchObject({ status: 'already-stored', size: 5000, sha256: sha(body) });
  });

  it('answers conflict for other bytes under a taken key, and leaves the old object and its hash untouched', async () => {
    const subject = make(dir());
    const old = Buffer.from('Subject: old\r\n\r\nfirst generation\r\n');
    const reused = Buffer.from('Subject: new\r\n\r\na re-used UID\r\n');
    await subject.store.put(request('m/k.eml', old));

    const result = await subject.store.put(request('m/k.eml', reused));

    expect(result).toMatchObject({ status: 'conflict', size: reused.byteLength, sha256: sha(reused) });
    expect((await subject.read('m/k.eml'))?.equals(old)).toBe(true);
    expect(await subject.recordedSha256('m/k.eml')).toBe(sha(old));
    expect(await subject.leftovers()).toEqual(['m/k.eml']);
  });

  it.each([
    ['different', Buffer.from('writer one '.repeat(900)), Buffer.from('writer two '.repeat(901)), ['conflict', 'stored']],
    ['equal', Buffer.from('same bytes '.repeat(900)), Buffer.from('same bytes '.repeat(900)), ['already-stored', 'stored']],
  ])('lets exactly one of two concurrent puts of one key (%s bytes) write it', async (_kind, first, second, statuses) => {
    const subject = make(dir());

    const results = await Promise.all([subject.store.put(request('m/race.eml', first)), subject.store.put(request('m/race.eml', second))]);

    expect(results.map((r) => r.status).sort()).toEqual(statuses);
    const winner = results[0]!.status === 'stored' ? first : second;
    expect((await subject.read('m/race.eml'))?.equals(winner)).toBe(true);
    expect(await subject.recordedSha256('m/race.eml')).toBe(sha(winner));
  });

  it('makes every stored and already-stored object durable by the time commit() resolves', async () => {
    const subject = make(dir());
    const keys = ['c/1.eml', 'c/2.eml', 'c/3.eml'];
    await Promise.all(keys.map((key) => subject.store.put(request(key, Buffer.from(key)))));
    await subject.store.commit();
    await subject.store.put(request('c/4.eml', Buffer.from('c/4.eml')));
    const confirmed = await subject.store.put(request('c/1.eml', Buffer.from('c/1.eml')));

    await subject.store.commit();

    expect(confirmed.status).toBe('already-stored');
    const durable = await subject.durable();
    expect([...keys, 'c/4.eml'].filter((key) => !durable.has(key))).toEqual([]);
  });

  it.each([
    ['small', 3000],
    ['spooled (past one S3 part)', 6 * MiB],
  ])('leaves nothing behind when a %s body fails midway, passing the source\'s own error through', async (_kind, before) => {
    const subject = make(dir());
    const dropped = new Error('POP3 connection dropped');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* chunked(randomBytes(before), 256 * 1024);
      throw dropped;
    }

    const error = await subject.store.put(request('m/torn.eml', failing())).catch((e: unknown) => e);
    await subject.store.commit();

    expect(error).toBe(dropped);
    expect(await subject.leftovers()).toEqual([]);
    // The key is still free: the next fetch of that message stores it.
    expect((await subject.store.put(request('m/torn.eml', Buffer.from('whole')))).status).toBe('stored');
  });
});
