/**
 * Stores raw messages as files under a folder, with the same key layout as S3: the CLI's
 * stand-in for S3MessageStore, with the same "never overwrite, durable before resolving" promise.
 *
 * Each put streams the body into a private temp file in the target's own directory while
 * hashing and fsyncs it. Then, under a per-key lock file, it writes the metadata sidecar
 * `<key>.meta.json` (temp + fsync + rename) and link()s the temp file to the final name: link is
 * atomic and fails with EEXIST instead of clobbering (POSIX link(2)), which is exactly S3's
 * If-None-Match: *. The temp name is then unlinked and the directory fsynced, so the new name
 * survives a crash.
 */
import { createHash } from 'node:crypto';
import { link, lstat, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { IngestError } from '../../shared/errors.js';
import type { MessageStore, StoreRequest, StoreResult } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { messageMetadata, MESSAGE_CONTENT_TYPE } from '../message-metadata.js';
import { writeAll } from '../file-io.js';
import { LockBusyError, withFileLock } from './file-lock.js';
import { ensureDir, fsyncDir, META_SUFFIX, resolveKey, tempPathFor, withDurableFile, writeNewFileDurably } from './durable-fs.js';

/** Options for FolderMessageStore. */
export interface FolderMessageStoreOptions {
  /** The root folder; created (0700) if missing. */
  dir: string;
}

/** MessageStore over a local folder: atomic, no-clobber, fsynced. */
export class FolderMessageStore implements MessageStore {
  private readonly root: string;

  constructor(options: FolderMessageStoreOptions) {
    if (options.dir === '') throw new AdapterError('INVALID_CONFIG', 'permanent', 'dir is required');
    this.root = resolve(options.dir);
  }

  /** Every put() is durable when it resolves: nothing left to sync. */
  async commit(): Promise<void> {}

  /** Stores the body at `<dir>/<key>` unless a file is already there. */
  async put(request: StoreRequest): Promise<StoreResult> {
    const target = resolveKey(this.root, request.key);
    const folder = dirname(target);
    const temp = tempPathFor(target);
    const metaTemp = tempPathFor(target + META_SUFFIX);
    try {
      await ensureDir(folder);
      const { size, sha256 } = await this.writeBody(temp, request.body);
      const result = (status: StoreResult['status']): StoreResult => ({
        status,
        location: { bucket: this.root, key: request.key },
        size,
        sha256,
      });
      // Decide-and-publish runs under a per-key lock so that of two concurrent writers, the
      // loser never replaces the winner's sidecar with its own (a dot-name: no key can clash).
      return await withFileLock(join(folder, `.${basename(target)}.lock`), async () => {
        if (await exists(target)) return result('already-stored');
        // The sidecar goes first, so a message file never exists without its metadata.
        const metadata = { contentType: MESSAGE_CONTENT_TYPE, ...messageMetadata(request, size, sha256) };
        await writeNewFileDurably(metaTemp, `${JSON.stringify(metadata, null, 2)}\n`);
        await rename(metaTemp, target + META_SUFFIX);
        try {
          // link(2) fails with EEXIST rather than replace: no clobber even against other tools.
          await link(temp, target);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') return result('already-stored');
          throw error;
        }
        await rm(temp, { force: true });
        await fsyncDir(folder);
        return result('stored');
      });
    } catch (error) {
      // Ours are already translated; the source's own (a dropped POP3 link) pass unchanged.
      if (error instanceof IngestError || sourceErrors.has(error as object)) throw error;
      if (error instanceof LockBusyError) {
        throw new AdapterError('STORE_FAILED', 'transient', `key ${request.key} is being written by another process`, { cause: error });
      }
      throw toAdapterError('STORE_FAILED', `storing ${request.key} under ${this.root}`, error);
    } finally {
      await rm(temp, { force: true });
      await rm(metaTemp, { force: true });
    }
  }

  /** Streams the body into a new file, hashing; fsyncs before returning. */
  private async writeBody(path: string, body: AsyncIterable<Uint8Array>): Promise<{ size: number; sha256: string }> {
    const hash = createHash('sha256');
    let size = 0;
    await withDurableFile(path, 'wx', async (handle) => {
      for await (const chunk of fromSource(body)) {
        hash.update(chunk);
        size += chunk.byteLength;
        await writeAll(handle, chunk);
      }
    });
    return { size, sha256: hash.digest('hex') };
  }
}

/** Errors thrown by a message body's own iterator, told apart from file-system errors. */
const sourceErrors = new WeakSet<object>();

async function* fromSource(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    if (error !== null && typeof error === 'object') sourceErrors.add(error);
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
