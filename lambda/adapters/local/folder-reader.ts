/**
 * StoredMessageReader over the local folder (replay): the `<key>.meta.json` sidecar gives size,
 * SHA-256 and fetch time; the first octets come from the message file. A message without its
 * file counts as gone. The sidecar is a cache the store never syncs (folder-store.ts): one
 * missing, unreadable or naming another size than the file's (a hard kill between link and
 * sidecar, a power cut) is not believed, and the file itself is measured and hashed.
 */
import { createHash } from 'node:crypto';
import { open, opendir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { StoredMessageInfo, StoredMessageReader } from '../../sync/ports.js';
import { toAdapterError } from '../errors.js';
import { readMessageMetadata } from '../message-metadata.js';
import { META_SUFFIX, resolveKey } from './durable-fs.js';

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
        const meta = await sidecar(path);
        const described = meta !== undefined && meta.size === (await handle.stat()).size ? meta : await measure(handle);
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

async function sidecar(path: string): Promise<{ size: number; sha256: string; fetchedAt?: Date } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path + META_SUFFIX, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? readMessageMetadata(parsed as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

async function measure(handle: Awaited<ReturnType<typeof open>>): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of handle.createReadStream({ start: 0, autoClose: false }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}
