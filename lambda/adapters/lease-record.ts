/**
 * The lease document shared by the S3 and file lease stores: who holds it, until when, and a
 * random token so a holder can tell its own lease from a later one by the same owner name.
 */
import { randomBytes } from 'node:crypto';
import type { Lease } from '../sync/ports.js';
import { AdapterError } from './errors.js';

/** A lease as stored. */
export interface LeaseRecord {
  owner: string;
  token: string;
  acquiredAt: string;
  expiresAt: string;
  /** Local leases only: the holder's process and host, so a dead holder's lease is not waited out. */
  pid?: number;
  host?: string;
}

/** A fresh lease for `owner`, valid for `ttlMs` from `now`. */
export function newLeaseRecord(owner: string, now: Date, ttlMs: number): LeaseRecord {
  return {
    owner,
    token: randomBytes(16).toString('hex'),
    acquiredAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  };
}

/** Serialises a lease record. */
export function encodeLease(record: LeaseRecord): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`);
}

/**
 * Parses a stored lease; null for anything unreadable, which callers treat as expired (a torn
 * or foreign document must not lock a mailbox forever).
 */
export function decodeLease(bytes: Uint8Array): LeaseRecord | null {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LeaseRecord>;
    if (typeof value.owner !== 'string' || typeof value.token !== 'string' || typeof value.expiresAt !== 'string') return null;
    if (Number.isNaN(Date.parse(value.expiresAt))) return null;
    const record: LeaseRecord = { owner: value.owner, token: value.token, acquiredAt: String(value.acquiredAt ?? ''), expiresAt: value.expiresAt };
    if (Number.isSafeInteger(value.pid) && (value.pid as number) > 0) record.pid = value.pid as number;
    if (typeof value.host === 'string') record.host = value.host;
    return record;
  } catch {
    return null;
  }
}

/** True when the lease is unreadable or its expiry is at or before `now`. */
export function isExpired(record: LeaseRecord | null, now: Date): boolean {
  return record === null || Date.parse(record.expiresAt) <= now.getTime();
}

/** Throws INVALID_CONFIG unless `ttlMs` is a positive finite duration (a lease must expire). */
export function checkLeaseTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new AdapterError('INVALID_CONFIG', 'permanent', 'lease ttlMs must be positive');
}

/**
 * The Lease handed to the sync core for `record`: `release` runs `releaseOnce` on the first call
 * only (a second release, even after a failed one, does nothing).
 */
export function leaseHandle(record: LeaseRecord, releaseOnce: () => Promise<void>): Lease {
  let released = false;
  return {
    owner: record.owner,
    expiresAt: new Date(record.expiresAt),
    // Interim: renewal lands with the lease adapters' rework; until then a lease is held to its first TTL.
    async renew(): Promise<boolean> {
      return Date.parse(record.expiresAt) > Date.now();
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      await releaseOnce();
    },
  };
}
