/**
 * The per-mailbox state document as a local file, with compare-and-swap across processes.
 *
 * The version token is the SHA-256 of the content: equal content is equal state, so comparing
 * hashes is a sound CAS. The compare and the replace run under a lock file (file-lock.ts), and
 * the replace is write-temp + fsync + rename + fsync(dir), so a reader sees the old document or
 * the new one, never a torn one, and a crash keeps one of the two. The segments the document
 * names live in `<mailboxId>.seg/`, each created once: written and fsynced under a temporary
 * name, then hard-linked to its name (link fails if the name exists: create-only) and the
 * directory fsynced, so a named segment is always complete.
 */
import { sha256Hex } from '../../shared/sha256.js';
import { link, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { IngestError } from '../../shared/errors.js';
import type { LoadedState, StateStore, StateVersion } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { checkMailboxId } from '../names.js';
import { ensureDir, fsyncDir, replaceFileDurably, tempPathFor, writeNewFileDurably } from './durable-fs.js';
import { isSegmentName } from '../../sync/state-codec.js';
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

  /** The folder of a mailbox's segments. */
  segmentDir(mailboxId: string): string {
    return join(this.root, 'state', `${checkMailboxId(mailboxId)}.seg`);
  }

  async putSegment(mailboxId: string, name: string, body: Uint8Array): Promise<void> {
    try {
      await putSegmentFile(this.segmentDir(mailboxId), name, body);
    } catch (error) {
      if (error instanceof IngestError) throw error;
      throw toAdapterError('STATE_FAILED', `writing state segment ${name}`, error);
    }
  }

  async getSegment(mailboxId: string, name: string): Promise<Uint8Array | null> {
    try {
      return await getSegmentFile(this.segmentDir(mailboxId), name);
    } catch (error) {
      if (error instanceof IngestError) throw error;
      throw toAdapterError('STATE_FAILED', `reading state segment ${name}`, error);
    }
  }

  /** Best effort: a segment left behind costs disk, never correctness (no manifest names it). */
  async deleteSegments(mailboxId: string, names: readonly string[]): Promise<void> {
    const dir = this.segmentDir(mailboxId);
    await Promise.all(names.map((name) => rm(segmentPath(dir, name), { force: true }).catch(() => undefined)));
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

/** Segment operations of FileStateStore (kept apart from the CAS of the document). */
export async function putSegmentFile(dir: string, name: string, body: Uint8Array): Promise<void> {
  const path = segmentPath(dir, name);
  await ensureDir(dir);
  const temp = tempPathFor(path);
  try {
    await writeNewFileDurably(temp, body);
    await link(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  await fsyncDir(dir);
}

function segmentPath(dir: string, name: string): string {
  if (!isSegmentName(name)) throw new AdapterError('STATE_FAILED', 'permanent', 'invalid state segment name');
  return join(dir, name);
}

async function getSegmentFile(dir: string, name: string): Promise<Uint8Array | null> {
  return readCurrent(segmentPath(dir, name));
}

function versionOf(body: Uint8Array): StateVersion {
  return `sha256:${sha256Hex(body)}`;
}

async function readCurrent(path: string): Promise<Uint8Array | null> {
  try {
    // A view, not a copy: a kept mailbox's segment is ~32 octets a UID, held for the whole poll.
    const bytes = await readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
