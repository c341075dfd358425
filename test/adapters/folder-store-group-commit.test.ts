/**
 * Threats: a message counted durable before its bytes and its directory entry are synced
 * (issue 9 item 9: a killed run's linked but unsynced file taken as stored, then DELE'd); a
 * sidecar an earlier version left that claims a hash the file does not have; a failed fsync
 * followed by a commit that "succeeds". FolderMessageStore syncs in commit(), once per batch, what put() touched.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSTEM_SYNC, type DurableSync } from '../../lambda/adapters/local/durable-fs.js';
import { FolderMessageStore } from '../../lambda/adapters/local/folder-store.js';
import { useTempDir } from '../support/temp-dir.js';

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

const fetchedAt = new Date('2026-03-04T05:06:07.000Z');
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Records what commit() syncs; `hold` makes every file sync wait until released. */
function recordingSync(): DurableSync & { files: string[]; dirs: string[]; hold(): () => void; failNext(error: Error): void } {
  let gate: Promise<void> | undefined;
  let failure: Error | undefined;
  const recorder = {
    files: [] as string[],
    dirs: [] as string[],
    async file(handle: FileHandle, path: string): Promise<void> {
      await gate;
      if (failure) {
        const error = failure;
        failure = undefined;
        throw error;
      }
      await SYSTEM_SYNC.file(handle, path);
      recorder.files.push(path);
    },
    async dir(path: string): Promise<void> {
      await SYSTEM_SYNC.dir(path);
      recorder.dirs.push(path);
    },
    hold(): () => void {
      let release!: () => void;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    failNext(error: Error): void {
      failure = error;
    },
  };
  return recorder;
}

describe('FolderMessageStore group commit', () => {
  const dir = useTempDir('folder-commit-');

  it('syncs nothing in put() and, in commit(), every stored file and the directories up to the root', async () => {
    // Prepare
    const sync = recordingSync();
    const store = new FolderMessageStore({ dir: join(dir(), 'out'), sync });

    // Act
    await Promise.all(['a', 'b', 'c'].map((name) => store.put({ key: `mail/box/full/${name}.eml`, body: once(name), uidHash: name, fetchedAt, kind: 'full' })));
    const syncedByPut = sync.files.length + sync.dirs.length;
    await store.commit();

    // Assess
    expect(syncedByPut).toBe(0);
    const folder = join(dir(), 'out/mail/box/full');
    expect(sync.files.sort()).toEqual(['a', 'b', 'c'].map((name) => join(folder, `${name}.eml`)).sort());
    // Each new directory's own name lives in its parent: all the way up to the root's parent.
    expect(sync.dirs.sort()).toEqual([dir(), join(dir(), 'out'), join(dir(), 'out/mail'), join(dir(), 'out/mail/box'), folder].sort());
  });

  it('syncs a file a killed run left linked but unsynced before its already-stored counts', async () => {
    // Prepare: a killed run (an earlier version, which wrote sidecars) linked the file but never reached its fsyncs.
    const folder = join(dir(), 'mail/box/full');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'k.eml'), 'killed run');
    await writeFile(join(folder, 'k.eml.meta.json'), JSON.stringify({ sha256: sha('killed run'), size: '10' }));
    const sync = recordingSync();
    const store = new FolderMessageStore({ dir: dir(), sync });

    // Act
    const result = await store.put({ key: 'mail/box/full/k.eml', body: once('killed run'), uidHash: 'k', fetchedAt, kind: 'full' });
    await store.commit();

    // Assess
    expect(result).toMatchObject({ status: 'already-stored', size: 10, sha256: sha('killed run') });
    expect(sync.files).toEqual([join(folder, 'k.eml')]);
    expect(sync.dirs).toContain(folder);
  });

  it('does not resolve commit() while a file is still being synced', async () => {
    const sync = recordingSync();
    const store = new FolderMessageStore({ dir: dir(), sync });
    await store.put({ key: 'm/held.eml', body: once('held'), uidHash: 'h', fetchedAt, kind: 'full' });
    const release = sync.hold();

    let resolved = false;
    const committing = store.commit().then(() => {
      resolved = true;
    });
    // A second commit promises the first one's files too, although it has nothing of its own.
    let laterResolved = false;
    const later = store.commit().then(() => {
      laterResolved = true;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect([resolved, laterResolved]).toEqual([false, false]);

    release();
    await Promise.all([committing, later]);
    expect(sync.files).toContain(join(dir(), 'm/held.eml'));
  });

  it('fails every later commit once a sync failed: the lost write-back cannot be vouched for', async () => {
    const sync = recordingSync();
    const store = new FolderMessageStore({ dir: dir(), sync });
    await store.put({ key: 'm/1.eml', body: once('one'), uidHash: '1', fetchedAt, kind: 'full' });
    sync.failNext(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));

    await expect(store.commit()).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await store.put({ key: 'm/2.eml', body: once('two'), uidHash: '2', fetchedAt, kind: 'full' });

    await expect(store.commit()).rejects.toMatchObject({ code: 'STORE_FAILED' });
  });

  it('answers conflict, not already-stored, when an old sidecar claims the new hash but the file (torn by a power cut) differs', async () => {
    const folder = join(dir(), 'm');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 't.eml'), '');
    await writeFile(join(folder, 't.eml.meta.json'), JSON.stringify({ sha256: sha('whole message'), size: '13' }));
    const store = new FolderMessageStore({ dir: dir() });

    const result = await store.put({ key: 'm/t.eml', body: once('whole message'), uidHash: 't', fetchedAt, kind: 'full' });

    expect(result).toMatchObject({ status: 'conflict', size: 13, sha256: sha('whole message') });
    expect(await readFile(join(folder, 't.eml'), 'utf8')).toBe('');
  });
});
