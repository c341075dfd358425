/**
 * Ingestion of one poll's work, message by message: fetched -> stored -> published -> recorded.
 * Events are published in batches; after each batch the outcome is recorded in the seen-state,
 * which is checkpointed (CAS save) every SYNC_LIMITS.checkpointEveryMessages / ...Ms, so a hard
 * kill costs at most a bounded re-fetch (objects then found already stored).
 */
import { evaluateFilter, type CompiledFilter } from './filter.js';
import {
  EVENT_SCHEMA_VERSION,
  messageEvent,
  type MessageEventBase,
  type MessageEventDetail,
  type SkipReason,
  type StoredObject,
} from './events.js';
import { HeaderCapture, extractHeaders, headerBlockEnd, type ExtractedHeaders } from './headers.js';
import { eventId, messageKey, uidHash, type MessageKind } from './keys.js';
import { SYNC_LIMITS } from './limits.js';
import type { Clock, EventPublisher, FetchedMessage, Logger, MailboxSession, MessageStore, OutgoingEvent } from './ports.js';
import type { PlannedMessage } from './plan.js';
import type { StateKeeper } from './checkpoint.js';
import type { SeenEntry } from './state.js';
import type { MailboxPolicy, PollProgress, PollSummary } from './types.js';
import { SyncError } from './errors.js';

/** What ingestion needs from the poll. */
export interface IngestContext {
  policy: MailboxPolicy;
  session: MailboxSession;
  store: MessageStore;
  publisher: EventPublisher;
  keeper: StateKeeper;
  clock: Clock;
  logger: Logger;
  summary: PollSummary;
  filter?: CompiledFilter;
  /** True once no new message may start (deadline passed or signal aborted). */
  shouldStop: () => boolean;
  onProgress?: (progress: PollProgress) => void;
}

/** How one message is fetched in the store phase. */
type FetchKind = 'full' | 'headers' | 'too-large';

interface Queued {
  uid: string;
  entry: SeenEntry;
  event: OutgoingEvent;
  /** A RETR whose event is not yet acknowledged (see unsafeRetrieved). */
  retrieved: boolean;
}

/** Runs the fetch/store/publish/record loop for one poll. */
export class Ingestor {
  /** Work items finished (recorded or queued for recording). */
  processed = 0;
  /** RETRs in this session whose event is not acknowledged: with EXPIRE 0, QUIT would lose them. */
  unsafeRetrieved = 0;
  /** Events the publisher did not acknowledge in this poll. */
  unacknowledged = 0;
  private batch: Queued[] = [];
  private batchStartedAt = 0;
  private bytesDone = 0;
  private planned = 0;
  private readonly prefix: string;

  constructor(private readonly ctx: IngestContext) {
    this.prefix = ctx.policy.keyPrefix ?? '';
  }

  /** Republishes events recorded as unacknowledged by earlier polls, with their original ids. */
  async republishPending(): Promise<void> {
    for (const [uid, entry] of this.ctx.keeper.state.entries) {
      if (entry.status !== 'unpublished' || !entry.event) continue;
      const event: OutgoingEvent = { id: entry.event.id, detailType: entry.event.detailType, detail: entry.event.detail };
      this.queue({ uid, entry: { ...entry }, event, retrieved: false });
      if (this.batch.length >= SYNC_LIMITS.publishBatchSize) await this.flush();
    }
    await this.flush();
  }

  /** Processes `work` in order until done or shouldStop(); throws on the first store/fetch/state failure. */
  async ingest(work: readonly PlannedMessage[]): Promise<void> {
    this.planned = work.length;
    const toFetch: Array<{ m: PlannedMessage; kind: FetchKind }> = [];
    const filtered = work.filter((m) => m.action === 'filter');
    if (filtered.length > 0) toFetch.push(...(await this.applyFilter(filtered)));
    for (const m of work) {
      if (m.action !== 'filter') toFetch.push({ m, kind: m.action });
    }
    toFetch.sort((a, b) => a.m.msg - b.m.msg);
    for (let i = 0; i < toFetch.length && !this.ctx.shouldStop(); i += SYNC_LIMITS.fetchWindow) {
      const window = toFetch.slice(i, i + SYNC_LIMITS.fetchWindow);
      const requests = window.map(({ m, kind }) => ({ msg: m.msg, kind: kind === 'full' ? ('full' as const) : ('headers' as const) }));
      let index = 0;
      for await (const fetched of this.ctx.session.fetch(requests)) {
        const item = window[index++];
        if (!item || item.m.msg !== fetched.msg) {
          throw new SyncError('SYNC_PORT_CONTRACT', `Mail source yielded message ${fetched.msg} out of request order`);
        }
        await this.storeOne(item.m, item.kind, fetched);
        await this.maybeFlush();
        // Deadline: finish the message in flight, start no new one (the rest is backlog).
        if (this.ctx.shouldStop()) break;
      }
    }
    await this.flush();
  }

  /**
   * Publishes the queued events, records each outcome (published, or unpublished with its
   * event kept for the next poll) and checkpoints when due. A publisher that throws is treated as
   * "nothing acknowledged": recorded, then rethrown.
   */
  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    const events = batch.map((q) => q.event);
    let failure: unknown;
    let results: Array<{ id: string; ok: boolean }>;
    try {
      results = await this.ctx.publisher.publish(events);
      if (results.length !== events.length) {
        failure = new SyncError('SYNC_PORT_CONTRACT', `Publisher returned ${results.length} results for ${events.length} events`);
        results = [];
      }
    } catch (error) {
      failure = error;
      results = [];
    }
    const { state } = this.ctx.keeper;
    batch.forEach((q, i) => {
      const result = results[i];
      const ok = result !== undefined && result.ok && result.id === q.event.id;
      const entry: SeenEntry = { ...q.entry, status: ok ? 'published' : 'unpublished' };
      if (ok) {
        // The acknowledged event holds size and hash; the state keeps only what later polls use.
        delete entry.event;
        delete entry.sha256;
        this.ctx.summary.published += 1;
        if (q.retrieved) this.unsafeRetrieved -= 1;
      } else {
        entry.event = { id: q.event.id, detailType: q.event.detailType, detail: q.event.detail };
        this.unacknowledged += 1;
      }
      state.entries.set(q.uid, entry);
    });
    this.ctx.keeper.markDirty(batch.length);
    await this.ctx.keeper.checkpoint();
    if (failure !== undefined) throw failure;
  }

  /** TOP for every filtered message, decide, and act on 'skip' and (small) 'headers' at once. */
  private async applyFilter(items: readonly PlannedMessage[]): Promise<Array<{ m: PlannedMessage; kind: FetchKind }>> {
    const filter = this.ctx.filter;
    if (!filter) throw new SyncError('SYNC_INVALID_POLICY', 'Filter planned without a filter');
    const maxSize = this.ctx.policy.limits.maxMessageSize ?? SYNC_LIMITS.defaultMaxMessageSize;
    const later: Array<{ m: PlannedMessage; kind: FetchKind }> = [];
    for (let i = 0; i < items.length && !this.ctx.shouldStop(); i += SYNC_LIMITS.fetchWindow) {
      const window = items.slice(i, i + SYNC_LIMITS.fetchWindow);
      let index = 0;
      for await (const fetched of this.ctx.session.fetch(window.map((m) => ({ msg: m.msg, kind: 'headers' as const })))) {
        const m = window[index++];
        if (!m || m.msg !== fetched.msg) {
          throw new SyncError('SYNC_PORT_CONTRACT', `Mail source yielded message ${fetched.msg} out of request order`);
        }
        const top = await readBounded(fetched.body, SYNC_LIMITS.filterHeaderBytes);
        const end = headerBlockEnd(top.bytes);
        const extracted = extractHeaders(end >= 0 ? top.bytes.subarray(0, end) : top.bytes, end < 0 && top.overflow);
        const decision = evaluateFilter(filter, extracted.headers, m.size);
        if (decision.action === 'skip') {
          const why = decision.rule >= 0 ? `filter rule ${decision.rule}` : 'filter default (otherwise)';
          this.queueSkip(m, 'filter', why, extracted);
          this.progress(0);
        } else if (decision.action === 'headers' && !top.overflow) {
          // The whole TOP reply is in memory already: store it without asking again.
          await this.storeOne(m, 'headers', { msg: m.msg, kind: 'headers', body: once(top.bytes) });
        } else if (decision.action === 'headers' || m.size <= maxSize) {
          later.push({ m, kind: decision.action === 'headers' ? 'headers' : 'full' });
        } else {
          later.push({ m, kind: 'too-large' });
        }
        await this.maybeFlush();
        if (this.ctx.shouldStop()) break;
      }
    }
    return later;
  }

  /** Streams one fetched message into the store, teeing its header block for the event. */
  private async storeOne(m: PlannedMessage, kind: FetchKind, fetched: FetchedMessage): Promise<void> {
    const { policy, clock, summary } = this.ctx;
    const { state } = this.ctx.keeper;
    const objectKind: MessageKind = kind === 'full' ? 'full' : 'headers';
    const hash = uidHash(policy.id, m.uid);
    const key = messageKey(this.prefix, policy.id, m.uid, objectKind, state.epoch);
    const now = clock.now();
    if (kind === 'full') this.unsafeRetrieved += 1;
    const capture = new HeaderCapture();
    const body = capture.tee(fetched.body);
    const result = await this.ctx.store.put({ key, body, uidHash: hash, fetchedAt: now, kind: objectKind });
    // A store that found the object already there may not have read the body: read on until
    // the headers are captured, then close the stream (FetchedMessage: consume or destroy).
    await drainUntil(body, () => capture.finished);
    if (result.status === 'stored') summary.stored += 1;
    else summary.alreadyStored += 1;
    summary.bytes += result.size;
    const stored: StoredObject = { bucket: result.location.bucket, key: result.location.key, size: result.size, sha256: result.sha256 };
    const extracted = capture.headers();
    const base = this.base(m.uid, hash, now, extracted);
    let detail: MessageEventDetail;
    if (kind === 'full') {
      detail = { ...base, kind: 'full', eventId: eventId(policy.id, hash, 'stored', state.epoch), ...stored };
    } else if (kind === 'headers') {
      summary.headersOnly += 1;
      detail = { ...base, kind: 'headers', eventId: eventId(policy.id, hash, 'headers', state.epoch), ...stored };
    } else {
      summary.skipped += 1;
      const maxSize = policy.limits.maxMessageSize ?? SYNC_LIMITS.defaultMaxMessageSize;
      detail = {
        ...base,
        kind: 'skipped',
        eventId: eventId(policy.id, hash, 'skipped', state.epoch),
        reason: 'too-large',
        explanation: `LIST size ${m.size} > maxMessageSize ${maxSize}: header block stored, body left on the server`,
        listSize: m.size,
        stored,
      };
    }
    const entry: SeenEntry = {
      firstSeen: base.firstSeen,
      key: stored.key,
      kind: kind === 'full' ? 'full' : 'headers',
      status: 'unpublished',
      size: stored.size,
      sha256: stored.sha256,
    };
    this.queue({ uid: m.uid, entry, event: messageEvent(detail, now), retrieved: kind === 'full' });
    this.ctx.logger.debug('message stored', { mailboxId: policy.id, uidHash: hash, kind, status: result.status, size: result.size });
    this.progress(result.size);
  }

  private queueSkip(m: PlannedMessage, reason: SkipReason, explanation: string, extracted: ExtractedHeaders): void {
    const { policy, clock, summary } = this.ctx;
    const { state } = this.ctx.keeper;
    const hash = uidHash(policy.id, m.uid);
    const now = clock.now();
    summary.skipped += 1;
    const base = this.base(m.uid, hash, now, extracted);
    const detail: MessageEventDetail = {
      ...base,
      kind: 'skipped',
      eventId: eventId(policy.id, hash, 'skipped', state.epoch),
      reason,
      explanation,
      listSize: m.size,
    };
    const key = messageKey(this.prefix, policy.id, m.uid, 'headers', state.epoch);
    const entry: SeenEntry = { firstSeen: base.firstSeen, key, kind: 'skipped', status: 'unpublished' };
    this.queue({ uid: m.uid, entry, event: messageEvent(detail, now), retrieved: false });
  }

  private base(uid: string, hash: string, now: Date, extracted: ExtractedHeaders): Omit<MessageEventBase, 'eventId'> {
    const known = this.ctx.keeper.state.entries.get(uid);
    return {
      schemaVersion: EVENT_SCHEMA_VERSION,
      mailboxId: this.ctx.policy.id,
      uidHash: hash,
      firstSeen: known?.firstSeen ?? now.toISOString(),
      headers: extracted.headers,
      truncated: extracted.truncated,
    };
  }

  private queue(q: Queued): void {
    if (this.batch.length === 0) this.batchStartedAt = this.ctx.clock.now().getTime();
    this.batch.push(q);
  }

  private async maybeFlush(): Promise<void> {
    const age = this.ctx.clock.now().getTime() - this.batchStartedAt;
    if (this.batch.length >= SYNC_LIMITS.publishBatchSize || (this.batch.length > 0 && age >= SYNC_LIMITS.publishBatchMs)) {
      await this.flush();
    }
  }

  private progress(bytes: number): void {
    this.processed += 1;
    this.bytesDone += bytes;
    this.ctx.onProgress?.({ messagesDone: this.processed, messagesPlanned: this.planned, bytesDone: this.bytesDone });
  }
}

/** Reads a stream to its end, keeping at most `limit` octets. */
async function readBounded(body: AsyncIterable<Uint8Array>, limit: number): Promise<{ bytes: Uint8Array; overflow: boolean }> {
  const buffer = new Uint8Array(limit);
  let length = 0;
  let overflow = false;
  for await (const chunk of body) {
    const take = Math.min(chunk.length, limit - length);
    buffer.set(chunk.subarray(0, take), length);
    length += take;
    if (take < chunk.length) overflow = true;
  }
  return { bytes: buffer.slice(0, length), overflow };
}

/** Iterates `body` until `done()` or its end, then closes it (return() destroys the source). */
async function drainUntil(body: AsyncIterable<Uint8Array>, done: () => boolean): Promise<void> {
  if (done()) {
    await body[Symbol.asyncIterator]().return?.();
    return;
  }
  for await (const _chunk of body) {
    if (done()) break;
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
