/**
 * The per-mailbox state document as a local file, with compare-and-swap across processes.
 *
 * The version token is the SHA-256 of the content: equal content is equal state, so comparing
 * hashes is a sound CAS. The compare and the replace run under a lock file (file-lock.ts), and
 * the replace is write-temp + fsync + rename + fsync(dir), so a reader sees the old document or
 * the new one, never a torn one, and a crash keeps one of the two.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { IngestError } from '../../shared/errors.js';
import type { LoadedState, StateStore, StateVersion } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { checkMailboxId } from '../names.js';
import { ensureDir, replaceFileDurably } from './durable-fs.js';
import { LockBusyError, withFileLock, type FileLockOptions } from './file-lock.js';

/** Options for FileStateStore. */
export interface FileStateStoreOptions {
  /** Root folder; the document is `<dir>/state/<mailboxId>.json`. */
  dir: string;
  lock?: FileLockOptions;
}

/** StateStore over local files; the version is "sha256:<hex of content>". */
export class FileStateStore implements StateStore {
  private readonly root: string;
  private readonly lockOptions: FileLockOptions;

  constructor(options: FileStateStoreOptions) {
    if (options.dir === '') throw new AdapterError('INVALID_CONFIG', 'permanent', 'dir is required');
    this.root = resolve(options.dir);
    this.lockOptions = options.lock ?? {};
  }

  /** The file holding a mailbox's state. */
  pathFor(mailboxId: string): string {
    return join(this.root, 'state', `${checkMailboxId(mailboxId)}.json`);
  }

  /** Loads the document and its content hash, or null if the mailbox has none yet. */
  async load(mailboxId: string): Promise<LoadedState | null> {
    const path = this.pathFor(mailboxId);
    try {
      const body = await readCurrent(path);
      return body === null ? null : { body, version: versionOf(body) };
    } catch (error) {
      throw toAdapterError('STATE_FAILED', `loading state ${path}`, error);
    }
  }

  /** Replaces the document only if its hash still equals `expected` (null: only if absent). */
  async save(mailboxId: string, body: Uint8Array, expected: StateVersion | null): Promise<StateVersion> {
    const path = this.pathFor(mailboxId);
    try {
      await ensureDir(dirname(path));
      return await withFileLock(`${path}.lock`, async () => {
        const current = await readCurrent(path);
        const currentVersion = current === null ? null : versionOf(current);
        if (currentVersion !== expected) {
          throw new AdapterError('STATE_CONFLICT', 'throttled', `state of mailbox ${mailboxId} was changed by another writer`);
        }
        await replaceFileDurably(path, body);
        return versionOf(body);
      }, this.lockOptions);
    } catch (error) {
      if (error instanceof IngestError) throw error;
      if (error instanceof LockBusyError) {
        throw new AdapterError('STATE_FAILED', 'throttled', `state of mailbox ${mailboxId} is locked by another process`, { cause: error });
      }
      throw toAdapterError('STATE_FAILED', `saving state ${path}`, error);
    }
  }
}

function versionOf(body: Uint8Array): StateVersion {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

async function readCurrent(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
