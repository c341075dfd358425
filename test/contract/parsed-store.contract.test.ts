/**
 * One contract, three ParsedObjectStores: the in-memory fake the sync-core tests use, the local
 * folder, and S3 through the real SDK over HTTP to a loopback S3 that enforces If-None-Match and
 * checks SHA-256 checksums.
 *
 * The contract (lambda/sync/ports.ts): stored; already-stored only for the same bytes; conflict
 * for other bytes with the old object untouched; the body read to its end in every case; a body
 * that does not match its announced SHA-256 is refused and leaves nothing; metadata from
 * parsedObjectMetadata (the untrusted filename only percent-encoded); readMessage streams back
 * what the MessageStore stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderMessageStore } from '../../lambda/adapters/local/folder-store.js';
import { FolderParsedStore } from '../../lambda/adapters/local/parsed-folder.js';
import { S3MessageStore } from '../../lambda/adapters/s3/message-store.js';
import { S3ParsedStore } from '../../lambda/adapters/s3/parsed-store.js';
import { attachmentKey, messageJsonKey, type ParsedObject } from '../../lambda/parse/index.js';
import type { MessageStore, ParsedObjectStore } from '../../lambda/sync/ports.js';
import { startFakeS3Server, type FakeS3Server } from '../adapters/fake-s3-server.js';
import { Faults } from '../support/faults.js';
import { MemoryParsedStore, MemoryStore } from '../support/memory-stores.js';
import { useTempDir } from '../support/temp-dir.js';

/** A parsed store under test, the raw store beside it, and what the contract needs to see. */
interface Subject {
  parsed: ParsedObjectStore;
  raw: MessageStore;
  read(key: string): Promise<Buffer | undefined>;
  /** The metadata kept with the object (S3 user metadata, the sidecar's `metadata`). */
  metadata(key: string): Promise<Record<string, string> | undefined>;
  leftovers(): Promise<string[]>;
}

const MESSAGE = 'mail/box/full/0f0e.eml';
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Counts the chunks pulled, so a test sees the body was read to its end. */
function object(bytes: Buffer, extra: Partial<ParsedObject> = {}): { object: ParsedObject; pulled: () => number; chunks: number } {
  let pulled = 0;
  const chunks = Math.ceil(bytes.length / 1000);
  async function* body(): AsyncGenerator<Uint8Array> {
    for (let o = 0; o < bytes.length; o += 1000) {
      pulled += 1;
      yield bytes.subarray(o, o + 1000);
    }
  }
  const digest = sha(bytes);
  return {
    object: {
      key: attachmentKey(MESSAGE, digest), body: body(), size: bytes.length, sha256: digest, role: 'attachment', contentType: 'application/pdf',
      attachment: { filename: '../../etc/passwd\r\nX-Injected: 1 é.pdf', contentType: 'application/pdf', disposition: 'attachment', part: '2', size: bytes.length, sha256: digest },
      ...extra,
    },
    pulled: () => pulled,
    chunks,
  };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function memorySubject(): Subject {
  const world = { faults: new Faults() };
  const raw = new MemoryStore(world);
  const parsed = new MemoryParsedStore(world, raw);
  return {
    parsed, raw,
    read: async (key) => (parsed.objects.get(key) ? Buffer.from(parsed.objects.get(key)!.body) : undefined),
    metadata: async (key) => parsed.objects.get(key)?.meta.metadata,
    leftovers: async () => [...parsed.objects.keys(), ...raw.objects.keys()],
  };
}

function folderSubject(root: string): Subject {
  return {
    parsed: new FolderParsedStore({ dir: root }),
    raw: new FolderMessageStore({ dir: root }),
    read: (key) => readFile(join(root, key)).catch(() => undefined),
    metadata: async (key) => {
      const text = await readFile(join(root, `${key}.meta.json`), 'utf8').catch(() => undefined);
      return text === undefined ? undefined : (JSON.parse(text) as { metadata: Record<string, string> }).metadata;
    },
    leftovers: async () => (await walk(root)).map((p) => relative(root, p)).filter((p) => !p.endsWith('.meta.json')),
  };
}

function s3Subject(server: FakeS3Server): Subject {
  const client = server.client();
  const prefix = 'contract/';
  return {
    parsed: new S3ParsedStore({ client, bucket: 'contract' }),
    raw: new S3MessageStore({ client, bucket: 'contract' }),
    read: async (key) => server.model.objects.get(prefix + key)?.body,
    metadata: async (key) => server.model.objects.get(prefix + key)?.metadata,
    leftovers: async () => [...server.model.objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
  };
}

let s3Server: FakeS3Server;
beforeAll(async () => {
  s3Server = await startFakeS3Server();
});
afterAll(async () => {
  await s3Server.stop();
});

describe.each([
  ['memory', (): Subject => memorySubject()],
  ['folder', (dir: string): Subject => folderSubject(dir)],
  ['s3', (): Subject => {
    s3Server.model.objects.clear();
    return s3Subject(s3Server);
  }],
])('ParsedObjectStore contract: %s', (_name, make) => {
  const dir = useTempDir('parsed-contract-');

  it('stores a new object with its bytes and parsedObjectMetadata; the untrusted filename only percent-encoded', async () => {
    const subject = make(dir());
    const bytes = randomBytes(10_001);
    const { object: o } = object(bytes);

    const result = await subject.parsed.put(o);

    expect(result.status).toBe('stored');
    expect((await subject.read(o.key))?.equals(bytes)).toBe(true);
    const metadata = await subject.metadata(o.key);
    expect(metadata).toMatchObject({ role: 'attachment', sha256: sha(bytes), part: '2', disposition: 'attachment' });
    expect(metadata?.filename).toBe('..%2F..%2Fetc%2Fpasswd%0D%0AX-Injected%3A%201%20%C3%A9.pdf');
    expect(Object.values(metadata ?? {}).every((v) => /^[\x20-\x7e]*$/.test(v))).toBe(true);
  });

  it('streams an object larger than any in-memory buffer (S3: one streaming PutObject), and knows it again', async () => {
    const subject = make(dir());
    const bytes = randomBytes(9 * 1024 * 1024 + 3);

    const first = await subject.parsed.put(object(bytes).object);
    const again = object(bytes);
    const second = await subject.parsed.put(again.object);

    expect([first.status, second.status]).toEqual(['stored', 'already-stored']);
    expect(again.pulled()).toBe(again.chunks);
    expect((await subject.read(attachmentKey(MESSAGE, sha(bytes))))?.equals(bytes)).toBe(true);
  });

  it('answers already-stored for the same bytes and conflict for other bytes, reading each body to its end', async () => {
    const subject = make(dir());
    const bytes = randomBytes(5000);
    await subject.parsed.put(object(bytes).object);
    const same = object(bytes);
    const other = object(randomBytes(7000), { key: messageJsonKey(MESSAGE), role: 'message-json', contentType: 'application/json' });
    await subject.parsed.put(object(Buffer.from('{"first":true}'), { key: messageJsonKey(MESSAGE), role: 'message-json', contentType: 'application/json' }).object);

    const again = await subject.parsed.put(same.object);
    const clash = await subject.parsed.put(other.object);

    expect(again.status).toBe('already-stored');
    expect(clash.status).toBe('conflict');
    expect(same.pulled()).toBe(same.chunks);
    expect(other.pulled()).toBe(other.chunks);
    expect((await subject.read(messageJsonKey(MESSAGE)))?.toString()).toBe('{"first":true}');
  });

  it('refuses a body that does not match its announced SHA-256 and leaves nothing', async () => {
    const subject = make(dir());
    const { object: o } = object(randomBytes(3000));

    await expect(subject.parsed.put({ ...o, sha256: sha(Buffer.from('something else')) })).rejects.toThrow();

    expect(await subject.leftovers()).toEqual([]);
  });

  it('reads back the raw message the MessageStore stored, byte for byte', async () => {
    const subject = make(dir());
    const raw = randomBytes(2 * 1024 * 1024 + 17);
    await subject.raw.put({ key: MESSAGE, body: (async function* () { yield raw; })(), uidHash: 'u', fetchedAt: new Date(0), kind: 'full' });
    await subject.raw.commit();

    const chunks: Buffer[] = [];
    for await (const chunk of subject.parsed.readMessage(MESSAGE)) chunks.push(Buffer.from(chunk));

    expect(Buffer.concat(chunks).equals(raw)).toBe(true);
  });
});
