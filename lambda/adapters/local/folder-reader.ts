/**
 * StoredMessageReader over the local folder (replay): size and SHA-256 are measured from the
 * message file itself, the first octets read from it. A message without its file counts as gone.
 * The folder keeps no metadata beside a message (folder-store.ts); a `.meta.json` sidecar an
 * earlier version wrote is not believed (it was never synced, so a power cut could leave it
 * describing other bytes) and is not a key.
 */
import { open, opendir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { StoredMessageInfo, StoredMessageReader } from '../../sync/ports.js';
import { toAdapterError } from '../errors.js';
import { META_SUFFIX, resolveKey } from './durable-fs.js';
import { digestFile } from './file-digest.js';

/** Reads messages a FolderMessageStore wrote under `dir`. */
export class FolderMessageReader implements StoredMessageReader {
  private readonly root: string;

  constructor(options: { dir: string }) {
    this.root = resolve(options.dir);
  }

  keysUnder(prefix: string): AsyncIterable<string> {
    return walk(this.root, prefix);
  }

  async read(key: string, headBytes: number): Promise<StoredMessageInfo | null> {
    const path = resolveKey(this.root, key);
    try {
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      try {
        const head = Buffer.alloc(headBytes);
        const { bytesRead } = await handle.read(head, 0, headBytes, 0);
        const described = await digestFile(handle, (await handle.stat()).size);
        return { location: { bucket: this.root, key }, ...described, head: new Uint8Array(head.subarray(0, bytesRead)) };
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw toAdapterError('STORE_FAILED', `reading ${key}`, error);
    }
  }
}

/** Keys of the files under `prefix` (a folder): sidecars and dot-named temp files are not keys. */
async function* walk(root: string, prefix: string): AsyncGenerator<string> {
  let dir;
  try {
    dir = await opendir(prefix === '' ? resolve(root) : resolveKey(root, prefix.replace(/\/$/, '')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw toAdapterError('STORE_FAILED', `listing ${prefix}`, error);
  }
  for await (const entry of dir) {
    if (entry.name.startsWith('.') || entry.name.endsWith(META_SUFFIX)) continue;
    const key = `${prefix}${entry.name}`;
    if (entry.isDirectory()) yield* walk(root, `${key}/`);
    else if (entry.isFile()) yield key;
  }
}
