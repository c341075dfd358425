/**
 * The entries of a seen-state: UID -> record, with two representations behind one API.
 * Quiet entries (quiet-run.ts: nothing pending) live in sorted columns keyed by a 16-octet
 * UID hash; every other entry is a full record keyed by its UID ("loud"). get/set/delete by
 * UID work the same for both; iteration by UID covers loud entries only (a quiet entry's UID
 * is not stored), and `match` compares a listing with all of them without building objects.
 *
 * Changes since the last save are journaled so a checkpoint writes only them (state-codec.ts):
 * loud records set, quiet records added (a new run), hashes removed.
 */
import { asListing, type ListingInput } from './listing.js';
import type { Listing } from './ports.js';
import { HASH_BYTES, NO_SIZE, QuietRun, compareHash, fromQuiet, hexAt, keyPrefixOf, mergeRuns, runOf, toQuiet, uidDigest, type QuietRecord } from './quiet-run.js';
import type { SeenEntry } from './state.js';
import { UidDigester } from './uid-digests.js';

/** What a save writes: hashes removed, loud records set, quiet records added. */
export interface EntryChanges {
  removed: Uint8Array;
  loud: [string, SeenEntry][];
  quiet: QuietRun;
}

/** A known UID that is not in a listing (gone from the server), as the breaker and prune see it. */
export interface GoneEntry {
  /** Only for loud entries. */
  uid?: string;
  hashHex: string;
  status: SeenEntry['status'];
  firstSeen: string;
  deleteSent: boolean;
  /** LIST size, else stored size, else -1 (the breaker's size match). */
  sizeHint: number;
}

/** The seen entries of one mailbox. */
export class SeenEntries {
  /** Prefix of object keys (the configured one); quiet entries rebuild their key from it. */
  keyPrefix: string | undefined;
  private runs: QuietRun[] = [];
  private readonly loud = new Map<string, SeenEntry>();
  private readonly loudByHash = new Map<string, string>();
  private pending = new Map<string, { uid: string; record: QuietRecord }>();
  private removedSinceSave = new Set<string>();
  private loudChanged = new Set<string>();
  private mutations = 0;
  private lastMatch: { listing: Listing; mutations: number; match: ListingMatch } | undefined;

  constructor(readonly mailboxId: string) {}

  /** Number of UIDs known. */
  get size(): number {
    let n = this.loud.size + this.pending.size;
    for (const run of this.runs) n += run.live;
    return n;
  }

  /** Number of quiet entries (columns), for metrics and benchmarks. */
  get quietCount(): number {
    return this.size - this.loud.size;
  }

  get(uid: string): SeenEntry | undefined {
    const loud = this.loud.get(uid);
    if (loud !== undefined) return loud;
    const hash = uidDigest(this.mailboxId, uid);
    const pending = this.pending.get(hexAt(hash));
    if (pending !== undefined) return this.expand(uid, pending.record);
    for (const run of this.runs) {
      const i = run.find(hash);
      if (i >= 0) return this.expand(uid, run.record(i));
    }
    return undefined;
  }

  has(uid: string): boolean {
    return this.get(uid) !== undefined;
  }

  /** Records `entry` for `uid` (replacing any earlier record). */
  set(uid: string, entry: SeenEntry): void {
    const hash = uidDigest(this.mailboxId, uid);
    const hex = hexAt(hash);
    this.drop(uid, hash, hex);
    if (this.keyPrefix === undefined) this.keyPrefix = keyPrefixOf(this.mailboxId, uid, entry.key);
    const quiet = this.keyPrefix === undefined ? undefined : toQuiet(this.mailboxId, this.keyPrefix, uid, entry, hash);
    if (quiet !== undefined) {
      this.pending.set(hex, { uid, record: quiet });
    } else {
      this.loud.set(uid, entry);
      this.loudByHash.set(hex, uid);
      this.loudChanged.add(uid);
    }
    this.mutations += 1;
  }

  /** Forgets `uid`; true when it was known. */
  delete(uid: string): boolean {
    const hash = uidDigest(this.mailboxId, uid);
    const hex = hexAt(hash);
    const known = this.drop(uid, hash, hex);
    if (known) this.removedSinceSave.add(hex);
    this.mutations += 1;
    return known;
  }

  /** Entries kept as full records (everything pending, set aside or unusual), with their UIDs. */
  loudEntries(): IterableIterator<[string, SeenEntry]> {
    return this.loud.entries();
  }

  /** Every quiet entry's record (columns and not yet sealed), by UID hash (hex, 32 digits). */
  *quietRecords(): Generator<[string, Omit<QuietRecord, 'hash'>]> {
    for (const run of this.runs) {
      for (let i = 0; i < run.n; i++) {
        if (run.removed[i] === 1) continue;
        yield [hexAt(run.hashes, i * HASH_BYTES), run.record(i)];
      }
    }
    for (const [hex, { record }] of this.pending) yield [hex, record];
  }

  /**
   * Calls `visit` for every quiet entry: UID hash (hex, the first half of keys.ts uidHash and of
   * the object key's name), first-seen time and kind. Their UIDs are not stored.
   */
  forEachQuiet(visit: (hashHex: string, firstSeen: string, kind: SeenEntry['kind']) => void): void {
    const kinds = ['full', 'headers', 'skipped', 'seeded'] as const;
    for (const run of this.runs) {
      for (let i = 0; i < run.n; i++) {
        if (run.removed[i] === 1) continue;
        visit(hexAt(run.hashes, i * HASH_BYTES), new Date((run.firstSeen[i] as number) * 1000).toISOString(), kinds[(run.flags[i] as number) & 3] ?? 'full');
      }
    }
    for (const [hex, { uid }] of this.pending) {
      const e = this.get(uid) as SeenEntry;
      visit(hex, e.firstSeen, e.kind);
    }
  }

  /** Compares `listing` with every entry (memoized until the next change). */
  match(input: ListingInput): ListingMatch {
    const listing = asListing(input);
    const last = this.lastMatch;
    if (last !== undefined && last.listing === listing && last.mutations === this.mutations) return last.match;
    const match = new ListingMatch(this, listing);
    this.lastMatch = { listing, mutations: this.mutations, match };
    return match;
  }

  /** Removes a gone entry that only a match knows by hash (a quiet entry has no UID). */
  deleteGone(gone: GoneEntry): void {
    if (gone.uid !== undefined) {
      this.delete(gone.uid);
      return;
    }
    const hash = Buffer.from(gone.hashHex, 'hex');
    if (this.drop(undefined, hash, gone.hashHex)) this.removedSinceSave.add(gone.hashHex);
    this.mutations += 1;
  }

  // --- persistence (checkpoint.ts) ----------------------------------------------------------

  /** True when something changed since the last takeChanges/takeAll. */
  get hasChanges(): boolean {
    return this.pending.size > 0 || this.removedSinceSave.size > 0 || this.loudChanged.size > 0;
  }

  /** The changes since the last call, for a delta segment; seals pending quiet records into a run. */
  takeChanges(): EntryChanges {
    const removed = new Uint8Array(this.removedSinceSave.size * HASH_BYTES);
    let k = 0;
    for (const hex of this.removedSinceSave) removed.set(Buffer.from(hex, 'hex'), HASH_BYTES * k++);
    const loud: [string, SeenEntry][] = [];
    for (const uid of this.loudChanged) {
      const entry = this.loud.get(uid);
      if (entry !== undefined) loud.push([uid, entry]);
    }
    const quiet = this.sealPending();
    this.forgetChanges();
    return { removed, loud, quiet };
  }

  /** Everything, for a base segment (compaction): all loud records and one merged run. */
  takeAll(): EntryChanges {
    this.sealPending();
    const merged = mergeRuns(this.runs);
    this.runs = merged.n > 0 ? [merged] : [];
    this.forgetChanges();
    return { removed: new Uint8Array(0), loud: [...this.loud.entries()], quiet: merged };
  }

  /** Clears the journal (after loading, the loaded state is what is stored). */
  forgetChanges(): void {
    this.removedSinceSave = new Set();
    this.loudChanged = new Set();
  }

  /**
   * Applies a stored segment on load, in the order a save wrote it: removals, then loud records,
   * then the quiet run (each replaces whatever held its hash before).
   */
  applySegment(changes: EntryChanges): void {
    for (let off = 0; off < changes.removed.length; off += HASH_BYTES) {
      const hash = changes.removed.subarray(off, off + HASH_BYTES);
      this.drop(undefined, hash, hexAt(hash));
    }
    for (const [uid, entry] of changes.loud) {
      const hash = uidDigest(this.mailboxId, uid);
      const hex = hexAt(hash);
      this.drop(uid, hash, hex);
      this.loud.set(uid, entry);
      this.loudByHash.set(hex, uid);
    }
    const run = changes.quiet;
    if (run.n > 0) {
      for (let i = 0; i < run.n; i++) {
        const hash = run.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
        const hex = this.loudByHash.size > 0 || this.pending.size > 0 ? hexAt(hash) : '';
        this.drop(undefined, hash, hex);
      }
      this.runs.push(run);
    }
    this.forgetChanges();
    this.mutations += 1;
  }

  /** Loaded pending records go into the columns at once (a migrated schema 2 document). */
  sealLoaded(): void {
    this.sealPending();
  }

  // --- internals ----------------------------------------------------------------------------

  private sealPending(): QuietRun {
    const records = [...this.pending.values()].map((p) => p.record);
    this.pending = new Map();
    const run = runOf(records);
    if (run.n > 0) this.runs.push(run);
    return run;
  }

  /** Removes whatever holds `hash` (and `uid`, when known); true when something was removed. */
  private drop(uid: string | undefined, hash: Uint8Array, hex: string): boolean {
    let found = false;
    const loudUid = uid !== undefined && this.loud.has(uid) ? uid : hex === '' ? undefined : this.loudByHash.get(hex);
    if (loudUid !== undefined) {
      this.loud.delete(loudUid);
      this.loudByHash.delete(hex === '' ? hexAt(hash) : hex);
      this.loudChanged.delete(loudUid);
      found = true;
    }
    if (hex !== '' && this.pending.delete(hex)) found = true;
    for (const run of this.runs) {
      const i = run.find(hash);
      if (i >= 0) {
        run.remove(i);
        found = true;
      }
    }
    return found;
  }

  /** @internal for ListingMatch */
  get internals(): { runs: readonly QuietRun[]; loud: ReadonlyMap<string, SeenEntry>; pending: ReadonlyMap<string, { uid: string; record: QuietRecord }> } {
    return { runs: this.runs, loud: this.loud, pending: this.pending };
  }

  /** @internal the full record of a quiet entry. */
  expand(uid: string, record: Omit<QuietRecord, 'hash'>): SeenEntry {
    return fromQuiet(this.mailboxId, this.keyPrefix ?? '', uid, record);
  }
}

const NONE = -1;
const LOUD = -2;
const PENDING = -3;

/**
 * A listing compared with the entries: for each listed message where its entry is, and the
 * entries not listed (gone). The UID hashes of the whole listing are computed in one pass
 * from its octets (uid-digests.ts) and looked up by binary search in the columns; a loud entry
 * is found by its hash too. No object or string per listed message unless asked for (`entry(i)`).
 */
export class ListingMatch {
  /** Per listing position: NONE, LOUD, PENDING, or the index of the run holding it. */
  private readonly where: Int8Array;
  private readonly index: Int32Array;
  /** Known UIDs not in the listing. */
  readonly gone: GoneEntry[] = [];
  /** Listed UIDs with a record whose status is not 'deleted'. */
  readonly knownListed: number;

  constructor(private readonly entries: SeenEntries, private readonly listing: Listing) {
    const { runs, loud, pending } = entries.internals;
    const n = listing.length;
    this.where = new Int8Array(n);
    this.index = new Int32Array(n);
    const seen = runs.map((run) => new Uint8Array(run.n));
    const louds = loudIndex(entries.mailboxId, loud);
    const loudSeen = new Uint8Array(louds.uids.length);
    const pendingSeen = new Set<string>();
    const digester = new UidDigester(entries.mailboxId);
    const writeUid = (i: number, target: Uint8Array, offset: number): number => listing.writeUid(i, target, offset);
    const hash = new Uint8Array(HASH_BYTES);
    let knownListed = 0;
    for (let i = 0; i < n; i++) {
      digester.digestOne(writeUid, i, hash, 0);
      this.where[i] = NONE;
      const l = louds.uids.length === 0 ? -1 : louds.find(hash);
      if (l >= 0) {
        this.where[i] = LOUD;
        loudSeen[l] = 1;
        if ((loud.get(louds.uids[l] as string) as SeenEntry).status !== 'deleted') knownListed += 1;
        continue;
      }
      for (let r = 0; r < runs.length; r++) {
        const at = (runs[r] as QuietRun).find(hash);
        if (at >= 0) {
          this.where[i] = r;
          this.index[i] = at;
          (seen[r] as Uint8Array)[at] = 1;
          break;
        }
      }
      if (this.where[i] === NONE && pending.size > 0) {
        const hex = hexAt(hash);
        if (pending.has(hex)) {
          this.where[i] = PENDING;
          pendingSeen.add(hex);
        }
      }
      if (this.where[i] !== NONE) knownListed += 1;
    }
    this.knownListed = knownListed;
    louds.uids.forEach((uid, l) => {
      if (loudSeen[l] === 1) return;
      const e = loud.get(uid) as SeenEntry;
      this.gone.push({ uid, hashHex: hexAt(louds.hashes, l * HASH_BYTES), status: e.status, firstSeen: e.firstSeen, deleteSent: e.deleteSent === true, sizeHint: e.listSize ?? e.size ?? -1 });
    });
    runs.forEach((run, r) => {
      const marks = seen[r] as Uint8Array;
      if (run.live === marks.reduce((a, b) => a + b, 0)) return;
      for (let i = 0; i < run.n; i++) {
        if (marks[i] === 1 || run.removed[i] === 1) continue;
        this.gone.push(quietGone(hexAt(run.hashes, i * HASH_BYTES), run.record(i)));
      }
    });
    for (const [hex, { record }] of pending) if (!pendingSeen.has(hex)) this.gone.push(quietGone(hex, record));
  }

  /** The record of listed message `i` (by position in the listing), or undefined when unknown. */
  entry(i: number): SeenEntry | undefined {
    const where = this.where[i] as number;
    if (where === NONE) return undefined;
    const uid = this.listing.uid(i);
    if (where === LOUD || where === PENDING) return this.entries.get(uid);
    return this.entries.expand(uid, (this.entries.internals.runs[where] as QuietRun).record(this.index[i] as number));
  }

  /** True when listed message `i` has a quiet record (published, nothing pending). */
  isQuiet(i: number): boolean {
    return (this.where[i] as number) >= 0 || this.where[i] === PENDING;
  }

  /** Kind of a quiet record at `i` ('full' | 'headers' | 'skipped' | 'seeded'); undefined if not quiet. */
  quietKind(i: number): SeenEntry['kind'] | undefined {
    const where = this.where[i] as number;
    if (where === PENDING) return this.entry(i)?.kind;
    if (where < 0) return undefined;
    const flags = (this.entries.internals.runs[where] as QuietRun).flags[this.index[i] as number] as number;
    return (['full', 'headers', 'skipped', 'seeded'] as const)[flags & 3];
  }
}

/** The loud entries' UIDs with their hashes sorted, so a listed UID's hash finds its loud entry. */
function loudIndex(mailboxId: string, loud: ReadonlyMap<string, SeenEntry>): { uids: string[]; hashes: Uint8Array; find(hash: Uint8Array): number } {
  const rows = [...loud.keys()].map((uid) => ({ uid, hash: uidDigest(mailboxId, uid) }));
  rows.sort((a, b) => compareHash(a.hash, 0, b.hash, 0));
  const hashes = new Uint8Array(rows.length * HASH_BYTES);
  rows.forEach((row, l) => hashes.set(row.hash, l * HASH_BYTES));
  return {
    uids: rows.map((row) => row.uid),
    hashes,
    find(hash: Uint8Array): number {
      let lo = 0;
      let hi = rows.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = compareHash(hashes, mid * HASH_BYTES, hash, 0);
        if (c === 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    },
  };
}

function quietGone(hashHex: string, r: QuietRecord): GoneEntry {
  return {
    hashHex,
    status: 'published',
    firstSeen: new Date(r.firstSeen * 1000).toISOString(),
    deleteSent: false,
    sizeHint: r.listSize !== NO_SIZE ? r.listSize : r.size !== NO_SIZE ? r.size : -1,
  };
}
