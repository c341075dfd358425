/**
 * A per-mailbox lease as a local file, so two CLI runs never poll the same mailbox at once.
 *
 * The lease file is created with 'wx' (O_EXCL: one creator wins) and holds owner, token and
 * expiry. Every read-decide-write (create, take over an expired lease, renew, release) runs
 * under a lock file, so each is an exact compare-and-swap on the token: a takeover (temp +
 * rename over the stale lease) can never race a fresh create, a renewal or a release, and renew
 * and release act only while the file still carries our token.
 *
 * The file also records the holder's process identity (process-identity.ts): a CLI run that was
 * SIGKILLed leaves its lease behind, and a lease whose holder is provably gone (same host, boot
 * and PID namespace, pid dead or reused) is taken over at once. A holder we cannot judge from
 * here (a container sharing the folder, another host) is waited out: its lease lapses one TTL
 * after its last renewal.
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { IngestError } from '../../shared/errors.js';
import type { Clock, Lease, LeaseStore } from '../../sync/ports.js';
import { AdapterError, toAdapterError } from '../errors.js';
import { checkLeaseTtl, decodeLease, encodeLease, isExpired, leaseHandle, newLeaseRecord, renewedRecord, type LeaseRecord } from '../lease-record.js';
import { checkMailboxId } from '../names.js';
import { ensureDir, fsyncDir, replaceFileDurably, writeNewFileDurably } from './durable-fs.js';
import { LockBusyError, withFileLock, type FileLockOptions } from './file-lock.js';
import { holderStatus, selfIdentity } from './process-identity.js';

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

  /** Takes the lease if free, expired or left by a dead holder; null when a live lease holds it (whoever its owner). */
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
      throw asLeaseError(error, `acquiring lease ${path}`);
    }
  }

  private async acquireLocked(path: string, owner: string, ttlMs: number): Promise<LeaseRecord | null> {
    const record: LeaseRecord = { ...newLeaseRecord(owner, this.clock.now(), ttlMs), ...selfIdentity() };
    try {
      await writeNewFileDurably(path, encodeLease(record));
      await fsyncDir(dirname(path));
      return record;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = await readLease(path);
    if (!isExpired(current, this.clock.now()) && holderStatus(current) !== 'gone') return null;
    await replaceFileDurably(path, encodeLease(record));
    return record;
  }

  private lease(path: string, record: LeaseRecord): Lease {
    const locked = <T>(what: string, step: () => Promise<T>): Promise<T> =>
      withFileLock(`${path}.lock`, step, this.lockOptions).catch((error: unknown) => {
        if (error instanceof LockBusyError) {
          throw new AdapterError('LEASE_FAILED', 'throttled', `${what} ${path}: its lock stayed busy`, { cause: error });
        }
        throw asLeaseError(error, `${what} ${path}`);
      });
    return leaseHandle(record, {
      renew: (held, ttlMs) =>
        locked('renewing lease', async () => {
          const current = await readLease(path);
          // Expired, even if nobody took it yet: the holder must not count on time it did not hold.
          if (current?.token !== held.token || isExpired(current, this.clock.now())) return null;
          const next = renewedRecord(held, this.clock.now(), ttlMs);
          await replaceFileDurably(path, encodeLease(next));
          return next;
        }),
      release: (held) =>
        locked('releasing lease', async () => {
          // Taken over after expiry: the file is someone else's now.
          if ((await readLease(path))?.token !== held.token) return;
          // No fsync of the folder: every process sees the removal at once, and a crash that
          // loses it leaves a lease whose holder is gone (holderStatus), which the next poller takes.
          await rm(path, { force: true });
        }),
    });
  }
}

/** The lease in `path`; null when it is missing or unreadable. */
async function readLease(path: string): Promise<LeaseRecord | null> {
  try {
    return decodeLease(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function asLeaseError(error: unknown, what: string): IngestError {
  return error instanceof IngestError ? error : toAdapterError('LEASE_FAILED', what, error);
}
