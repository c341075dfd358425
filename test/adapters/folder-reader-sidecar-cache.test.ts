/**
 * Threat: replay believing a sidecar a power cut left behind. The folder store never syncs the
 * `.meta.json` sidecar (it is derived from the file), so after a crash it may be missing, empty,
 * or describe other bytes; the reader must then measure and hash the message file itself.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderMessageReader } from '../../lambda/adapters/local/folder-reader.js';
import { useTempDir } from '../support/temp-dir.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const body = 'Subject: kept\r\n\r\nthe message file is the evidence\r\n';

describe('FolderMessageReader and the sidecar cache', () => {
  const dir = useTempDir('folder-reader-sidecar-');

  it.each([
    ['missing', undefined],
    ['empty (created, never written back)', ''],
    ['torn JSON', '{"size": "4'],
    ['naming another size', JSON.stringify({ size: '7', sha256: sha('another'), 'fetched-at': '2026-01-02T03:04:05.000Z' })],
  ])('measures the file when the sidecar is %s', async (_case, sidecar) => {
    // Prepare
    const folder = join(dir(), 'mail/box/full');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'a.eml'), body);
    if (sidecar !== undefined) await writeFile(join(folder, 'a.eml.meta.json'), sidecar);

    // Act
    const info = await new FolderMessageReader({ dir: dir() }).read('mail/box/full/a.eml', 9);

    // Assess
    expect(info).toMatchObject({ size: Buffer.byteLength(body), sha256: sha(body) });
    expect(Buffer.from(info!.head).toString()).toBe('Subject: ');
  });

  it('takes size, hash and fetch time from a sidecar that matches the file', async () => {
    const folder = join(dir(), 'mail/box/full');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'b.eml'), body);
    await writeFile(join(folder, 'b.eml.meta.json'), JSON.stringify({ size: String(Buffer.byteLength(body)), sha256: sha(body), 'fetched-at': '2026-01-02T03:04:05.000Z' }));

    const info = await new FolderMessageReader({ dir: dir() }).read('mail/box/full/b.eml', 9);

    expect(info).toMatchObject({ size: Buffer.byteLength(body), sha256: sha(body), fetchedAt: new Date('2026-01-02T03:04:05.000Z') });
  });
});
