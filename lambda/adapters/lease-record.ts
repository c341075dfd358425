/**
 * The lease document shared by the S3 and file lease stores: who holds it, until when, and a
 * random token so a holder can tell its own lease from a later one by the same owner name.
 *
 * A lease is short (the sync core takes 60 s) and renewed while its poll runs, so a holder that
 * dies hard blocks its mailbox for one TTL at most and a live one is never overtaken. Every
 * store keeps the same rules (test/contract/lease-store.contract.test.ts): a live lease is
 * refused to everyone, its own owner name included; an expired one is taken over by exactly
 * one acquirer; renew and release act only on the holder's own token.
 */
import { randomBytes } from 'node:crypto';
import type { Lease } from '../sync/ports.js';
import { AdapterError } from './errors.js';
import type { ProcessIdentity } from './local/process-identity.js';
import { identityFrom } from './local/process-identity.js';

/** A lease as stored. Local leases also carry the holder's process identity. */
export interface LeaseRecord extends Partial<ProcessIdentity> {
  owner: string;
  token: string;
  acquiredAt: string;
  expiresAt: string;
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

/** The same lease (owner, token, holder) extended to `now + ttlMs`. */
export function renewedRecord(record: LeaseRecord, now: Date, ttlMs: number): LeaseRecord {
  return { ...record, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
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
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    if (typeof value.owner !== 'string' || typeof value.token !== 'string' || typeof value.expiresAt !== 'string') return null;
    if (Number.isNaN(Date.parse(value.expiresAt))) return null;
    return { owner: value.owner, token: value.token, acquiredAt: String(value.acquiredAt ?? ''), expiresAt: value.expiresAt, ...identityFrom(value) };
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

/** What a store does for a held lease: both act only if the stored lease still carries `held`'s token. */
export interface LeaseActions {
  /** Extends `held` by `ttlMs`; the new record, or null when the lease was lost. */
  renew(held: LeaseRecord, ttlMs: number): Promise<LeaseRecord | null>;
  /** Removes `held`, never a successor's lease. */
  release(held: LeaseRecord): Promise<void>;
}

/**
 * The Lease handed to the sync core. Calls run one at a time in call order (a renew racing a
 * release would otherwise rewrite a lease just removed); once a renew has found the lease lost,
 * or after the first release, renew answers false and release does nothing.
 */
export function leaseHandle(record: LeaseRecord, actions: LeaseActions): Lease {
  let held = record;
  let lost = false;
  let released = false;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(step: () => Promise<T>): Promise<T> => {
    const next = queue.then(step, step);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    owner: record.owner,
    get expiresAt(): Date {
      return new Date(held.expiresAt);
    },
    renew(ttlMs: number): Promise<boolean> {
      return serial(async () => {
        checkLeaseTtl(ttlMs);
        if (lost || released) return false;
        const renewed = await actions.renew(held, ttlMs);
        if (renewed === null) {
          lost = true;
          return false;
        }
        held = renewed;
        return true;
      });
    },
    release(): Promise<void> {
      return serial(async () => {
        if (released) return;
        released = true;
        if (!lost) await actions.release(held);
      });
    },
  };
}
