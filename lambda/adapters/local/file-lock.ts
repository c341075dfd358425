/**
 * A cross-process mutex made of one lock file created with O_CREAT|O_EXCL ('wx'): the kernel
 * lets exactly one process create it. It is held for a compare-and-rename (milliseconds).
 *
 * A lock is never broken by age while its holder lives. The file records the holder's identity
 * (process-identity.ts) and a random token:
 * - a holder provably gone (same host, boot and PID namespace; pid dead or reused) has its lock
 *   broken at once;
 * - a holder provably alive keeps it, however long it takes;
 * - a holder we cannot judge (another PID namespace or host) keeps it as long as it touches the
 *   file: the holder refreshes the lock's mtime every staleMs/4 while it runs, so only a lock
 *   untouched for `staleMs` is a crashed holder's.
 * A lock is broken by renaming it aside and checking that what was renamed is the lock judged
 * stale (a lock taken afresh in between is put back), so two breakers cannot remove each
 * other's fresh lock; the release removes the file only if it still carries our token.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { FILE_MODE } from './durable-fs.js';
import { holderStatus, identityFrom, selfIdentity } from './process-identity.js';

/** Options for withFileLock. */
export interface FileLockOptions {
  /** Give up waiting after this long (default 5 s). */
  timeoutMs?: number;
  /** A lock whose holder cannot be judged and that was not touched for this long is a crashed holder's (default 10 s). */
  staleMs?: number;
}

/** Thrown (and caught by the callers) when the lock stays busy past the timeout. */
export class LockBusyError extends Error {
  constructor(readonly lockPath: string) {
    super(`lock ${lockPath} is busy`);
    this.name = 'LockBusyError';
  }
}

/** Runs `fn` while holding the lock file at `lockPath`; always removes our lock afterwards. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const staleMs = options.staleMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const token = randomBytes(12).toString('hex');
  const content = `${JSON.stringify({ token, ...selfIdentity(), at: new Date().toISOString() })}\n`;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', FILE_MODE);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = await inspect(lockPath);
    if (seen !== null && isBreakable(seen, staleMs)) {
      await breakLock(lockPath, seen.text);
      continue;
    }
    if (Date.now() >= deadline) throw new LockBusyError(lockPath);
    // Another process holds it for a few milliseconds; there is no cross-process event to wait on.
    await delay(2 + Math.floor(Math.random() * 8));
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, Math.max(1, Math.floor(staleMs / 4)));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await releaseLock(lockPath, content);
  }
}

interface SeenLock {
  text: string;
  ageMs: number;
}

/** The lock's content and age; null when it vanished meanwhile. */
async function inspect(lockPath: string): Promise<SeenLock | null> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return { text, ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function isBreakable(seen: SeenLock, staleMs: number): boolean {
  const status = holderStatus(parseHolder(seen.text));
  if (status === 'gone') return true;
  if (status === 'alive') return false;
  return seen.ageMs > staleMs;
}

function parseHolder(text: string): ReturnType<typeof identityFrom> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? identityFrom(value as Record<string, unknown>) : null;
  } catch {
    return null; // a torn write or an older format: judged by age
  }
}

/** Moves the lock aside; removes it if it is the one judged stale, otherwise puts it back. */
async function breakLock(lockPath: string, judged: string): Promise<void> {
  const aside = `${lockPath}.${randomBytes(6).toString('hex')}.broken`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another breaker was first
    throw error;
  }
  try {
    if ((await readFile(aside, 'utf8')) !== judged) {
      // A fresh lock replaced the stale one between our read and our rename: restore it,
      // unless yet another process has created one since (link never overwrites).
      await link(aside, lockPath).catch(() => undefined);
    }
  } finally {
    await rm(aside, { force: true });
  }
}

async function releaseLock(lockPath: string, content: string): Promise<void> {
  let current: string;
  try {
    current = await readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  // Broken while we held it (we looked dead from there): the lock is someone else's now.
  if (current === content) await rm(lockPath, { force: true });
}
