/**
 * Threats: a group counted durable by a syncfs that failed, did not run (no `sync -f`, an old
 * kernel whose syncfs hides write-back errors) or did not cover the group's folders; a failed
 * syncfs retried as if nothing happened. The folder store's group commit takes one syncfs where
 * it reports errors and falls back, for that group and the rest of the run, to per-file syncs.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSTEM_SYNC, type DurableSync } from '../../lambda/adapters/local/durable-fs.js';
import { fileSystemSyncAllowed, syncFileSystemOf, syncfsReportsErrors } from '../../lambda/adapters/local/file-system-sync.js';
import { FolderMessageStore } from '../../lambda/adapters/local/folder-store.js';
import { useTempDir } from '../support/temp-dir.js';

const fetchedAt = new Date('2026-03-04T05:06:07.000Z');

/** Counts each kind of sync; fileSystem answers from `answers` in turn (then the last one). */
function countingSync(answers: boolean[]): DurableSync & { files: string[]; dirs: string[]; fileSystems: string[] } {
  const counts = {
    files: [] as string[],
    dirs: [] as string[],
    fileSystems: [] as string[],
    async file(target: { fd: number }, path: string): Promise<void> {
      await SYSTEM_SYNC.file(target, path);
      counts.files.push(path);
    },
    async dir(path: string): Promise<void> {
      await SYSTEM_SYNC.dir(path);
      counts.dirs.push(path);
    },
    async fileSystem(folder: string): Promise<boolean> {
      counts.fileSystems.push(folder);
      return answers.length > 1 ? (answers.shift() as boolean) : (answers[0] as boolean);
    },
  };
  return counts;
}

async function put(store: FolderMessageStore, key: string, text: string): Promise<void> {
  const bytes = Buffer.from(text);
  const result = await store.put({ key, body: (async function* () { yield bytes; })(), bytes, uidHash: 'h', fetchedAt, kind: 'full' });
  expect(result.status).toBe('stored');
}

describe('FolderMessageStore commit through syncfs', () => {
  const dir = useTempDir('folder-syncfs-');

  it('makes a group durable with one syncfs of the root and no per-file sync', async () => {
    const sync = countingSync([true]);
    const store = new FolderMessageStore({ dir: join(dir(), 'out'), sync });
    await put(store, 'box/full/a.eml', 'A');
    await put(store, 'box/full/b.eml', 'B');

    await store.commit();

    expect(sync.fileSystems).toEqual([join(dir(), 'out')]);
    expect(sync.files).toEqual([]);
    expect(sync.dirs).toEqual([]);
  });

  it('syncs the group file by file when syncfs fails, and never tries syncfs again', async () => {
    const sync = countingSync([false, true]);
    const store = new FolderMessageStore({ dir: dir(), sync });
    await put(store, 'box/full/a.eml', 'A');

    await store.commit();
    await put(store, 'box/full/b.eml', 'B');
    await store.commit();

    expect(sync.fileSystems).toHaveLength(1);
    expect(sync.files).toEqual([join(dir(), 'box/full/a.eml'), join(dir(), 'box/full/b.eml')]);
    expect(sync.dirs).toContain(join(dir(), 'box/full'));
  });

  it('turns syncfs off after one that took longer than per-file syncs would (others\' writes flushed with ours)', async () => {
    const sync = countingSync([true]);
    // Each commit reads the clock twice: 0 -> 400 ms (slow), then never again.
    const times = [0, 400];
    const store = new FolderMessageStore({ dir: dir(), sync, now: () => times.shift() ?? 0 });
    await put(store, 'box/full/a.eml', 'A');

    await store.commit();
    await put(store, 'box/full/b.eml', 'B');
    await store.commit();

    expect(sync.fileSystems).toHaveLength(1);
    expect(sync.files).toEqual([join(dir(), 'box/full/b.eml')]);
  });

  it('on Linux >= 5.8 runs a real syncfs of a folder, and answers false for a folder that is gone', async () => {
    if (!fileSystemSyncAllowed()) return;
    await mkdir(join(dir(), 'real'));
    await writeFile(join(dir(), 'real/x'), 'x');

    expect(await syncFileSystemOf(join(dir(), 'real'))).toBe(true);
    expect(await syncFileSystemOf(join(dir(), 'missing'))).toBe(false);
  });

  it('writes a small body through the root\'s small .tmp folder (as a maildir through tmp/) and leaves nothing there', async () => {
    const store = new FolderMessageStore({ dir: join(dir(), 'out'), sync: countingSync([true]) });
    await put(store, 'box/full/a.eml', 'A');
    await put(store, 'other/full/b.eml', 'B');
    await store.commit();

    expect(await readdir(join(dir(), 'out/.tmp'))).toEqual([]);
    expect(await readFile(join(dir(), 'out/other/full/b.eml'), 'utf8')).toBe('B');
  });

  it('uses syncfs only where it reports write-back errors: Linux 5.8 and later', () => {
    expect(syncfsReportsErrors('linux', '5.8.0')).toBe(true);
    expect(syncfsReportsErrors('linux', '6.18.44-fc-v1147')).toBe(true);
    expect(syncfsReportsErrors('linux', '5.7.19')).toBe(false);
    expect(syncfsReportsErrors('linux', '4.19.0-21-amd64')).toBe(false);
    expect(syncfsReportsErrors('darwin', '23.1.0')).toBe(false);
    expect(syncfsReportsErrors('linux', 'unknown')).toBe(false);
  });

  it('can be turned off: POP3_INGEST_FOLDER_SYNC=files', () => {
    expect(fileSystemSyncAllowed({ POP3_INGEST_FOLDER_SYNC: 'files' })).toBe(false);
  });
});
