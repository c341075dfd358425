/**
 * Parsed objects (message.json, attachments) as files beside the raw messages of a
 * FolderMessageStore, with the same create-once rule: a private temp file, fsynced, then
 * link(2)ed to its name (EEXIST never replaces), then the folder synced. Each put is durable when
 * it resolves: parsed objects are few per message and an event names them at once, so they do
 * not wait for the raw store's group commit. Metadata (parsedObjectMetadata: ASCII, bounded, the
 * untrusted filename percent-encoded) goes in a `<name>.meta.json` sidecar; keys come from
 * lambda/parse/keys.ts (hex digests and fixed names) and resolveKey refuses anything else.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { link, mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parsedObjectMetadata } from '../../parse/metadata.js';
import type { ParsedObject } from '../../parse/types.js';
import { IngestError } from '../../shared/errors.js';
import type { ParsedObjectStore } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { writeAll } from '../file-io.js';
import { DIR_MODE, FILE_MODE, META_SUFFIX, replaceFileDurably, resolveKey, SYSTEM_SYNC, tempPathFor, type DurableSync } from './durable-fs.js';

/** Options for FolderParsedStore. */
export interface FolderParsedStoreOptions {
  /** The same root folder as the FolderMessageStore. */
  dir: string;
  sync?: DurableSync;
}

const WRITE_BUFFER_BYTES = 256 * 1024;
const READ_ONLY_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/** ParsedObjectStore over a local folder: create-once, durable on return. */
export class FolderParsedStore implements ParsedObjectStore {
  private readonly root: string;
  private readonly sync: DurableSync;

  constructor(options: FolderParsedStoreOptions) {
    if (options.dir === '') throw new AdapterError('INVALID_CONFIG', 'permanent', 'dir is required');
    this.root = resolve(options.dir);
    this.sync = options.sync ?? SYSTEM_SYNC;
  }

  /** Stores the object at `<dir>/<key>` unless a file is there; the body is read to its end. */
  async put(object: ParsedObject): Promise<{ status: 'stored' | 'already-stored' | 'conflict' }> {
    const target = resolveKey(this.root, object.key);
    const temp = tempPathFor(target);
    let handle: FileHandle | undefined;
    try {
      handle = await this.createTemp(temp, dirname(target));
      const { size, sha256 } = await writeBody(handle, object.body);
      if (size !== object.size || sha256 !== object.sha256) {
        throw new AdapterError('STORE_INTEGRITY', 'transient', `parsed object ${object.key}: ${size} bytes with another SHA-256 than announced`);
      }
      await this.sync.file(handle, temp);
      try {
        await link(temp, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        return { status: (await sameContent(target, size, sha256)) ? 'already-stored' : 'conflict' };
      }
      const { body: _body, ...described } = object;
      await replaceFileDurably(target + META_SUFFIX, `${JSON.stringify(parsedObjectMetadata(described), null, 2)}\n`);
      await this.sync.dir(dirname(target));
      return { status: 'stored' };
    } catch (error) {
      if (error instanceof IngestError) throw error;
      throw toAdapterError('STORE_FAILED', `storing ${object.key} under ${this.root}`, error);
    } finally {
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }

  /** The raw message file under `key` (never following a planted link). */
  async *readMessage(key: string): AsyncIterable<Uint8Array> {
    const path = resolveKey(this.root, key);
    let handle: FileHandle;
    try {
      handle = await open(path, READ_ONLY_NO_FOLLOW);
    } catch (error) {
      throw toAdapterError('STORE_FAILED', `reading ${key} under ${this.root}`, error);
    }
    try {
      yield* createReadStream('', { fd: handle.fd, autoClose: false, highWaterMark: WRITE_BUFFER_BYTES }) as AsyncIterable<Uint8Array>;
    } finally {
      await handle.close();
    }
  }

  /** A private temp file beside the target; new folders are synced up to the first that existed. */
  private async createTemp(temp: string, folder: string): Promise<FileHandle> {
    const first = await mkdir(folder, { recursive: true, mode: DIR_MODE });
    if (first !== undefined) {
      // Each new name lives in its parent: sync from the deepest new folder up to the old one.
      for (let dir = folder; ; dir = dirname(dir)) {
        await this.sync.dir(dirname(dir));
        if (dir === first || dir === dirname(dir)) break;
      }
    }
    return open(temp, 'wx', FILE_MODE);
  }
}

async function writeBody(handle: FileHandle, body: AsyncIterable<Uint8Array>): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  let gathered: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.byteLength;
    // The parser's spool yields chunks it never reuses: gathered without a copy.
    gathered.push(chunk);
    bytes += chunk.byteLength;
    if (bytes >= WRITE_BUFFER_BYTES) {
      await writeAll(handle, Buffer.concat(gathered, bytes));
      gathered = [];
      bytes = 0;
    }
  }
  if (bytes > 0) await writeAll(handle, Buffer.concat(gathered, bytes));
  return { size, sha256: hash.digest('hex') };
}

/** True when the file at `path` (not a planted link) holds exactly these bytes. */
async function sameContent(path: string, size: number, sha256: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_ONLY_NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return false;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size !== size) return false;
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: WRITE_BUFFER_BYTES }) as AsyncIterable<Uint8Array>) hash.update(chunk);
    return hash.digest('hex') === sha256;
  } finally {
    await handle.close();
  }
}
