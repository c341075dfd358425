/**
 * Quiet entries: UIDs whose record needs nothing more (stored or skipped, event acknowledged,
 * no deletion under way, no failure), kept as fixed-size columns sorted by UID hash instead of
 * objects. A kept mailbox is almost all quiet, so its memory and its stored size per UID are
 * small constants: 16 octets of UID hash, 16 of header hash, and a few of first-seen time,
 * sizes, kind and epoch (seen-entries.ts keeps everything else as full records).
 *
 * Why 16 octets of SHA-256 identify a UID: the hash is the first half of keys.ts `uidHash`
 * (salted with the mailbox id). Two distinct UIDs of one mailbox share it with probability
 * about n^2 / 2^129 over n UIDs: 1.5e-27 for a million. The server chooses UIDs, not senders,
 * and a server that wants to confuse us can simply renumber; finding a collision on purpose
 * still costs about 2^64 SHA-256 evaluations.
 */
import { hash as oneShotHash } from 'node:crypto';
import { messageKey, type MessageKind } from './keys.js';
import type { HeadersReason, SeenEntry } from './state.js';

/** Octets of a UID hash and of a stored header hash. */
export const HASH_BYTES = 16;
/** Marks an absent size in the u32 columns. */
export const NO_SIZE = 0xffff_ffff;

const KINDS = ['full', 'headers', 'skipped', 'seeded'] as const;
const WHY: readonly (HeadersReason | undefined)[] = [undefined, 'mode', 'too-large', 'filter'];

/** The 16-octet UID hash: SHA-256(mailboxId NUL uid), the first half of keys.ts uidHash. */
export function uidDigest(mailboxId: string, uid: string): Uint8Array {
  return oneShotHash('sha256', `${mailboxId}\0${uid}`, 'buffer').subarray(0, HASH_BYTES);
}

/** Hex of a hash held at `offset` in `bytes`. */
export function hexAt(bytes: Uint8Array, offset = 0): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, HASH_BYTES).toString('hex');
}

/** Compares the hash at `a[ai..]` with the one at `b[bi..]` (unsigned octet order). */
export function compareHash(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let k = 0; k < HASH_BYTES; k++) {
    const d = (a[ai + k] as number) - (b[bi + k] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** One quiet record outside the columns (kept until the next save seals it into a run). */
export interface QuietRecord {
  hash: Uint8Array;
  /** All zero: none recorded. */
  headerHash: Uint8Array;
  /** Seconds since 1970: day-based rules (after-days, EXPIRE) need no more. */
  firstSeen: number;
  listSize: number;
  size: number;
  /** kind (bits 0-1), object kind of the key (bit 2), headersWhy (bits 3-4). */
  flags: number;
  /** Epoch the object key was made under. */
  epoch: number;
}

/**
 * The compact form of `entry`, or undefined when it has to stay a full record: anything still
 * pending (status other than published, an owed event, a deletion under way, a failure count),
 * a re-used UID's generation, or a key that is not the one keys.ts derives from `keyPrefix`.
 */
export function toQuiet(mailboxId: string, keyPrefix: string, uid: string, entry: SeenEntry, hash: Uint8Array): QuietRecord | undefined {
  if (entry.status !== 'published' || entry.kind === 'failed' || entry.deleteSent === true || entry.event !== undefined) return undefined;
  if (entry.sha256 !== undefined || entry.attempts !== undefined || entry.lastError !== undefined || entry.generation !== undefined) return undefined;
  const ms = Date.parse(entry.firstSeen);
  if (!(ms >= 0 && ms / 1000 < NO_SIZE)) return undefined;
  if (!fitsU32(entry.size) || !fitsU32(entry.listSize)) return undefined;
  const kindBits = KINDS.indexOf(entry.kind);
  const why = WHY.indexOf(entry.headersWhy);
  const keyKind = keyKindOf(mailboxId, keyPrefix, uid, entry.key);
  if (keyKind === undefined) return undefined;
  const headerHash = new Uint8Array(HASH_BYTES);
  if (entry.headerHash !== undefined) {
    headerHash.set(Buffer.from(entry.headerHash, 'hex'));
    if (headerHash.every((b) => b === 0)) return undefined;
  }
  return {
    hash,
    headerHash,
    firstSeen: Math.floor(ms / 1000),
    listSize: entry.listSize ?? NO_SIZE,
    size: entry.size ?? NO_SIZE,
    flags: kindBits | (keyKind.kind === 'headers' ? 4 : 0) | (why << 3),
    epoch: keyKind.epoch,
  };
}

/** The full record of a quiet entry, for `uid`. */
export function fromQuiet(mailboxId: string, keyPrefix: string, uid: string, q: Omit<QuietRecord, 'hash'>): SeenEntry {
  return fromQuietWithKey(messageKey(keyPrefix, mailboxId, uid, quietKeyKind(q), q.epoch), q);
}

/** The object kind in a quiet entry's key ('headers' for headers-only and too-large). */
export function quietKeyKind(q: Pick<QuietRecord, 'flags'>): MessageKind {
  return (q.flags & 4) !== 0 ? 'headers' : 'full';
}

/** The full record of a quiet entry whose key is known (a replay: the UID itself is not kept). */
export function fromQuietWithKey(key: string, q: Omit<QuietRecord, 'hash'>): SeenEntry {
  const entry: SeenEntry = {
    firstSeen: new Date(q.firstSeen * 1000).toISOString(),
    key,
    kind: KINDS[q.flags & 3] ?? 'full',
    status: 'published',
  };
  if (q.size !== NO_SIZE) entry.size = q.size;
  if (q.listSize !== NO_SIZE) entry.listSize = q.listSize;
  if (q.headerHash.some((b) => b !== 0)) entry.headerHash = Buffer.from(q.headerHash).toString('hex');
  const why = WHY[(q.flags >> 3) & 3];
  if (why !== undefined) entry.headersWhy = why;
  return entry;
}

/** The key prefix `key` was made with for `uid` (the configured prefix), or undefined. */
export function keyPrefixOf(mailboxId: string, uid: string, key: string): string | undefined {
  const match = /(?:e(\d+)\/)?(full|headers)\/[0-9a-f]{64}\.eml$/.exec(key);
  if (!match) return undefined;
  const suffix = messageKey('', mailboxId, uid, match[2] as MessageKind, match[1] === undefined ? 1 : Number(match[1]));
  return key.endsWith(suffix) ? key.slice(0, key.length - suffix.length) : undefined;
}

function keyKindOf(mailboxId: string, keyPrefix: string, uid: string, key: string): { kind: MessageKind; epoch: number } | undefined {
  if (!key.startsWith(keyPrefix)) return undefined;
  const rest = key.slice(keyPrefix.length);
  const match = /^[^/]+\/(?:e(\d+)\/)?(full|headers)\//.exec(rest);
  if (!match) return undefined;
  const epoch = match[1] === undefined ? 1 : Number(match[1]);
  const kind = match[2] as MessageKind;
  if (!(epoch >= 1 && epoch <= 0xffff) || messageKey(keyPrefix, mailboxId, uid, kind, epoch) !== key) return undefined;
  return { kind, epoch };
}

function fitsU32(v: number | undefined): boolean {
  return v === undefined || (Number.isSafeInteger(v) && v >= 0 && v < NO_SIZE);
}

/** The columns of a run an idle poll does not read (state-codec.ts decodes them on first use). */
export interface SmallColumns {
  firstSeen: Uint32Array;
  listSize: Uint32Array;
  size: Uint32Array;
  epochs: Uint16Array;
}

/**
 * Quiet entries as columns sorted by hash (unique). `removed` marks entries deleted since.
 * The hashes and the flags (kind) are what matching a listing reads; the other columns may be
 * given as a decoder, run once when first read (issue 15: ~14 octets a kept UID an idle poll
 * never reads).
 */
export class QuietRun {
  readonly removed: Uint8Array;
  live: number;
  private small: SmallColumns | (() => SmallColumns);

  constructor(
    readonly n: number,
    readonly hashes: Uint8Array,
    readonly headerHashes: Uint8Array,
    readonly flags: Uint8Array,
    small: SmallColumns | (() => SmallColumns),
  ) {
    this.removed = new Uint8Array(n);
    this.live = n;
    this.small = small;
  }

  get firstSeen(): Uint32Array {
    return this.columns().firstSeen;
  }

  get listSize(): Uint32Array {
    return this.columns().listSize;
  }

  get size(): Uint32Array {
    return this.columns().size;
  }

  get epochs(): Uint16Array {
    return this.columns().epochs;
  }

  /** Index of `hash` (at `offset`), -1 when absent or removed. */
  find(hash: Uint8Array, offset = 0): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareHash(this.hashes, mid * HASH_BYTES, hash, offset);
      if (c === 0) return this.removed[mid] === 1 ? -1 : mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  remove(i: number): void {
    if (this.removed[i] === 1) return;
    this.removed[i] = 1;
    this.live -= 1;
  }

  /** Entry `i` as a record (its hash and header hash are views, not copies). */
  record(i: number): QuietRecord {
    const small = this.columns();
    return {
      hash: this.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
      headerHash: this.headerHashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
      firstSeen: small.firstSeen[i] as number,
      listSize: small.listSize[i] as number,
      size: small.size[i] as number,
      flags: this.flags[i] as number,
      epoch: small.epochs[i] as number,
    };
  }

  private columns(): SmallColumns {
    if (typeof this.small === 'function') this.small = this.small();
    return this.small;
  }
}

/** Builds a run from records pushed in hash order. */
export class RunBuilder {
  private readonly hashes: Uint8Array;
  private readonly headerHashes: Uint8Array;
  private readonly firstSeen: Uint32Array;
  private readonly listSize: Uint32Array;
  private readonly size: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly epochs: Uint16Array;
  private n = 0;

  constructor(capacity: number) {
    this.hashes = new Uint8Array(capacity * HASH_BYTES);
    this.headerHashes = new Uint8Array(capacity * HASH_BYTES);
    this.firstSeen = new Uint32Array(capacity);
    this.listSize = new Uint32Array(capacity);
    this.size = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.epochs = new Uint16Array(capacity);
  }

  /** Appends entry `i` of `run`. */
  pushFrom(run: QuietRun, i: number): void {
    const n = this.n++;
    this.hashes.set(run.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), n * HASH_BYTES);
    this.headerHashes.set(run.headerHashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), n * HASH_BYTES);
    this.firstSeen[n] = run.firstSeen[i] as number;
    this.listSize[n] = run.listSize[i] as number;
    this.size[n] = run.size[i] as number;
    this.flags[n] = run.flags[i] as number;
    this.epochs[n] = run.epochs[i] as number;
  }

  push(r: QuietRecord): void {
    const n = this.n++;
    this.hashes.set(r.hash, n * HASH_BYTES);
    this.headerHashes.set(r.headerHash, n * HASH_BYTES);
    this.firstSeen[n] = r.firstSeen;
    this.listSize[n] = r.listSize;
    this.size[n] = r.size;
    this.flags[n] = r.flags;
    this.epochs[n] = r.epoch;
  }

  build(): QuietRun {
    const n = this.n;
    return new QuietRun(n, this.hashes.subarray(0, n * HASH_BYTES), this.headerHashes.subarray(0, n * HASH_BYTES), this.flags.subarray(0, n), {
      firstSeen: this.firstSeen.subarray(0, n), listSize: this.listSize.subarray(0, n), size: this.size.subarray(0, n), epochs: this.epochs.subarray(0, n),
    });
  }
}

/** Merges the live entries of runs (hashes unique across them) into one sorted run. */
export function mergeRuns(runs: readonly QuietRun[]): QuietRun {
  const total = runs.reduce((sum, r) => sum + r.live, 0);
  const out = new RunBuilder(total);
  const pos = runs.map(() => 0);
  const next = (k: number): void => {
    const run = runs[k] as QuietRun;
    while ((pos[k] as number) < run.n && run.removed[pos[k] as number] === 1) pos[k] = (pos[k] as number) + 1;
  };
  runs.forEach((_, k) => next(k));
  for (;;) {
    let best = -1;
    for (let k = 0; k < runs.length; k++) {
      const run = runs[k] as QuietRun;
      const i = pos[k] as number;
      if (i >= run.n) continue;
      if (best < 0) best = k;
      else if (compareHash(run.hashes, i * HASH_BYTES, (runs[best] as QuietRun).hashes, (pos[best] as number) * HASH_BYTES) < 0) best = k;
    }
    if (best < 0) break;
    out.pushFrom(runs[best] as QuietRun, pos[best] as number);
    pos[best] = (pos[best] as number) + 1;
    next(best);
  }
  return out.build();
}

/** A run of `records` (any order; hashes unique). */
export function runOf(records: QuietRecord[]): QuietRun {
  records.sort((a, b) => compareHash(a.hash, 0, b.hash, 0));
  const out = new RunBuilder(records.length);
  for (const r of records) out.push(r);
  return out.build();
}
