/**
 * A listing compared with a mailbox's seen entries (seen-entries.ts), by UID hash: where each
 * listed message's record is, and which known UIDs the listing no longer shows (gone).
 */
import { takenOf } from './listing-known.js';
import type { Listing } from './ports.js';
import { HASH_BYTES, NO_SIZE, type QuietRun, compareHash, hexAt, uidDigest, type QuietRecord } from './quiet-run.js';
import type { GoneEntry, SeenEntries } from './seen-entries.js';
import type { SeenEntry } from './state.js';
import { UidDigester } from './uid-digests.js';

const NONE = -1;
const LOUD = -2;
const PENDING = -3;

/**
 * A listing compared with the entries: for each listed message where its entry is, and the
 * entries not listed (gone). The UID hashes of the whole listing are computed in one pass
 * from its octets (uid-digests.ts) and looked up by binary search in the columns; a loud entry
 * is found by its hash too. No object or string per listed message unless asked for (`entry(i)`).
 * Entries the source took while listing (listing-known.ts) have no position: they count as
 * listed quiet records.
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
    // Entries the source left out (listing-known.ts) are listed and known: marked from the start.
    const taken = takenOf(listing);
    let knownListed = 0;
    const seen = runs.map((run) => {
      if (taken === undefined) return new Uint8Array(run.n);
      const { marks, listed } = taken.marksFor(run);
      knownListed += listed;
      return marks;
    });
    const louds = loudIndex(entries.mailboxId, loud);
    const loudSeen = new Uint8Array(louds.uids.length);
    const pendingSeen = new Set<string>();
    const digester = new UidDigester(entries.mailboxId);
    const writeUid = (i: number, target: Uint8Array, offset: number): number => listing.writeUid(i, target, offset);
    const hash = new Uint8Array(HASH_BYTES);
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
