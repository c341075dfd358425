/**
 * The few file calls of the folder store's hot path on plain descriptors. node:fs/promises
 * wraps each descriptor in a FileHandle (a transferable event emitter, closed through its own
 * promise chain); for thousands of small files that wrapper cost about as much main-thread CPU
 * as the calls themselves. These are the callback calls, each one promise, and for a small body
 * in memory the few calls that never wait for the disk, on the calling thread.
 */
import { close, closeSync, fdatasync, link, open, unlinkSync, write, writeSync, writev } from 'node:fs';

/** Opens `path` with `flags` (e.g. 'wx', 'r') and `mode`; resolves to the descriptor. */
export function openFd(path: string, flags: string | number, mode?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, flags, mode, (error, fd) => (error ? reject(error) : resolve(fd)));
  });
}

/** Writes all of `data` at the descriptor's position: write(2) may write less than asked. */
export async function writeAllFd(fd: number, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.byteLength) {
    offset += await new Promise<number>((resolve, reject) => {
      write(fd, data, offset, data.byteLength - offset, null, (error, written) => (error ? reject(error) : resolve(written)));
    });
  }
}

/**
 * Writes all of `chunks` in order with writev(2), without copying them into one buffer first
 * (a copy per gathered run was 100 MiB of short-lived buffers for a 100 MiB message).
 */
export async function writevAllFd(fd: number, chunks: readonly Uint8Array[]): Promise<void> {
  let pending = chunks.filter((c) => c.byteLength > 0);
  while (pending.length > 0) {
    let written = await new Promise<number>((resolve, reject) => {
      writev(fd, pending as Uint8Array[], null, (error, n) => (error ? reject(error) : resolve(n)));
    });
    // A short write: drop what went out, keep the rest (part of one chunk at most is split).
    let i = 0;
    while (i < pending.length && written >= (pending[i] as Uint8Array).byteLength) {
      written -= (pending[i] as Uint8Array).byteLength;
      i += 1;
    }
    pending = pending.slice(i);
    if (written > 0 && pending.length > 0) pending[0] = (pending[0] as Uint8Array).subarray(written);
  }
}

/** writeAllFd on the calling thread: for a small body in memory, cheaper than a trip to the pool. */
export function writeAllFdSync(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.byteLength) offset += writeSync(fd, data, offset, data.byteLength - offset, null);
}

/** close(2) on the calling thread (a close never waits for the disk). */
export function closeFdSync(fd: number): void {
  closeSync(fd);
}

/** unlink(2) on the calling thread; a missing file is not an error. */
export function unlinkIfPresentSync(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** fdatasync(2): the data and the size (all a reader needs) on disk. */
export function datasyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (error) => (error ? reject(error) : resolve()));
  });
}

/** close(2). */
export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    close(fd, (error) => (error ? reject(error) : resolve()));
  });
}

/** link(2): a new name for `existing`; fails with EEXIST rather than replace `target`. */
export function linkPath(existing: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    link(existing, target, (error) => (error ? reject(error) : resolve()));
  });
}
