/**
 * A cross-process mutex made of one lock file created with O_CREAT|O_EXCL ('wx'): the kernel
 * lets exactly one process create it. Held only for a compare-and-rename (milliseconds), so a
 * lock file older than `staleMs` is a crashed holder's and is removed.
 *
 * Known limit: two processes that both judge the same lock stale at the same instant could both
 * remove it; with a 10 s stale age against millisecond hold times that needs a crash and a race
 * together, and the loser of the following compare still sees the winner's write.
 */
import { open, rm, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { FILE_MODE } from './durable-fs.js';

/** Options for withFileLock. */
export interface FileLockOptions {
  /** Give up waiting after this long (default 5 s). */
  timeoutMs?: number;
  /** A lock file older than this is a crashed holder's (default 10 s). */
  staleMs?: number;
}

/** Thrown (and caught by the callers) when the lock stays busy past the timeout. */
export class LockBusyError extends Error {
  constructor(readonly lockPath: string) {
    super(`lock ${lockPath} is busy`);
    this.name = 'LockBusyError';
  }
}

/** Runs `fn` while holding the lock file at `lockPath`; always removes the lock afterwards. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const staleMs = options.staleMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', FILE_MODE);
      try {
        await handle.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await lockAge(lockPath);
    if (age !== null && age > staleMs) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() >= deadline) throw new LockBusyError(lockPath);
    // Another process holds it for a few milliseconds; there is no cross-process event to wait on.
    await delay(2 + Math.floor(Math.random() * 8));
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function lockAge(lockPath: string): Promise<number | null> {
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
