/**
 * Threats: a re-run overwrites a stored message; a crash leaves a half-written message under its
 * final name; a key climbs out of the folder; other bytes under a taken key pass for stored.
 * FolderMessageStore writes a temp file, link()s it (atomic, no clobber), compares the bytes of
 * an existing file, and validates keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderMessageStore } from '../../lambda/adapters/local/folder-store.js';
import { useTempDir } from '../support/temp-dir.js';

async function* chunked(bytes: Uint8Array, chunkSize = 1000): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
}

const fetchedAt = new Date('2026-03-04T05:06:07.000Z');

describe('FolderMessageStore', () => {
  const dir = useTempDir('folder-store-');

  it('stores the exact bytes under <dir>/<key> and nothing beside them, privately, leaving no temp file', async () => {
    // Prepare
    const body = randomBytes(12_345);
    const store = new FolderMessageStore({ dir: dir() });

    // Act
    const result = await store.put({ key: 'mail/box/2026/abc.eml', body: chunked(body), uidHash: 'abc', fetchedAt, kind: 'full' });

    // Assess
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(result).toEqual({ status: 'stored', location: { bucket: dir(), key: 'mail/box/2026/abc.eml' }, size: body.byteLength, sha256 });
    expect((await readFile(join(dir(), 'mail/box/2026/abc.eml'))).equals(body)).toBe(true);
    expect((await stat(join(dir(), 'mail/box/2026/abc.eml'))).mode & 0o777).toBe(0o600);
    // One inode per message, like a maildir: the metadata travels in the event (folder-store.ts).
    expect(await readdir(join(dir(), 'mail/box/2026'))).toEqual(['abc.eml']);
  });

  it('answers already-stored only for the same bytes, and conflict for other bytes, never overwriting', async () => {
    const store = new FolderMessageStore({ dir: dir() });
    await store.put({ key: 'm/1.eml', body: chunked(Buffer.from('first')), uidHash: 'u', fetchedAt, kind: 'full' });

    const same = await store.put({ key: 'm/1.eml', body: chunked(Buffer.from('first')), uidHash: 'u', fetchedAt, kind: 'full' });
    const other = await store.put({ key: 'm/1.eml', body: chunked(Buffer.from('second!')), uidHash: 'u', fetchedAt, kind: 'full' });

    expect(same).toMatchObject({ status: 'already-stored', size: 5, sha256: createHash('sha256').update('first').digest('hex') });
    expect(other).toMatchObject({ status: 'conflict', size: 7, sha256: createHash('sha256').update('second!').digest('hex') });
    expect(await readFile(join(dir(), 'm/1.eml'), 'utf8')).toBe('first');
    expect(await readdir(join(dir(), 'm'))).toEqual(['1.eml']);
  });

  it('lets exactly one of several concurrent writers of the same key store it', async () => {
    const store = new FolderMessageStore({ dir: dir() });
    const bodies = Array.from({ length: 5 }, (_, i) => Buffer.from(`writer ${i} `.repeat(5000 + i)));

    const results = await Promise.all(bodies.map((body) => store.put({ key: 'm/race.eml', body: chunked(body, 4096), uidHash: 'u', fetchedAt, kind: 'full' })));

    expect(results.filter((r) => r.status === 'stored')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'conflict')).toHaveLength(4);
    const winner = results.findIndex((r) => r.status === 'stored');
    expect((await readFile(join(dir(), 'm/race.eml'))).equals(bodies[winner]!)).toBe(true);
    expect(await readdir(join(dir(), 'm'))).toEqual(['race.eml']);
  });

  it('leaves nothing under the final name when the source fails mid-message, passing its error through', async () => {
    const store = new FolderMessageStore({ dir: dir() });
    const dropped = new Error('connection dropped');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw dropped;
    }

    const error = await store.put({ key: 'm/x.eml', body: failing(), uidHash: 'u', fetchedAt, kind: 'full' }).catch((e: unknown) => e);

    expect(error).toBe(dropped);

    expect(await readdir(join(dir(), 'm'))).toEqual([]);
  });

  it.each([
    '../escape.eml', '/etc/passwd', 'a/../../b.eml', 'a//b.eml', 'a/./b.eml', 'a\\b.eml', '.hidden', 'a/b.eml.meta.json', 'a\u0000b', '',
  ])('rejects the key %j before touching the disk', async (key) => {
    const store = new FolderMessageStore({ dir: dir() });
    await expect(store.put({ key, body: chunked(Buffer.from('x')), uidHash: 'u', fetchedAt, kind: 'full' })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(await readdir(dir())).toEqual([]);
  });
});
