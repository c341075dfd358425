/**
 * Stores raw messages as files under a folder, with the same key layout as S3 and the same
 * create-once rule, made durable in groups: the CLI's stand-in for S3MessageStore.
 *
 * put() writes the body into a private temp file while hashing (a small body's in the root's
 * `.tmp` folder, like a maildir's tmp/; a streamed body's beside its target), then link(2)s it to
 * the final name. link never replaces a name (EEXIST), which is S3's If-None-Match: * with
 * no lock file. A writer whose link lost compares the existing file's own bytes (size, then
 * SHA-256) with its body: equal is 'already-stored', different 'conflict', and nothing of its
 * own stays behind.
 *
 * put() never fsyncs. commit() makes durable every file put() stored or confirmed since the
 * last commit (a confirmed file may be a killed run's, linked but never synced) and every
 * directory whose entries changed, then resolves. Until it resolves nothing put() did may be
 * reported as durable. On Linux >= 5.8 that is one syncfs of the root's file system
 * (file-system-sync.ts: one disk-cache flush for the group, where fdatasync costs one per
 * file); otherwise, or when syncfs fails, one pass of fdatasyncs with a few in flight (so a
 * journal can merge them) on the descriptors put() kept open, then fsyncs of the directories.
 *
 * One file per message, like a maildir delivery, and nothing beside it: the metadata S3 keeps on
 * the object (size, SHA-256, UID hash, kind, fetch time) is in the message's event, and a reader
 * takes size and hash from the file itself. Earlier versions wrote a `<key>.meta.json` sidecar;
 * its inode doubled the file system's work per message (on ext4 every create scans for a free
 * inode and waits for the journal), which was half of the CLI's time in the folder benchmark
 * (issue 10, docs/benchmarks.md). Sidecars an earlier version left are ignored.
 */
import { createHash } from 'node:crypto';
import { constants, linkSync, mkdirSync, openSync, statSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { IngestError } from '../../shared/errors.js';
import { sha256Hex } from '../../shared/sha256.js';
import type { MessageStore, StoreRequest, StoreResult } from '../../sync/ports.js';
import { settleBounded } from '../bounded.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { StreamReclaimer } from '../reclaim.js';
import { DIR_MODE, FILE_MODE, resolveKey, SYSTEM_SYNC, tempPathFor, type DurableSync } from './durable-fs.js';
import { digestFile } from './file-digest.js';
import { closeFd, closeFdSync, linkPath, openFd, unlinkIfPresentSync, writeAllFd, writeAllFdSync, writevAllFd } from './fd-io.js';

/** Options for FolderMessageStore. */
export interface FolderMessageStoreOptions {
  /** The root folder; created (0700) if missing. */
  dir: string;
  /** How commit() syncs (default SYSTEM_SYNC). */
  sync?: DurableSync;
  /** Milliseconds clock that times a syncfs (default performance.now). */
  now?: () => number;
}

/**
 * Descriptors kept open from put() to commit() (saves an open and a close per file); more are
 * reopened. Between two commits the recorder lets about 400 messages pile up.
 */
const MAX_OPEN_HANDLES = 1024;
/**
 * Syncs in flight during commit(): the libuv pool's size (more would only queue). The journal
 * merges concurrent syncs into one commit, so an entry point that raises UV_THREADPOOL_SIZE
 * before its first file operation raises the merge too.
 */
const SYNC_CONCURRENCY = Math.max(4, Math.min(64, Number(process.env.UV_THREADPOOL_SIZE) || 4));
/** Small bodies arrive in many chunks; one write(2) per this many bytes. */
const WRITE_BUFFER_BYTES = 256 * 1024;
const READ_ONLY_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;
/** Small bodies' temp files, under the root: a dot-name no key can take (durable-fs.ts resolveKey). */
const TEMP_FOLDER = '.tmp';
/**
 * A syncfs flushes every process's dirty data on the file system: beside another program writing
 * gigabytes it waits for all of it. One slower than this floor, and than this much per file of
 * the group (here one takes 5-25 ms for 50-400 files), turns syncfs off for the run.
 */
const SLOW_SYNCFS_FLOOR_MS = 250;
const SLOW_SYNCFS_MS_PER_FILE = 2;

/** MessageStore over a local folder: atomic, no-clobber, durable at commit(). */
export class FolderMessageStore implements MessageStore {
  private readonly root: string;
  private readonly sync: DurableSync;
  private readonly now: () => number;
  /** Files to sync at the next commit, by path, with their open descriptor; null: reopen by path (the budget was spent, or the inode may have changed). */
  private pendingFiles = new Map<string, number | null>();
  private pendingDirs = new Set<string>();
  private openHandles = 0;
  /** Directories whose chain up to the root was queued once: a killed run's mkdir may not be durable. */
  private readonly knownDirs = new Set<string>();
  private committed: Promise<void> = Promise.resolve();
  /** Set when a sync failed: which earlier writes are on disk is unknown, so no later commit may succeed. */
  private broken: AdapterError | undefined;
  /** One for every put(): dead socket buffers and copies of many small bodies add up too. */
  private readonly reclaimer = new StreamReclaimer();
  /** Where small bodies' temp files go (`<root>/.tmp`); undefined: beside their targets. */
  private tempDir: string | undefined;
  /** False once syncfs failed or proved unavailable: every later commit syncs file by file. */
  private fileSystemSync = true;

  constructor(options: FolderMessageStoreOptions) {
    if (options.dir === '') throw new AdapterError('INVALID_CONFIG', 'permanent', 'dir is required');
    this.root = resolve(options.dir);
    this.tempDir = join(this.root, TEMP_FOLDER);
    this.sync = options.sync ?? SYSTEM_SYNC;
    this.now = options.now ?? (() => performance.now());
  }

  /** Stores the body at `<dir>/<key>` unless a file is already there; durable after commit(). */
  private async putOnce(request: StoreRequest): Promise<{ result: StoreResult; retry: boolean }> {
    const target = resolveKey(this.root, request.key);
    const folder = dirname(target);
    const { bytes } = request;
    // A small body's temp file goes to the small `.tmp` folder, as a maildir delivery's to tmp/:
    // a create and an unlink in a folder of thousands cost the file system more. A streamed
    // body's stays beside its target (one such create is nothing beside a 1 MiB write).
    const temp = bytes !== undefined && this.tempDir !== undefined ? join(this.tempDir, basename(tempPathFor(target))) : tempPathFor(target);
    let fd: number | undefined;
    try {
      let size: number;
      let sha256: string;
      if (bytes !== undefined) {
        // A small body already in memory: open, write and link on this thread take microseconds,
        // less than each call's trip through libuv's pool and back, which was most of the CLI's
        // CPU per message (issue 10). The syncs, which wait for the disk, stay in commit().
        fd = this.createTempSync(temp, folder);
        writeAllFdSync(fd, bytes);
        size = bytes.byteLength;
        sha256 = sha256Hex(bytes);
        // Counted like a streamed body: many small stores leave dead buffers too.
        this.reclaimer.add(size);
      } else {
        fd = await this.createTemp(temp, folder);
        ({ size, sha256 } = await writeBody(fd, request.body, this.reclaimer));
      }
      const result = (status: StoreResult['status']): StoreResult => ({ status, location: { bucket: this.root, key: request.key }, size, sha256 });
      try {
        // link(2) fails with EEXIST rather than replace: create-once, even against other tools.
        if (bytes !== undefined) this.linkSmall(temp, target, folder);
        else await linkPath(temp, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EXDEV' && bytes !== undefined && this.tempDir !== undefined) {
          // The target's folder is another file system (a mount under the root): temps beside targets from now on.
          this.tempDir = undefined;
          return { result: result('stored'), retry: true };
        }
        if (code !== 'EEXIST') throw error;
        return { result: result(await this.compareExisting(target, size, sha256)), retry: false };
      }
      this.queueFile(target, fd);
      fd = undefined;
      this.pendingDirs.add(folder);
      return { result: result('stored'), retry: false };
    } catch (error) {
      // Ours are already translated; the source's own (a dropped POP3 link) pass unchanged.
      if (error instanceof IngestError || sourceErrors.has(error as object)) throw error;
      throw toAdapterError('STORE_FAILED', `storing ${request.key} under ${this.root}`, error);
    } finally {
      // Best effort: a temp name left behind is a dot-file no key can reach. (close and unlink
      // touch no data: on this thread, like the small path's calls.)
      try {
        if (fd !== undefined) closeFdSync(fd);
      } catch {
        // the descriptor is gone either way
      }
      try {
        unlinkIfPresentSync(temp);
      } catch {
        // see above
      }
    }
  }

  /** link(2) of a small body's temp file; a target folder removed since its first put is made again. */
  private linkSmall(temp: string, target: string, folder: string): void {
    try {
      linkSync(temp, target);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(temp) === folder) throw error;
    }
    this.makeFolderSync(folder);
    linkSync(temp, target);
  }

  /** put(), which retries a small body once when its temp file could not be linked across file systems. */
  async put(request: StoreRequest): Promise<StoreResult> {
    const first = await this.putOnce(request);
    return first.retry ? (await this.putOnce(request)).result : first.result;
  }

  /**
   * Durability barrier: syncs everything put() touched before this call, and resolves only once
   * that and every earlier commit() are durable. After a failed sync every later commit rejects.
   */
  async commit(): Promise<void> {
    const files = [...this.pendingFiles];
    const dirs = [...this.pendingDirs];
    this.pendingFiles = new Map();
    this.pendingDirs = new Set();
    const current = this.syncAll(files, dirs);
    // A commit promises every earlier put(), including those an overlapping commit is syncing.
    const both = Promise.all([this.committed, current]).then(() => undefined);
    this.committed = both.catch(() => undefined);
    await both;
    if (this.broken !== undefined) throw this.broken;
  }

  private async syncAll(files: [string, number | null][], dirs: string[]): Promise<void> {
    try {
      if (await this.syncWholeFileSystem(files, dirs)) return;
      await settleBounded(files, SYNC_CONCURRENCY, async ([path, kept]) => {
        if (kept !== null) this.openHandles -= 1;
        const fd = kept ?? (await openFd(path, READ_ONLY_NO_FOLLOW));
        try {
          await this.sync.file({ fd }, path);
        } finally {
          closeFdSync(fd);
        }
      });
      // Directories after their files: a name is never made durable before its contents.
      await settleBounded(dirs, SYNC_CONCURRENCY, (dir) => this.sync.dir(dir));
    } catch (error) {
      // Linux clears a failed write-back's error once reported: a second fsync could pass over lost data.
      this.broken ??= toAdapterError('STORE_FAILED', `syncing stored messages under ${this.root} (nothing since the last commit is known durable)`, error);
      throw this.broken;
    }
  }

  /**
   * The group made durable by one syncfs of the root's file system, when that is available and
   * covers the group: true when done (kept descriptors closed), false to sync item by item.
   * Directories on another file system (the root's parents when the root is a mount point) are
   * synced one by one after it.
   */
  private async syncWholeFileSystem(files: [string, number | null][], dirs: string[]): Promise<boolean> {
    if (this.fileSystemSync === false || this.sync.fileSystem === undefined || files.length + dirs.length === 0) return false;
    const rootDevice = deviceOf(this.root);
    const foreign = new Set(dirs.filter((dir) => rootDevice === undefined || deviceOf(dir) !== rootDevice));
    if (files.some(([path]) => foreign.has(dirname(path)))) return false;
    const started = this.now();
    if (!(await this.sync.fileSystem(this.root))) {
      // Failed or unavailable: this group file by file (which decides), and from now on.
      this.fileSystemSync = false;
      return false;
    }
    // Done and durable; but if others' writes made it slow, per-file syncs are cheaper from now on.
    if (this.now() - started > Math.max(SLOW_SYNCFS_FLOOR_MS, SLOW_SYNCFS_MS_PER_FILE * files.length)) this.fileSystemSync = false;
    for (const [, kept] of files) {
      if (kept === null) continue;
      this.openHandles -= 1;
      closeFdSync(kept);
    }
    await settleBounded([...foreign], SYNC_CONCURRENCY, (dir) => this.sync.dir(dir));
    return true;
  }

  /** Opens a new private temp file ('wx': never a planted one), creating the folder if missing. */
  private async createTemp(temp: string, folder: string): Promise<number> {
    this.noteDir(folder);
    try {
      return await openFd(temp, 'wx', FILE_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const first = await mkdir(folder, { recursive: true, mode: DIR_MODE });
    if (first !== undefined) this.queueChain(folder, dirname(first));
    return openFd(temp, 'wx', FILE_MODE);
  }

  /**
   * createTemp on this thread, for a body in memory. Its temp file may be in the temp folder:
   * then the target's folder is made sure of on its first put of the run (the link needs it).
   */
  private createTempSync(temp: string, folder: string): number {
    const elsewhere = dirname(temp) !== folder;
    if (elsewhere && !this.knownDirs.has(folder)) this.makeFolderSync(folder);
    this.noteDir(folder);
    try {
      return openSync(temp, 'wx', FILE_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.makeFolderSync(folder);
    // The temp folder's own entries never need to be durable: only the links out of it.
    if (elsewhere) mkdirSync(dirname(temp), { recursive: true, mode: DIR_MODE });
    return openSync(temp, 'wx', FILE_MODE);
  }

  /** Creates `folder` if missing; a folder made now is queued with the parents it made. */
  private makeFolderSync(folder: string): void {
    const first = mkdirSync(folder, { recursive: true, mode: DIR_MODE });
    if (first !== undefined) this.queueChain(folder, dirname(first));
  }

  /** The first put into a folder queues it and its ancestors: their entries may be a killed run's. */
  private noteDir(folder: string): void {
    if (this.knownDirs.has(folder)) return;
    this.knownDirs.add(folder);
    this.queueChain(folder, dirname(this.root));
  }

  /** Queues `dir` and each ancestor up to and including `top` (a new name lives in its parent). */
  private queueChain(dir: string, top: string): void {
    for (let current = dir; ; current = dirname(current)) {
      this.pendingDirs.add(current);
      if (current === top || current === dirname(current) || !current.startsWith(top)) return;
    }
  }

  /** After EEXIST: the existing file's bytes decide; an equal one is queued for the next commit. */
  private async compareExisting(target: string, size: number, sha256: string): Promise<StoreResult['status']> {
    let existing: FileHandle;
    try {
      existing = await open(target, READ_ONLY_NO_FOLLOW);
    } catch (error) {
      // A symbolic link planted under the key is nothing we stored.
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') return 'conflict';
      throw error;
    }
    try {
      if (!(await hasContent(existing, size, sha256))) return 'conflict';
    } finally {
      await existing.close();
    }
    // Rare (a re-fetch after a kill): synced by path at commit; link never replaces the name.
    this.queueFile(target, null);
    this.pendingDirs.add(dirname(target));
    return 'already-stored';
  }

  /** Queues a file for the next commit, keeping `fd` open while the budget allows. */
  private queueFile(path: string, fd: number | null): void {
    if (this.pendingFiles.has(path)) {
      // Queued twice (two writers confirmed the same file): sync whatever holds the name at commit.
      const previous = this.pendingFiles.get(path);
      if (previous !== null && previous !== undefined) {
        this.openHandles -= 1;
        void closeFd(previous).catch(() => undefined);
      }
      if (fd !== null) void closeFd(fd).catch(() => undefined);
      this.pendingFiles.set(path, null);
      return;
    }
    if (fd !== null && this.openHandles >= MAX_OPEN_HANDLES) {
      void closeFd(fd).catch(() => undefined);
      fd = null;
    }
    if (fd !== null) this.openHandles += 1;
    this.pendingFiles.set(path, fd);
  }
}

/**
 * Streams the body into `handle`, hashing; small chunks are gathered into one write(2). A big
 * body's dead socket buffers are freed as it streams, not once V8 gets round to it (reclaim.ts).
 */
async function writeBody(fd: number, body: AsyncIterable<Uint8Array>, reclaimer: StreamReclaimer): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  let gathered: Uint8Array[] = [];
  let gatheredBytes = 0;
  const flush = async (): Promise<void> => {
    if (gatheredBytes === 0) return;
    const data = gathered;
    const bytes = gatheredBytes;
    gathered = [];
    gatheredBytes = 0;
    await (data.length === 1 ? writeAllFd(fd, data[0] as Uint8Array) : writevAllFd(fd, data));
    reclaimer.add(bytes);
  };
  for await (const chunk of fromSource(body)) {
    hash.update(chunk);
    size += chunk.byteLength;
    gathered.push(chunk);
    gatheredBytes += chunk.byteLength;
    if (gatheredBytes >= WRITE_BUFFER_BYTES) await flush();
  }
  await flush();
  return { size, sha256: hash.digest('hex') };
}

/** True when the open file holds exactly `size` bytes hashing to `sha256`. */
async function hasContent(handle: FileHandle, size: number, sha256: string): Promise<boolean> {
  const stats = await handle.stat();
  if (!stats.isFile() || stats.size !== size) return false;
  const found = await digestFile(handle, size);
  return found.size === size && found.sha256 === sha256;
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

/** The device number of `path`'s file system, or undefined when it cannot be read. */
function deviceOf(path: string): number | undefined {
  try {
    return statSync(path).dev;
  } catch {
    return undefined;
  }
}
