/**
 * Threat: replay believing metadata beside a message instead of the message. The folder keeps
 * nothing beside a file now, but earlier versions wrote a `.meta.json` sidecar without syncing
 * it: after a power cut it may be missing, empty, torn, or describe other bytes. The reader
 * measures and hashes the file itself, whatever lies beside it.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderMessageReader } from '../../lambda/adapters/local/folder-reader.js';
import { useTempDir } from '../support/temp-dir.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const body = 'Subject: kept\r\n\r\nthe message file is the evidence\r\n';

describe('FolderMessageReader', () => {
  const dir = useTempDir('folder-reader-sidecar-');

  it.each([
    ['no sidecar', undefined],
    ['an empty sidecar (created, never written back)', ''],
    ['a torn sidecar', '{"size": "4'],
    ['a sidecar naming other bytes', JSON.stringify({ size: '7', sha256: sha('another'), 'fetched-at': '2026-01-02T03:04:05.000Z' })],
    ['a sidecar naming the same size but another hash', JSON.stringify({ size: String(Buffer.byteLength(body)), sha256: sha('x'.repeat(Buffer.byteLength(body))) })],
  ])('reads size and hash from the file beside %s', async (_case, sidecar) => {
    // Prepare
    const folder = join(dir(), 'mail/box/full');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'a.eml'), body);
    if (sidecar !== undefined) await writeFile(join(folder, 'a.eml.meta.json'), sidecar);
    const reader = new FolderMessageReader({ dir: dir() });

    // Act
    const info = await reader.read('mail/box/full/a.eml', 9);
    const keys: string[] = [];
    for await (const key of reader.keysUnder('mail/box/')) keys.push(key);

    // Assess
    expect(info).toMatchObject({ size: Buffer.byteLength(body), sha256: sha(body) });
    expect(Buffer.from(info!.head).toString()).toBe('Subject: ');
    expect(keys).toEqual(['mail/box/full/a.eml']);
  });
});
