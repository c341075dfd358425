/**
 * Holds the seen-state of one poll and writes it with compare-and-swap. After a failed save the
 * stored version is unknown (the write may have landed), so the keeper refuses further writes:
 * the next poll starts from whatever is durable.
 */
import { SyncError } from './errors.js';
import { SYNC_LIMITS } from './limits.js';
import type { Clock, StateStore, StateVersion } from './ports.js';
import { emptyState, parseState, serializeState, type SeenState } from './state.js';

/** The seen-state of one poll and its CAS version. */
export class StateKeeper {
  /** The working copy; callers mutate it and call markDirty(). */
  state: SeenState;
  /** Number of successful saves in this poll (for tests and metrics). */
  saves = 0;
  private version: StateVersion | null = null;
  private readonly loadedAt: StateVersion | null;
  private dirty = false;
  private broken: unknown;
  private recordsSinceSave = 0;
  private lastSaveAt: number;

  private constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    state: SeenState,
    version: StateVersion | null,
  ) {
    this.state = state;
    this.version = version;
    this.loadedAt = version;
    this.lastSaveAt = clock.now().getTime();
  }

  /** Loads (or starts) the state of `mailboxId`. Throws SyncError on a corrupt document. */
  static async load(store: StateStore, clock: Clock, mailboxId: string): Promise<StateKeeper> {
    const loaded = await store.load(mailboxId);
    if (!loaded) return new StateKeeper(store, clock, emptyState(mailboxId, clock.now()), null);
    return new StateKeeper(store, clock, parseState(loaded.body, mailboxId), loaded.version);
  }

  /** Notes that the working copy differs from what is stored (`records` message outcomes). */
  markDirty(records = 0): void {
    this.dirty = true;
    this.recordsSinceSave += records;
  }

  /** Saves when enough was recorded or enough time passed since the last save (checkpointDue). */
  async checkpoint(): Promise<void> {
    const due = checkpointDue(this.state.entries.size, this.recordsSinceSave, this.clock.now().getTime() - this.lastSaveAt);
    if (due) await this.save();
  }

  /** The CAS version this state was loaded at (null: no document yet). Unchanged by saves. */
  get loadedVersion(): StateVersion | null {
    return this.loadedAt;
  }

  /** True when there is something to save. */
  get isDirty(): boolean {
    return this.dirty;
  }

  /** Writes the working copy if dirty. Throws the store's error (STATE_CONFLICT included). */
  async save(): Promise<void> {
    if (this.broken !== undefined) {
      throw new SyncError('SYNC_PORT_CONTRACT', 'Seen-state not written: an earlier save failed', { cause: this.broken });
    }
    if (!this.dirty) return;
    try {
      this.version = await this.store.save(this.state.mailboxId, serializeState(this.state, this.clock.now()), this.version);
      this.dirty = false;
      this.saves += 1;
      this.recordsSinceSave = 0;
      this.lastSaveAt = this.clock.now().getTime();
    } catch (error) {
      this.broken = error;
      throw error;
    }
  }
}

/**
 * True when a checkpoint is due: `records` recorded unsaved of `entries` UIDs in the state, `elapsedMs`
 * since the last save. The threshold grows with the state (SYNC_LIMITS.checkpointGrowthShare) so
 * the octets written over a whole import stay linear in its size; the time interval grows with
 * it, so timer-driven saves write at most about 20 KB/s whatever the size.
 */
export function checkpointDue(entries: number, records: number, elapsedMs: number): boolean {
  const threshold = Math.max(SYNC_LIMITS.checkpointEveryMessages, Math.ceil(SYNC_LIMITS.checkpointGrowthShare * entries));
  const intervalMs = (SYNC_LIMITS.checkpointEveryMs * threshold) / SYNC_LIMITS.checkpointEveryMessages;
  return records >= threshold || elapsedMs >= intervalMs;
}
