/**
 * The time the end of a poll needs: lease renewal, the save that marks deleteSent, DELE, and
 * QUIT, whose UPDATE removes the messages. The caller aborts the session at `finishBy` (the
 * Lambda handler's hard stop); a DELE or QUIT still running then ends the poll as a failure
 * (POP3_ABORTED) although every message was stored and announced. So the poll asks this
 * budget two questions, from the write times measured in this poll:
 *
 * - while ingesting: would the deletions earned so far (plus what is in flight) still fit?
 *   If not, no new message is started (the rest is backlog for the next poll);
 * - before DELE: how many of the due deletions fit in the time left? Only those are sent,
 *   oldest first; the others stay stored and announced on the server, and the next poll
 *   confirms (TOP) and deletes them. Fewer deletions, never a DELE for anything less safe.
 *
 * A write (state segment, manifest, lease) is timed as it happens; the removal cost per
 * message at QUIT cannot be measured before that QUIT, so it is a prior (deleteMsPerMessage).
 * When QUIT outlasts it anyway, the hard stop cuts off only QUIT's answer: the poll reports
 * those deletions as not confirmed, never as a failure (poll.ts, docs/delivery-guarantees.md).
 */
import type { Clock, Lease, LeaseStore, StateStore } from './ports.js';

export const FINISH_LIMITS = {
  /**
   * Time per deleted message for DELE plus its removal in QUIT's UPDATE. Dovecot (maildir, on
   * 2 shared cores at load 7-10) took from 0.2 ms to 1.8 ms (1,883 messages in 0.4 s; 2,482 in
   * 0.9 s; 1,571 in 2.8 s): file-system work that a loaded host slows down. A QUIT that outlasts
   * the estimate is cut off by the hard stop, which is safe (poll.ts), so this aims at the
   * usual case rather than the worst.
   */
  deleteMsPerMessage: 1,
  /** Weight of the newest write in each kind's moving average. */
  writeWeight: 0.3,
  /** A write not yet measured in this poll counts as this long. */
  unmeasuredWriteMs: 250,
  /** The fixed part (renewal, save, QUIT's round trip) is counted this many times: one slow write must not tip it. */
  fixedSafety: 1.5,
} as const;

/** Measured write times of one poll, and what they allow before `finishBy`. */
export class FinishBudget {
  /** A moving average of each kind of write in this poll; undefined until one was timed. */
  private segmentMs: number | undefined;
  private manifestMs: number | undefined;
  private leaseMs: number | undefined;

  constructor(
    private readonly clock: Clock,
    /** Epoch ms by which DELE and QUIT must be done; undefined: no limit (the CLI without --time-limit). */
    readonly finishBy: number | undefined,
  ) {}

  /** The state port, with its writes timed. */
  timedState(store: StateStore): StateStore {
    return {
      load: (id) => store.load(id),
      getSegment: (id, name) => store.getSegment(id, name),
      deleteSegments: (id, names) => store.deleteSegments(id, names),
      save: (id, body, expected) => this.time('manifest', () => store.save(id, body, expected)),
      putSegment: (id, name, body) => this.time('segment', () => store.putSegment(id, name, body)),
    };
  }

  /** The lease port, with acquisition and renewals timed. */
  timedLease(store: LeaseStore): LeaseStore {
    return {
      acquire: async (id, owner, ttlMs) => {
        const lease = await this.time('lease', () => store.acquire(id, owner, ttlMs));
        if (lease === null) return null;
        const renew = (ttl: number): Promise<boolean> => this.time('lease', () => lease.renew(ttl));
        const timed: Lease = {
          get owner() {
            return lease.owner;
          },
          get expiresAt() {
            return lease.expiresAt;
          },
          renew,
          release: () => lease.release(),
        };
        return timed;
      },
    };
  }

  /**
   * Milliseconds the delete phase needs for `n` deletions, from `stage` on: before the save
   * ('save'): renewal, the deleteSent save (segment and manifest) and QUIT's round trip (as
   * slow as the slowest kind of write); before DELE ('dele'): QUIT's round trip only. Plus n
   * removals.
   */
  needMs(n: number, stage: 'save' | 'dele' = 'save'): number {
    if (n <= 0) return 0;
    const { lease, segment, manifest } = this.writes();
    const roundTrip = Math.max(lease, segment, manifest);
    const fixed = stage === 'save' ? lease + segment + manifest + roundTrip : roundTrip;
    return FINISH_LIMITS.fixedSafety * fixed + n * FINISH_LIMITS.deleteMsPerMessage;
  }

  /**
   * True when `n` deletions would no longer fit before finishBy after the drain of what is in
   * flight, which ends with one more save (its last publish overlaps the reader's stop).
   */
  tooLateFor(n: number): boolean {
    if (this.finishBy === undefined) return false;
    const { segment, manifest } = this.writes();
    const drain = FINISH_LIMITS.fixedSafety * (segment + manifest);
    return this.clock.now().getTime() + drain + this.needMs(n) >= this.finishBy;
  }

  /** How many of `n` deletions fit in the time left now, from `stage` on (all of them without a finishBy). */
  deletionsThatFit(n: number, stage: 'save' | 'dele'): number {
    if (this.finishBy === undefined || n <= 0) return Math.max(0, n);
    const left = this.finishBy - this.clock.now().getTime();
    const fixed = this.needMs(1, stage) - FINISH_LIMITS.deleteMsPerMessage;
    return Math.max(0, Math.min(n, Math.floor((left - fixed) / FINISH_LIMITS.deleteMsPerMessage)));
  }

  /** Each kind's moving average, or the prior for a kind not yet timed. */
  private writes(): { lease: number; segment: number; manifest: number } {
    const prior = FINISH_LIMITS.unmeasuredWriteMs;
    return { lease: this.leaseMs ?? prior, segment: this.segmentMs ?? prior, manifest: this.manifestMs ?? prior };
  }

  /** What was measured (for the log line of the delete phase). */
  measured(): { segmentMs?: number; manifestMs?: number; leaseMs?: number } {
    return { segmentMs: this.segmentMs, manifestMs: this.manifestMs, leaseMs: this.leaseMs };
  }

  private async time<T>(kind: 'segment' | 'manifest' | 'lease', write: () => Promise<T>): Promise<T> {
    const started = this.clock.now().getTime();
    try {
      return await write();
    } finally {
      const ms = Math.max(0, this.clock.now().getTime() - started);
      if (kind === 'segment') this.segmentMs = average(this.segmentMs, ms);
      else if (kind === 'manifest') this.manifestMs = average(this.manifestMs, ms);
      else this.leaseMs = average(this.leaseMs, ms);
    }
  }
}

/**
 * An exponential moving average (weight FINISH_LIMITS.writeWeight for the newest): one slow
 * write (a compaction, a cold connection) must not shorten the whole poll, and the safety factor
 * with the checks before the save and before DELE cover a write slower than usual.
 */
function average(previous: number | undefined, ms: number): number {
  return previous === undefined ? ms : previous + FINISH_LIMITS.writeWeight * (ms - previous);
}
