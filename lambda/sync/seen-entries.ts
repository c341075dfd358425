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
import { ListingMatch } from './listing-match.js';
import { HASH_BYTES, QuietRun, fromQuiet, hexAt, keyPrefixOf, mergeRuns, runOf, toQuiet, uidDigest, type QuietRecord } from './quiet-run.js';
import type { SeenEntry } from './state.js';

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
      // Earlier holders of these hashes are replaced. Nothing to look for in the first segment
      // (a million hashes, no view or string each: issue 15).
      const byHex = this.loudByHash.size > 0 || this.pending.size > 0;
      if (byHex || this.runs.length > 0) {
        for (let i = 0; i < run.n; i++) {
          const hash = run.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
          this.drop(undefined, hash, byHex ? hexAt(hash) : '');
        }
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
    // A match holds positions in the runs: a save that seals or merges them must not leave it memoized.
    this.mutations += 1;
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
