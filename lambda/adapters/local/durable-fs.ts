/**
 * The few file-system moves the local adapters need to be crash-safe: write-and-fsync, fsync a
 * directory (so a rename or link survives power loss, not only the file's data), private modes,
 * and keys that cannot climb out of their folder.
 */
import { randomBytes } from 'node:crypto';
import { open, mkdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { AdapterError } from '../errors.js';
import { datasyncFd } from './fd-io.js';
import { fileSystemSyncAllowed, syncFileSystemOf } from './file-system-sync.js';

/** Files hold mail and mailbox state: owner-only. */
export const FILE_MODE = 0o600;
/** Folders we create: owner-only. */
export const DIR_MODE = 0o700;

/** Suffix of the metadata sidecar written beside each stored message. */
export const META_SUFFIX = '.meta.json';

/** Creates `dir` and its parents (owner-only) if missing. */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
}

/**
 * fsync a directory: POSIX makes a new name durable only once its directory is synced.
 * Some platforms cannot open a directory for sync (EISDIR/EPERM/EINVAL); that is not an error.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/** An open file to sync: a FileHandle or a plain descriptor. */
export interface SyncTarget {
  readonly fd: number;
}

/** How a writer makes a file or a directory durable; tests observe or hold it. */
export interface DurableSync {
  file(target: SyncTarget, path: string): Promise<void>;
  dir(path: string): Promise<void>;
  /**
   * Everything written on `folder`'s file system made durable in one call (syncfs), if this
   * way is available: false asks the caller to sync file by file and directory by directory.
   */
  fileSystem?(folder: string): Promise<boolean>;
}

/** fdatasync for files (data and size, all a reader needs), fsync for directories, syncfs for groups where it reports errors. */
export const SYSTEM_SYNC: DurableSync = {
  file: (target) => datasyncFd(target.fd),
  dir: fsyncDir,
  fileSystem: (folder) => (fileSystemSyncAllowed() ? syncFileSystemOf(folder) : Promise.resolve(false)),
};

/** Random per process; a counter makes each temp name unique within it (no RNG call per file). */
const TEMP_PREFIX = randomBytes(6).toString('hex');
let tempCounter = 0;

/** A fresh temp path beside `target` (same directory, so link/rename stay atomic). */
export function tempPathFor(target: string): string {
  tempCounter += 1;
  return join(dirname(target), `.${basename(target)}.${TEMP_PREFIX}${tempCounter.toString(36)}.tmp`);
}

/**
 * Opens `path` owner-only with `flags` ('wx': a new file, never following or reusing a planted
 * one; 'a': append), lets `write` fill it, and fsyncs before closing: once this resolves the
 * bytes are on disk. The handle is closed whatever happens.
 */
export async function withDurableFile(path: string, flags: 'wx' | 'a' | 'a+', write: (handle: FileHandle) => Promise<void>): Promise<void> {
  const handle = await open(path, flags, FILE_MODE);
  try {
    await write(handle);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a new file at `path` ('wx': never follows or reuses a planted file) and fsyncs it. */
export async function writeNewFileDurably(path: string, data: Uint8Array | string): Promise<void> {
  await withDurableFile(path, 'wx', (handle) => handle.writeFile(data));
}

/**
 * Replaces the file at `path` atomically and durably: write a temp file beside it and fsync it,
 * rename it over `path` (a reader sees the old content or the new, never a torn one), then fsync
 * the directory so the rename survives a crash. The temp file never outlives the call.
 */
export async function replaceFileDurably(path: string, data: Uint8Array | string): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeNewFileDurably(temp, data);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  await fsyncDir(dirname(path));
}

/**
 * Resolves a store key under `root`, rejecting anything that could escape it or is not a plain
 * relative path: absolute paths, '..' or '.' segments, empty segments, backslashes, NUL and
 * other control characters. The core builds keys itself; this is defence in depth.
 */
export function resolveKey(root: string, key: string): string {
  const segments = key.split('/');
  const bad =
    key.length === 0 || key.length > 1024 || isAbsolute(key) || key.includes('\\') || /[\u0000-\u001f\u007f]/.test(key) ||
    // Dot-names are our temp files; '.meta.json' names are sidecars (the parsed store's, and
    // those earlier versions wrote beside messages): no key may collide.
    segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.startsWith('.')) ||
    key.endsWith(META_SUFFIX);
  const rootPath = resolve(root);
  const target = resolve(rootPath, ...segments);
  if (bad || !target.startsWith(rootPath + sep)) {
    throw new AdapterError('INVALID_KEY', 'permanent', `invalid store key ${JSON.stringify(key.slice(0, 200))}`);
  }
  return target;
}
