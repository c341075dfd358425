/**
 * The recorder: the only writer of message outcomes in the seen-state. It turns stored messages
 * into announced and recorded ones, in groups: commit the store (group commit: durable first),
 * publish the group's events (the adapter sends its batches concurrently), record each outcome
 * (published, or unpublished with its event kept), checkpoint. A group runs in the background
 * while the reader goes on; one group at a time, so records and saves stay in order.
 *
 * It also keeps what the poll needs to decide deletions: the UIDs confirmed in this session
 * (stored or found identical, and acknowledged) and the RETRs whose event is not acknowledged.
 */
import { SyncError } from './errors.js';
import { SYNC_LIMITS } from './limits.js';
import type { StateKeeper } from './checkpoint.js';
import type { Clock, EventPublisher, Logger, MessageStore, OutgoingEvent } from './ports.js';
import type { SeenEntry } from './state.js';
import type { PollSummary } from './types.js';

/** One message's outcome waiting to be committed, announced and recorded. */
export interface Outcome {
  uid: string;
  /** The entry to record; its status is set by the recorder. */
  entry: SeenEntry;
  /** The event to publish; none when nothing new is to be said (a verified, identical object). */
  event?: OutgoingEvent;
  /** The message is a full one stored (or found identical) in this session: deletable once acknowledged. */
  confirms: boolean;
  /**
   * A second event about the same message (Message Parse Failed), published in the same batch.
   * It decides nothing: not acknowledged, it is a warning, and its facts stay in `event`'s own
   * detail (no `parsed`), which is recorded and republished as usual.
   */
  notice?: OutgoingEvent;
}

/** What the recorder works with. */
export interface RecorderContext {
  store: MessageStore;
  publisher: EventPublisher;
  keeper: StateKeeper;
  clock: Clock;
  logger: Logger;
  summary: PollSummary;
  mailboxId: string;
}

/** Records outcomes; see the module comment. */
export class Recorder {
  /** UIDs whose identity this session confirmed and whose record is 'published'. */
  readonly confirmed = new Set<string>();
  /** UIDs retrieved in full (RETR) in this session. */
  readonly retrieved = new Set<string>();
  /** Events the publisher did not acknowledge in this poll. */
  unacknowledged = 0;
  private queue: Outcome[] = [];
  private queueStartedAt = 0;
  private running: Promise<void> | undefined;
  /** Groups started and not yet recorded, oldest first, with their sizes. */
  private readonly groups: { done: Promise<void>; size: number }[] = [];
  /** Outcomes queued or in a group not yet recorded: what recordQueueMax bounds. */
  private outstanding = 0;
  /** A group started but waiting for the one before it: it will take the whole queue. */
  private waitingGroup: { done: Promise<void>; size: number } | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly ctx: RecorderContext) {}

  /** The first failure of a background group, if any (the reader stops on it). */
  get failed(): { error: unknown } | undefined {
    return this.failure;
  }

  /**
   * RETRs of this session not yet safe: with EXPIRE 0 the server removes every retrieved
   * message at QUIT, so each must be stored and announced (or was already) before QUIT.
   */
  get unsafeRetrieved(): number {
    let unsafe = 0;
    for (const uid of this.retrieved) {
      const entry = this.ctx.keeper.state.entries.get(uid);
      if (!this.confirmed.has(uid) && !(entry?.status === 'published' && entry.kind === 'failed')) unsafe += 1;
    }
    return unsafe;
  }

  /**
   * Queues an outcome; starts a background group when one is due. Waits while recordQueueMax
   * outcomes are queued or in groups not yet recorded: the reader may not run ahead of the
   * recorder without bound (each outcome holds its event, and the store its open files).
   */
  async add(outcome: Outcome): Promise<void> {
    if (this.queue.length === 0) this.queueStartedAt = this.ctx.clock.now().getTime();
    this.queue.push(outcome);
    this.outstanding += 1;
    const age = this.ctx.clock.now().getTime() - this.queueStartedAt;
    if (this.queue.length >= SYNC_LIMITS.publishGroupSize || age >= SYNC_LIMITS.publishBatchMs) this.startGroup();
    while (this.outstanding >= SYNC_LIMITS.recordQueueMax && !this.failure) {
      const oldest = this.groups[0];
      if (oldest === undefined) {
        this.startGroup();
        if (this.groups.length === 0) break;
        continue;
      }
      await oldest.done;
    }
  }

  /** Records a verified identity that needs no event (the object is already durable and announced). */
  confirm(uid: string): void {
    this.confirmed.add(uid);
  }

  /** Writes an entry that needs no commit nor event (a failed attempt), for the next checkpoint. */
  write(uid: string, entry: SeenEntry): void {
    this.ctx.keeper.state.entries.set(uid, entry);
    this.ctx.keeper.markDirty(1);
  }

  /** Records every queued outcome now; throws the first failure of any group. */
  async flush(): Promise<void> {
    await this.settle();
    if (this.queue.length > 0) {
      this.startGroup();
      await this.settle();
    }
    if (this.failure) throw this.failure.error;
  }

  /** Republishes events recorded as unacknowledged by earlier polls, with their original ids. */
  async republishPending(): Promise<void> {
    for (const [uid, entry] of [...this.ctx.keeper.state.entries.loudEntries()]) {
      if (entry.status !== 'unpublished' || !entry.event) continue;
      const event: OutgoingEvent = { id: entry.event.id, detailType: entry.event.detailType, detail: entry.event.detail };
      await this.add({ uid, entry: { ...entry }, event, confirms: false });
    }
    await this.flush();
  }

  /**
   * Starts a group, or leaves the queue to the group that is already waiting for its turn: a
   * group takes the whole queue when it starts, so while one group commits, publishes and
   * saves, the outcomes arriving meanwhile become one group, not one per publishGroupSize.
   * Group commit: the slower the disk, the fewer fsyncs, event batches and state saves per
   * message (a first import of 1,000 messages behind a 10 ms link went from 20 groups to a few).
   */
  private startGroup(): void {
    if (this.queue.length === 0 || this.failure || this.waitingGroup !== undefined) return;
    const previous = this.running ?? Promise.resolve();
    const tracked = { done: Promise.resolve(), size: 0 };
    this.waitingGroup = tracked;
    const run = previous
      .then(() => {
        this.waitingGroup = undefined;
        const group = this.queue;
        this.queue = [];
        tracked.size = group.length;
        return this.failure ? undefined : this.record(group);
      })
      .catch((error: unknown) => {
        this.failure ??= { error };
      });
    tracked.done = run;
    this.running = run;
    this.groups.push(tracked);
    void run.finally(() => {
      if (this.running === run) this.running = undefined;
      this.groups.splice(this.groups.indexOf(tracked), 1);
      this.outstanding -= tracked.size;
    });
  }

  private noteNotices(notices: OutgoingEvent[], results: { id: string; ok: boolean }[]): void {
    notices.forEach((notice, i) => {
      if (results[i]?.ok && results[i]?.id === notice.id) {
        this.ctx.summary.published += 1;
        return;
      }
      this.ctx.logger.warn('event not acknowledged (not retried: Message Stored carries the outcome)', { mailboxId: this.ctx.mailboxId, eventId: notice.id, detailType: notice.detailType });
      this.ctx.summary.warnings.push(`A ${notice.detailType} event was not acknowledged; its Message Stored event (without parsed) says the same`);
    });
  }

  private async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** commit -> publish -> record -> checkpoint, for one group. */
  private async record(group: Outcome[]): Promise<void> {
    // Durable before announced, recorded or deleted (a local folder fsyncs here, once per group).
    await this.ctx.store.commit();
    const withEvents = group.filter((o) => o.event !== undefined);
    const events = withEvents.map((o) => o.event as OutgoingEvent);
    const notices = group.flatMap((o) => (o.notice ? [o.notice] : []));
    let failure: unknown;
    let acknowledged = new Set<string>();
    if (events.length > 0) {
      try {
        const all = await this.ctx.publisher.publish(notices.length > 0 ? [...events, ...notices] : events);
        const results = all.slice(0, events.length);
        if (all.length !== events.length + notices.length) {
          failure = new SyncError('SYNC_PORT_CONTRACT', `Publisher returned ${all.length} results for ${events.length + notices.length} events`);
        } else {
          acknowledged = new Set(results.filter((r, i) => r.ok && r.id === events[i]?.id).map((r) => r.id));
          this.noteNotices(notices, all.slice(events.length));
        }
      } catch (error) {
        failure = error;
      }
    }
    const { state } = this.ctx.keeper;
    for (const o of group) {
      const ok = o.event === undefined || acknowledged.has(o.event.id);
      const entry: SeenEntry = { ...o.entry, status: ok ? 'published' : 'unpublished' };
      if (ok) {
        // The acknowledged event holds size and hash; the state keeps only what later polls use.
        delete entry.event;
        delete entry.sha256;
        if (o.event) this.ctx.summary.published += 1;
        if (o.confirms) this.confirmed.add(o.uid);
      } else {
        const event = o.event as OutgoingEvent;
        entry.event = { id: event.id, detailType: event.detailType, detail: event.detail };
        this.unacknowledged += 1;
      }
      state.entries.set(o.uid, entry);
    }
    this.ctx.keeper.markDirty(group.length);
    await this.ctx.keeper.checkpoint();
    if (failure !== undefined) throw failure;
  }
}
