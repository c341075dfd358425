/**
 * A per-mailbox lease as a local file, so two CLI runs never poll the same mailbox at once.
 *
 * The lease file is created with 'wx' (O_EXCL: one creator wins) and holds owner, token and
 * expiry. Every read-decide-write (create, take over an expired lease, release) runs under a
 * lock file, so a takeover (temp + rename over the stale lease) can never race a fresh create
 * or a release, and release removes the file only if it still carries our token.
 *
 * The file also records the holder's pid and host: a CLI run that was SIGKILLed (or lost power)
 * leaves its lease behind, and waiting out the whole TTL would make every cron run in between
 * exit "busy". A lease whose holder is provably gone (same host, no such process) is taken over
 * at once; a recycled pid only makes us wait for the expiry, the safe direction.
 */
import { readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { IngestError } from '../../shared/errors.js';
import type { Clock, Lease, LeaseStore } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { checkLeaseTtl, decodeLease, encodeLease, isExpired, leaseHandle, newLeaseRecord, type LeaseRecord } from '../lease-record.js';
import { checkMailboxId } from '../names.js';
import { ensureDir, fsyncDir, replaceFileDurably, writeNewFileDurably } from './durable-fs.js';
import { LockBusyError, withFileLock, type FileLockOptions } from './file-lock.js';

/** Options for FileLeaseStore. */
export interface FileLeaseStoreOptions {
  /** Root folder; the lease is `<dir>/lease/<mailboxId>.json`. */
  dir: string;
  clock?: Clock;
  lock?: FileLockOptions;
}

const systemClock: Clock = { now: () => new Date() };

/** LeaseStore over local files. */
export class FileLeaseStore implements LeaseStore {
  private readonly root: string;
  private readonly clock: Clock;
  private readonly lockOptions: FileLockOptions;

  constructor(options: FileLeaseStoreOptions) {
    if (options.dir === '') throw new AdapterError('INVALID_CONFIG', 'permanent', 'dir is required');
    this.root = resolve(options.dir);
    this.clock = options.clock ?? systemClock;
    this.lockOptions = options.lock ?? {};
  }

  /** The file holding a mailbox's lease. */
  pathFor(mailboxId: string): string {
    return join(this.root, 'lease', `${checkMailboxId(mailboxId)}.json`);
  }

  /** Takes the lease if free or expired; null when another live lease holds it. */
  async acquire(mailboxId: string, owner: string, ttlMs: number): Promise<Lease | null> {
    checkLeaseTtl(ttlMs);
    const path = this.pathFor(mailboxId);
    try {
      await ensureDir(dirname(path));
      const record = await withFileLock(`${path}.lock`, () => this.acquireLocked(path, owner, ttlMs), this.lockOptions);
      return record === null ? null : this.lease(path, record);
    } catch (error) {
      // Someone else is mid-acquire or mid-release for longer than the lock timeout: busy.
      if (error instanceof LockBusyError) return null;
      if (error instanceof IngestError) throw error;
      throw toAdapterError('LEASE_FAILED', `acquiring lease ${path}`, error);
    }
  }

  private async acquireLocked(path: string, owner: string, ttlMs: number): Promise<LeaseRecord | null> {
    const record: LeaseRecord = { ...newLeaseRecord(owner, this.clock.now(), ttlMs), pid: process.pid, host: hostname() };
    try {
      await writeNewFileDurably(path, encodeLease(record));
      await fsyncDir(dirname(path));
      return record;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = decodeLease(await readFile(path));
    if (!isExpired(current, this.clock.now()) && !holderIsGone(current)) return null;
    await replaceFileDurably(path, encodeLease(record));
    return record;
  }

  private lease(path: string, record: LeaseRecord): Lease {
    const lockOptions = this.lockOptions;
    return leaseHandle(record, async () => {
      try {
        await withFileLock(`${path}.lock`, async () => {
          let current: LeaseRecord | null;
          try {
            current = decodeLease(await readFile(path));
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
            throw error;
          }
          // Taken over after expiry: the file is someone else's now.
          if (current?.token !== record.token) return;
          await rm(path, { force: true });
          await fsyncDir(dirname(path));
        }, lockOptions);
      } catch (error) {
        throw toAdapterError('LEASE_FAILED', `releasing lease ${path}`, error);
      }
    });
  }
}

/** True only when the lease was taken on this host by a process that no longer exists. */
function holderIsGone(record: LeaseRecord | null): boolean {
  if (record?.pid === undefined || record.host !== hostname() || record.pid === process.pid) return false;
  try {
    process.kill(record.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but is not ours to signal: alive.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
