/**
 * Holds the seen-state of one poll and writes it with compare-and-swap. After a failed save the
 * stored version is unknown (the write may have landed), so the keeper refuses further writes:
 * the next poll starts from whatever is durable.
 *
 * A save writes what changed since the last one as a new segment, then swaps the manifest that
 * names it (state-codec.ts): octets written follow the change, not the mailbox. When the deltas
 * outgrow the base (or there are too many), the save writes one new base instead (compaction)
 * and removes the segments it replaced once the swap succeeded. Compacting when the deltas reach
 * the base's size keeps a whole import's writes under about 3x its final size (a geometric
 * series) and what a poll reads under about 2x, and usually near 1x: an import's deltas hold
 * new UIDs, not rewrites.
 */
import { randomUUID } from 'node:crypto';
import { SyncError } from './errors.js';
import { SYNC_LIMITS } from './limits.js';
import type { Clock, StateStore, StateVersion } from './ports.js';
import { decodeSegment, encodeManifest, encodeSegment, manifestOf, type SegmentRef } from './state-codec.js';
import { isLegacyDocument, emptyState, parseDocumentJson, parseLegacyDocument, stateFromDocument, type SeenState } from './state.js';

/** Most segments a manifest names before a save compacts (each is one read per poll). */
export const MAX_SEGMENTS = 16;

/** Octets moved by the keeper in this poll (benchmarks and metrics). */
export interface StateTraffic {
  bytesRead: number;
  bytesWritten: number;
}

/** The seen-state of one poll and its CAS version. */
export class StateKeeper {
  /** The working copy; callers mutate it and call markDirty(). */
  state: SeenState;
  /** Number of successful saves in this poll (for tests and metrics). */
  saves = 0;
  readonly traffic: StateTraffic;
  private version: StateVersion | null = null;
  private readonly loadedAt: StateVersion | null;
  private dirty = false;
  private broken: unknown;
  private recordsSinceSave = 0;
  private lastSaveAt: number;
  private segments: SegmentRef[];

  private constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    state: SeenState,
    version: StateVersion | null,
    segments: SegmentRef[],
    bytesRead: number,
  ) {
    this.state = state;
    this.version = version;
    this.loadedAt = version;
    this.segments = segments;
    this.traffic = { bytesRead, bytesWritten: 0 };
    this.lastSaveAt = clock.now().getTime();
  }

  /** Loads (or starts) the state of `mailboxId`. Throws SyncError on a corrupt document. */
  static async load(store: StateStore, clock: Clock, mailboxId: string): Promise<StateKeeper> {
    // A compaction by another poller may remove the segments of the manifest just read: read again.
    for (let attempt = 1; ; attempt++) {
      const loaded = await store.load(mailboxId);
      if (!loaded) return new StateKeeper(store, clock, emptyState(mailboxId, clock.now()), null, [], 0);
      const doc = parseDocumentJson(loaded.body, mailboxId);
      const state = stateFromDocument(doc, mailboxId);
      if (isLegacyDocument(doc)) {
        parseLegacyDocument(doc, mailboxId, state);
        state.entries.sealLoaded();
        return new StateKeeper(store, clock, state, loaded.version, [], loaded.body.length);
      }
      const manifest = manifestOf(doc, mailboxId);
      if (manifest.keyPrefix !== undefined) state.entries.keyPrefix = manifest.keyPrefix;
      const bodies = await Promise.all(manifest.segments.map((s) => store.getSegment(mailboxId, s.name)));
      if (bodies.some((b) => b === null)) {
        if (attempt < 3) continue;
        throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} names a segment that does not exist`);
      }
      let bytesRead = loaded.body.length;
      manifest.segments.forEach((ref, i) => {
        const body = bodies[i] as Uint8Array;
        bytesRead += body.length;
        state.entries.applySegment(decodeSegment(body, mailboxId, ref.name));
      });
      if (manifest.keyPrefix === undefined && state.entries.quietCount > 0) {
        throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} has compact entries but no key prefix to rebuild their keys`);
      }
      if (state.entries.size !== manifest.entries) {
        throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} holds ${state.entries.size} entries, its manifest says ${manifest.entries}`);
      }
      return new StateKeeper(store, clock, state, loaded.version, manifest.segments, bytesRead);
    }
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
    return this.dirty || this.state.entries.hasChanges || this.state.needsRewrite === true;
  }

  /** Writes the changes if any. Throws the store's error (STATE_CONFLICT included). */
  async save(): Promise<void> {
    if (this.broken !== undefined) {
      throw new SyncError('SYNC_PORT_CONTRACT', 'Seen-state not written: an earlier save failed', { cause: this.broken });
    }
    if (!this.isDirty) return;
    const { mailboxId, entries } = this.state;
    try {
      let compact = this.state.needsRewrite === true || this.segments.length === 0 || this.segments.length >= MAX_SEGMENTS;
      let body: Uint8Array | undefined;
      if (!compact && entries.hasChanges) {
        body = encodeSegment(entries.takeChanges());
        const deltaBytes = this.segments.slice(1).reduce((sum, s) => sum + s.bytes, 0) + body.length;
        if (deltaBytes > (this.segments[0]?.bytes ?? 0)) compact = true;
      }
      if (compact) {
        const all = entries.takeAll();
        // An empty state needs no segment: its manifest says it all (one GET per idle poll).
        body = all.loud.length === 0 && all.quiet.n === 0 ? undefined : encodeSegment(all);
      }
      const written: SegmentRef[] = [];
      if (body !== undefined) {
        const name = `${Date.now().toString(36)}-${randomUUID()}`;
        await this.store.putSegment(mailboxId, name, body);
        this.traffic.bytesWritten += body.length;
        written.push({ name, bytes: body.length });
      }
      const replaced = compact ? this.segments : [];
      const segments = compact ? written : [...this.segments, ...written];
      const manifest = encodeManifest(this.state, segments, this.clock.now());
      this.version = await this.store.save(mailboxId, manifest, this.version);
      this.traffic.bytesWritten += manifest.length;
      this.segments = segments;
      this.dirty = false;
      delete this.state.needsRewrite;
      this.saves += 1;
      this.recordsSinceSave = 0;
      this.lastSaveAt = this.clock.now().getTime();
      // Only after the swap: until then the stored manifest still names them.
      if (replaced.length > 0) await this.store.deleteSegments(mailboxId, replaced.map((s) => s.name)).catch(() => undefined);
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
