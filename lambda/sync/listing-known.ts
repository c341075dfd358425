/**
 * The listing matched against the seen-state while it streams (issue 15). A kept mailbox of a
 * million lists a million UIDs the state knows as quiet records: held as listing columns they
 * were ~40 octets each (UID octets, typed arrays, a duplicate table). The sync core offers the
 * mail source a KnownUids (ports.ts) that hashes each UIDL entry as it arrives, finds it in the
 * state's columns and, when the poll needs nothing of it (plan.ts quietNeedsNothing), takes it:
 * the listing leaves it out and one mark in the state's columns remembers it was listed.
 *
 * What every message of the listing still tells the plan, the breaker and the prune stays
 * exact: a taken entry counts as listed and known (never gone, never new); a UID listed twice
 * has every holder rejected and its record unlisted, as the source does for the rest; a taken
 * UID LIST did not size is rejected as the source rejects one (column-listing.ts).
 */
import type { KnownUids, Listing, ListedMessage, MailboxSession, RejectedListing } from './ports.js';
import { HASH_BYTES, compareHash, type QuietRun } from './quiet-run.js';
import type { SeenEntries } from './seen-entries.js';
import type { SeenEntry } from './state.js';
import { UidDigester } from './uid-digests.js';

/** Kind of a quiet record by its flags (quiet-run.ts: bits 0-1). */
const QUIET_KINDS = ['full', 'headers', 'skipped', 'seeded'] as const;
/** A record whose UID was listed more than once: every holder is rejected. */
const DUPLICATE = 0xffff_ffff;

/** Quiet records a listing showed and left out, as marks over the runs they were found in. */
export class TakenEntries {
  constructor(
    /** Listed entries taken (rejected ones excluded). */
    readonly count: number,
    private readonly runs: readonly { n: number; hashes: Uint8Array; marks: Uint8Array }[],
  ) {}

  /**
   * Marks (1: listed and taken) over `run` of a state, and how many of its live entries are
   * marked. By position when `run` holds the same hashes as a run the listing was matched
   * against (the same state, or the same state read again); by hash otherwise (compacted since).
   */
  marksFor(run: QuietRun): { marks: Uint8Array; listed: number } {
    const marks = new Uint8Array(run.n);
    let listed = 0;
    const same = this.runs.find((t) => t.n === run.n && (t.hashes === run.hashes || Buffer.compare(t.hashes, run.hashes) === 0));
    for (let i = 0; i < run.n; i++) {
      if (run.removed[i] === 1) continue;
      if (same !== undefined ? same.marks[i] === 1 : this.hasHash(run.hashes, i * HASH_BYTES)) {
        marks[i] = 1;
        listed += 1;
      }
    }
    return { marks, listed };
  }

  private hasHash(hash: Uint8Array, offset: number): boolean {
    for (const t of this.runs) {
      let lo = 0;
      let hi = t.n - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = compareHash(t.hashes, mid * HASH_BYTES, hash, offset);
        if (c === 0) return t.marks[mid] === 1;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
      }
    }
    return false;
  }
}

/** A Listing whose source left out the entries `taken` stands for. */
interface TakenListing extends Listing {
  readonly taken: TakenEntries;
}

/** The taken entries behind `listing`, if its source left some out. */
export function takenOf(listing: Listing): TakenEntries | undefined {
  return (listing as Partial<TakenListing>).taken;
}

/** Messages the server listed with a usable UID: the listing's entries and those taken. */
export function listedCount(listing: Listing): number {
  return listing.length + (takenOf(listing)?.count ?? 0);
}

/**
 * Lists the mailbox, offering the source every UID that `entries` holds as a quiet record of a
 * kind for which `needsNothing` is true. The listing returned stands for the taken entries too.
 */
export async function listKnown(
  session: MailboxSession,
  entries: SeenEntries,
  needsNothing: (kind: SeenEntry['kind']) => boolean,
): Promise<{ listing: Listing; rejected: RejectedListing[] }> {
  const taker = new QuietTaker(entries, needsNothing);
  const { listing, rejected } = await session.listMessages(taker);
  const taken = taker.finish();
  return { listing: taken.count === 0 ? listing : withTaken(listing, taken), rejected };
}

/** Takes listed UIDs the state holds as quiet records the poll needs nothing of. */
export class QuietTaker implements KnownUids {
  private readonly runs: readonly QuietRun[];
  private readonly digester: UidDigester;
  private readonly hash = new Uint8Array(HASH_BYTES);
  /** Per run: message number of the entry's first holder; 0 when not listed; DUPLICATE. */
  private holders: Uint32Array[];
  /** Taken entries LIST did not size, by run and position, until another holder makes them duplicates. */
  private readonly unsized = new Map<number, { msg: number; uid: string }>();
  private readonly duplicates: { msg: number; uid: string }[] = [];
  private count = 0;
  private finished: TakenEntries | undefined;

  constructor(entries: SeenEntries, private readonly needsNothing: (kind: SeenEntry['kind']) => boolean) {
    this.runs = [...entries.internals.runs];
    this.holders = this.runs.map((run) => new Uint32Array(run.n));
    this.digester = new UidDigester(entries.mailboxId);
  }

  take(uid: Uint8Array, length: number, msg: number, size: number | undefined): boolean {
    if (this.finished !== undefined) throw new Error('QuietTaker: the listing is already complete');
    // No quiet record to match (a first import): no UID to hash.
    if (this.runs.length === 0) return false;
    this.digester.digestOctets(uid, length, this.hash, 0);
    for (let r = 0; r < this.runs.length; r++) {
      const run = this.runs[r] as QuietRun;
      const at = run.find(this.hash);
      if (at < 0) continue;
      if (!this.needsNothing(QUIET_KINDS[(run.flags[at] as number) & 3] as SeenEntry['kind'])) return false;
      const holders = this.holders[r] as Uint32Array;
      const first = holders[at] as number;
      const key = r * 2 ** 32 + at;
      if (first === 0) {
        holders[at] = msg;
        this.count += 1;
        if (size === undefined) this.unsized.set(key, { msg, uid: latin1(uid, length) });
      } else if (first === DUPLICATE) {
        this.duplicates.push({ msg, uid: latin1(uid, length) });
      } else {
        // The second holder: neither is the real one (uid.ts: never guess), both are rejected.
        holders[at] = DUPLICATE;
        this.count -= 1;
        this.unsized.delete(key);
        this.duplicates.push({ msg: first, uid: latin1(uid, length) }, { msg, uid: latin1(uid, length) });
      }
      return true;
    }
    return false;
  }

  rejected(): Array<{ msg: number; uid: string; reason: RejectedListing['reason'] }> {
    this.finish();
    const out: Array<{ msg: number; uid: string; reason: RejectedListing['reason'] }> = [
      ...this.duplicates.map((d) => ({ ...d, reason: 'duplicate-uid' as const })),
      ...[...this.unsized.values()].map((u) => ({ ...u, reason: 'invalid-uid' as const })),
    ];
    return out.sort((a, b) => a.msg - b.msg);
  }

  /** The listed entries taken, once the listing is complete (idempotent). */
  finish(): TakenEntries {
    if (this.finished !== undefined) return this.finished;
    let count = this.count;
    for (const key of this.unsized.keys()) {
      // Rejected like an entry LIST does not name (column-listing.ts): not listed.
      (this.holders[Math.floor(key / 2 ** 32)] as Uint32Array)[key % 2 ** 32] = 0;
      count -= 1;
    }
    const runs = this.runs.map((run, r) => {
      const holders = this.holders[r] as Uint32Array;
      const marks = new Uint8Array(run.n);
      for (let i = 0; i < run.n; i++) {
        const h = holders[i] as number;
        if (h !== 0 && h !== DUPLICATE) marks[i] = 1;
      }
      return { n: run.n, hashes: run.hashes, marks };
    });
    this.holders = [];
    this.finished = new TakenEntries(count, runs);
    return this.finished;
  }
}

function latin1(uid: Uint8Array, length: number): string {
  return Buffer.from(uid.buffer, uid.byteOffset, length).toString('latin1');
}

/** `listing` with the entries its source took. */
function withTaken(listing: Listing, taken: TakenEntries): TakenListing {
  return {
    taken,
    get length() {
      return listing.length;
    },
    msg: (i: number): number => listing.msg(i),
    size: (i: number): number => listing.size(i),
    uid: (i: number): string => listing.uid(i),
    writeUid: (i: number, target: Uint8Array, offset: number): number => listing.writeUid(i, target, offset),
    at: (i: number): ListedMessage => listing.at(i),
  };
}
