/**
 * Ingestion of one poll's work: fetched -> stored -> (committed, published, recorded by the
 * Recorder). Reading from POP3 never waits for a store: a body up to inMemoryBodyBytes is read
 * into memory and stored in the background (StorePipeline: bounded by count and octets); a
 * larger one streams to its store while later ones wait. Stores complete out of order; the
 * recorder keeps the guarantees (durable before announced, acknowledged before deleted).
 *
 * Per message, what can go wrong without failing the poll: the server refuses it (-ERR) or it
 * breaks a limit of the source (MESSAGE_FAULT): an attempt is counted, and after maxAttempts the
 * message is set aside ("Message Failed"); the key holds other bytes (a re-used UID): it is
 * fetched again under the next generation's key.
 */
import { evaluateFilter, type CompiledFilter } from './filter.js';
import {
  EVENT_SCHEMA_VERSION,
  messageEvent,
  storedObjectDetail,
  type MessageEventBase,
  type MessageEventDetail,
  type SkipReason,
  type StoredObject,
} from './events.js';
import { FetchQueue, fetchJobs, type WindowJob } from './fetch-loop.js';
import { HeaderCapture, extractHeaders, headerBlockEnd, type ExtractedHeaders } from './headers.js';
import { sha256Hex } from '../shared/sha256.js';
import { eventId, messageKey, uidHash, type EventKind, type MessageKind } from './keys.js';
import { SYNC_LIMITS } from './limits.js';
import { MESSAGE_FAULT, type MailboxSession, type MessageRefusal } from './ports.js';
import type { PlannedMessage } from './plan.js';
import type { Recorder } from './recorder.js';
import type { StateKeeper } from './checkpoint.js';
import type { HeadersReason, SeenEntry } from './state.js';
import type { ParseStep } from './parse-step.js';
import { StorePipeline } from './store-pipeline.js';
import { boundText } from './summary.js';
import type { MailboxPolicy, PollDependencies, PollProgress, PollSummary } from './types.js';
import type { Clock, Logger, OutgoingEvent } from './ports.js';
import { SyncError } from './errors.js';
import { GrowableBytes } from './growable-bytes.js';

/** First buffer for a header block read by TOP (grown as needed): most fit. */
const READ_START_BYTES = 8 * 1024;

/** What ingestion needs from the poll. */
export interface IngestContext {
  policy: MailboxPolicy;
  session: MailboxSession;
  deps: Pick<PollDependencies, 'store' | 'parsed'>;
  keeper: StateKeeper;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  summary: PollSummary;
  filter?: CompiledFilter;
  /** True once no new message may start (deadline passed, signal aborted, lease lost). */
  shouldStop: () => boolean;
  onProgress?: (progress: PollProgress) => void;
}

/** Why a message is fetched. */
type Purpose =
  | 'full' // a new message, stored in full
  | 'headers' // a new message whose header block is stored (mode, filter or too large)
  | 'filter' // TOP for the filter to decide
  | 'verify-top' // TOP to confirm a known message's identity before DELE
  | 'verify-full'; // RETR to confirm a known message's identity (no TOP evidence)

interface Job extends WindowJob {
  m: PlannedMessage;
  purpose: Purpose;
  generation: number;
  /** For purpose 'headers': why only the header block. */
  headersWhy?: HeadersReason;
}

/** Runs the fetch/store loop of one poll. */
export class Ingestor {
  /** Work items finished (recorded or queued for recording). */
  processed = 0;
  private bytesDone = 0;
  private planned = 0;
  private readonly prefix: string;
  private readonly maxSize: number;
  private readonly pipeline = new StorePipeline({ maxTasks: SYNC_LIMITS.storesInFlight, maxBytes: SYNC_LIMITS.storeBytesInFlight });
  /** Loaded only for a mailbox with parse: the MIME parser and its charset tables are large. */
  private readonly parse: Promise<{ step: ParseStep; failedEvent: typeof import('./parse-step.js').parseFailedEvent }> | undefined;

  constructor(private readonly ctx: IngestContext) {
    this.prefix = ctx.policy.keyPrefix ?? '';
    this.maxSize = ctx.policy.limits.maxMessageSize ?? SYNC_LIMITS.defaultMaxMessageSize;
    if (ctx.policy.parse) {
      if (!ctx.deps.parsed) throw new SyncError('SYNC_PORT_CONTRACT', 'parse is enabled for the mailbox but no ParsedObjectStore was given');
      const { parse, parsed } = { parse: ctx.policy.parse, parsed: ctx.deps.parsed };
      this.parse = import('./parse-step.js').then((m) => ({
        step: new m.ParseStep(parse, parsed, ctx.logger, (text) => ctx.summary.warnings.push(text)),
        failedEvent: m.parseFailedEvent,
      }));
      // Awaited where used; a failed load is seen there, never as an unhandled rejection.
      this.parse.catch(() => undefined);
    }
  }

  /** Processes `work` until done or shouldStop(); throws on a store, source or recorder failure. */
  async ingest(work: readonly PlannedMessage[]): Promise<void> {
    this.planned = work.filter((m) => m.action !== 'verify').length;
    const queue = new FetchQueue<Job>(work.map((m) => this.firstJob(m)));
    const stop = (): boolean => this.ctx.shouldStop() || this.pipeline.failed !== undefined || this.ctx.recorder.failed !== undefined;
    try {
      // Background stores may queue more (a re-used UID's next generation): loop until none is left.
      do {
        for await (const { job, fetched } of fetchJobs(this.ctx.session, queue, { maxMessages: SYNC_LIMITS.fetchWindow, maxBytes: SYNC_LIMITS.fetchWindowBytes }, stop)) {
          if (fetched.refused) {
            await this.failed(job, fetched.refused);
            continue;
          }
          if (job.fetch === 'full') this.ctx.recorder.retrieved.add(job.m.uid);
          try {
            await this.handle(job, fetched.body, queue);
          } catch (error) {
            if (!hasMessageFault(error)) throw error;
            await this.failed(job, { reason: error instanceof Error ? error.message : String(error) });
          }
        }
        await this.pipeline.drain();
      } while (queue.pending && !stop());
    } finally {
      // Whatever stopped the reader, finish what is in flight so it gets recorded.
      await this.pipeline.drain().catch(() => undefined);
    }
  }

  private firstJob(m: PlannedMessage): Job {
    const known = this.ctx.keeper.state.entries.get(m.uid);
    const generation = known?.generation ?? 1;
    const base = { m, msg: m.msg, size: m.size, generation };
    switch (m.action) {
      case 'full':
        return { ...base, fetch: 'full', purpose: 'full' };
      case 'headers':
        return { ...base, fetch: 'headers', purpose: 'headers', headersWhy: 'mode' };
      case 'too-large':
        return { ...base, fetch: 'headers', purpose: 'headers', headersWhy: 'too-large' };
      case 'filter':
        return { ...base, fetch: 'headers', purpose: 'filter' };
      case 'verify': {
        // TOP evidence when we have it and LIST still gives the size we saw; else RETR.
        const top = this.ctx.session.capabilities.top && known?.headerHash !== undefined && known.listSize === m.size;
        return top ? { ...base, fetch: 'headers', purpose: 'verify-top' } : { ...base, fetch: 'full', purpose: 'verify-full' };
      }
    }
  }

  private async handle(job: Job, body: AsyncIterable<Uint8Array>, queue: FetchQueue<Job>): Promise<void> {
    switch (job.purpose) {
      case 'filter':
        return this.filterDecision(job, body, queue);
      case 'verify-top':
        return this.verifyTop(job, body, queue);
      default:
        return this.store(job, body, queue);
    }
  }

  /** TOP for the filter: skip, store the header block now, or queue the RETR. */
  private async filterDecision(job: Job, body: AsyncIterable<Uint8Array>, queue: FetchQueue<Job>): Promise<void> {
    const filter = this.ctx.filter;
    if (!filter) throw new Error('filter planned without a filter');
    const top = await readBounded(body, SYNC_LIMITS.filterHeaderBytes);
    const end = headerBlockEnd(top.bytes);
    const extracted = extractHeaders(end >= 0 ? top.bytes.subarray(0, end) : top.bytes, end < 0 && top.overflow);
    const decision = evaluateFilter(filter, extracted.headers, job.m.size);
    if (decision.action === 'skip') {
      const why = decision.rule >= 0 ? `filter rule ${decision.rule}` : 'filter default (otherwise)';
      await this.skip(job, 'filter', why, extracted);
      this.progress(0);
      return;
    }
    const headersWhy: HeadersReason | undefined = decision.action === 'headers' ? 'filter' : job.m.size > this.maxSize ? 'too-large' : undefined;
    if (headersWhy === undefined) {
      queue.push({ ...job, fetch: 'full', purpose: 'full' });
    } else if (!top.overflow) {
      // The whole TOP reply is in memory already: store it without asking again.
      await this.store({ ...job, purpose: 'headers', headersWhy }, once(top.bytes), queue);
    } else {
      queue.push({ ...job, purpose: 'headers', headersWhy });
    }
  }

  /** Confirms a known message by its header hash; a mismatch is a new message under that UID. */
  private async verifyTop(job: Job, body: AsyncIterable<Uint8Array>, queue: FetchQueue<Job>): Promise<void> {
    const top = await readBounded(body, SYNC_LIMITS.filterHeaderBytes);
    const end = headerBlockEnd(top.bytes);
    const known = this.ctx.keeper.state.entries.get(job.m.uid);
    if (end >= 0 && known?.headerHash === headerHash(top.bytes.subarray(0, end))) {
      this.ctx.recorder.confirm(job.m.uid);
      return;
    }
    // Not provably the message we stored: fetch it; the store compares the bytes (same: confirmed,
    // other: a re-used UID, stored as the next generation with its own event).
    this.ctx.logger.info('identity not confirmed by TOP: fetching in full', { mailboxId: this.ctx.policy.id, uidHash: uidHash(this.ctx.policy.id, job.m.uid) });
    queue.push({ ...job, fetch: 'full', purpose: 'verify-full' });
  }

  /** Stores one body, in the background when it is small, streaming when it is not. */
  private async store(job: Job, source: AsyncIterable<Uint8Array>, queue: FetchQueue<Job>): Promise<void> {
    const capture = new HeaderCapture();
    const fetchedAt = this.ctx.clock.now();
    if (job.fetch === 'full' && job.m.size > SYNC_LIMITS.inMemoryBodyBytes) {
      // Large: stream to the store while later messages wait (memory stays flat).
      await this.pipeline.admit(0);
      const body = capture.tee(source);
      await this.putAndQueue(job, body, capture, fetchedAt, queue);
      return;
    }
    // Room first (by LIST's hint), then read: the octets held stay within the budget.
    await this.pipeline.admit(Math.min(job.m.size, SYNC_LIMITS.inMemoryBodyBytes));
    // LIST's size for a message; for TOP a small start (it returns a fraction of the message).
    const hint = Math.min(job.m.size, job.fetch === 'full' ? SYNC_LIMITS.inMemoryBodyBytes : READ_START_BYTES);
    const buffered = await readAll(source, hint);
    capture.observeAll(buffered);
    // The bytes are at hand: a conflict is retried under the next generation without a second RETR.
    this.pipeline.run(buffered.length, () => this.putAndQueue(job, once(buffered), capture, fetchedAt, queue, buffered));
  }

  private async putAndQueue(
    job: Job,
    body: AsyncIterable<Uint8Array>,
    capture: HeaderCapture,
    fetchedAt: Date,
    queue: FetchQueue<Job>,
    buffered?: Uint8Array,
  ): Promise<void> {
    const { policy, summary, keeper } = this.ctx;
    const kind: MessageKind = job.fetch === 'full' ? 'full' : 'headers';
    const hash = uidHash(policy.id, job.m.uid);
    const key = messageKey(this.prefix, policy.id, job.m.uid, kind, keeper.state.epoch, job.generation);
    const result = await this.ctx.deps.store.put({ key, body, ...(buffered ? { bytes: buffered } : {}), uidHash: hash, fetchedAt, kind });
    // A store may not read a body it does not need: read on until the headers are captured.
    await drainUntil(body, () => capture.finished);
    if (result.status === 'conflict') {
      // Other bytes under this UID's key: the server re-used the UID (RFC 1939 section 7 allows it
      // once the old message is gone). Fetch again under the next generation's key.
      if (job.generation + 1 > SYNC_LIMITS.maxGenerations) {
        await this.failed(job, { reason: `UID re-used more than ${SYNC_LIMITS.maxGenerations} times` });
        return;
      }
      summary.warnings.push(`A re-used UID met other bytes in the store: stored as generation ${job.generation + 1}`);
      const next: Job = { ...job, purpose: job.purpose === 'verify-full' ? 'full' : job.purpose, generation: job.generation + 1 };
      if (buffered) return this.putAndQueue(next, once(buffered), capture, fetchedAt, queue, buffered);
      queue.push(next);
      return;
    }
    const known = keeper.state.entries.get(job.m.uid);
    if (job.purpose === 'verify-full' && result.status === 'already-stored' && known?.status === 'published' && known.kind === 'full') {
      // The very bytes we stored and announced: identity confirmed, nothing new to say.
      await this.ctx.recorder.add({ uid: job.m.uid, entry: { ...known, listSize: job.m.size }, confirms: true });
      return;
    }
    if (result.status === 'stored') summary.stored += 1;
    else summary.alreadyStored += 1;
    summary.bytes += result.size;
    const stored: StoredObject = {
      bucket: result.location.bucket, key: result.location.key, size: result.size, sha256: result.sha256,
      ...(job.generation > 1 ? { generation: job.generation } : {}),
    };
    const extracted = capture.headers();
    const block = capture.result();
    const now = this.ctx.clock.now();
    const base = this.base(job.m.uid, hash, now, extracted);
    const epoch = keeper.state.epoch;
    let notice: OutgoingEvent | undefined;
    const detail = storedObjectDetail(base, {
      mailboxId: policy.id, uidHash: hash, kind, tooLarge: job.headersWhy === 'too-large', epoch, generation: job.generation,
      stored, listSize: job.m.size, maxMessageSize: this.maxSize,
    });
    if (detail.kind === 'full') {
      // Only after the raw put succeeded; whatever parsing gives, the raw outcome below stands.
      const parser = await this.parse;
      const parsed = await parser?.step.run(key, buffered && (() => once(buffered)));
      if (parsed && 'parsed' in parsed) detail.parsed = parsed.parsed;
      else if (parsed) notice = parser?.failedEvent(detail, parsed.failure, epoch, job.generation, now);
    } else if (detail.kind === 'headers') {
      summary.headersOnly += 1;
    } else {
      summary.skipped += 1;
    }
    const entry: SeenEntry = {
      firstSeen: base.firstSeen,
      key: stored.key,
      kind,
      status: 'unpublished',
      size: stored.size,
      sha256: stored.sha256,
      listSize: job.m.size,
    };
    if (block.complete) entry.headerHash = headerHash(block.block);
    if (job.generation > 1) entry.generation = job.generation;
    if (kind === 'headers' && job.headersWhy) entry.headersWhy = job.headersWhy;
    await this.ctx.recorder.add({ uid: job.m.uid, entry, event: messageEvent(detail, now), confirms: kind === 'full', ...(notice ? { notice } : {}) });
    this.ctx.logger.debug('message stored', { mailboxId: policy.id, uidHash: hash, kind, status: result.status, size: result.size });
    this.progress(result.size);
  }

  /**
   * One failed attempt at a message (refused by the server, or past a limit). New messages count
   * attempts and are set aside at maxAttempts; a known message (verification, upgrade) keeps its
   * record and is simply not deleted or upgraded this time.
   */
  private async failed(job: Job, refusal: MessageRefusal): Promise<void> {
    const { policy, keeper, summary, logger } = this.ctx;
    summary.fetchFailures += 1;
    const hash = uidHash(policy.id, job.m.uid);
    const reason = boundText(refusal.reason, 300);
    logger.warn('message could not be fetched', { mailboxId: policy.id, uidHash: hash, msg: job.m.msg, reason, serverText: refusal.serverText });
    const known = keeper.state.entries.get(job.m.uid);
    const isNew = !known || known.status === 'deleted' || known.status === 'retry' || known.kind === 'failed';
    if (!isNew || job.purpose === 'verify-top' || job.purpose === 'verify-full') {
      this.progress(0);
      return;
    }
    const attempts = (known?.status === 'retry' ? (known.attempts ?? 0) : 0) + 1;
    const max = policy.maxAttempts ?? SYNC_LIMITS.defaultMaxAttempts;
    const now = this.ctx.clock.now();
    const firstSeen = known && known.status === 'retry' ? known.firstSeen : now.toISOString();
    const key = messageKey(this.prefix, policy.id, job.m.uid, job.fetch === 'full' ? 'full' : 'headers', keeper.state.epoch, job.generation);
    const lastError = boundText(refusal.serverText ? `${reason} (server: ${refusal.serverText})` : reason, 500);
    if (attempts < max) {
      this.ctx.recorder.write(job.m.uid, { firstSeen, key, kind: job.fetch === 'full' ? 'full' : 'headers', status: 'retry', attempts, lastError, listSize: job.m.size });
      this.progress(0);
      return;
    }
    summary.setAside += 1;
    const detail: MessageEventDetail = {
      schemaVersion: EVENT_SCHEMA_VERSION,
      mailboxId: policy.id,
      uidHash: hash,
      firstSeen,
      headers: {},
      truncated: false,
      kind: 'failed',
      eventId: eventId(policy.id, hash, 'failed' satisfies EventKind, keeper.state.epoch, attempts),
      reason,
      attempts,
      listSize: job.m.size,
      ...(refusal.serverText === undefined ? {} : { serverText: boundText(refusal.serverText, 300) }),
      action: 'The message stays on the server, untouched. Fix it on the server side, then poll with retryFailed (CLI: --retry-failed).',
    };
    const entry: SeenEntry = { firstSeen, key, kind: 'failed', status: 'unpublished', attempts, lastError, listSize: job.m.size };
    await this.ctx.recorder.add({ uid: job.m.uid, entry, event: messageEvent(detail, now), confirms: false });
    this.progress(0);
  }

  private async skip(job: Job, reason: SkipReason, explanation: string, extracted: ExtractedHeaders): Promise<void> {
    const { policy, summary, keeper } = this.ctx;
    const hash = uidHash(policy.id, job.m.uid);
    const now = this.ctx.clock.now();
    summary.skipped += 1;
    const base = this.base(job.m.uid, hash, now, extracted);
    const detail: MessageEventDetail = {
      ...base,
      kind: 'skipped',
      eventId: eventId(policy.id, hash, 'skipped', keeper.state.epoch, job.generation),
      reason,
      explanation,
      listSize: job.m.size,
    };
    const key = messageKey(this.prefix, policy.id, job.m.uid, 'headers', keeper.state.epoch, job.generation);
    const entry: SeenEntry = { firstSeen: base.firstSeen, key, kind: 'skipped', status: 'unpublished', listSize: job.m.size };
    await this.ctx.recorder.add({ uid: job.m.uid, entry, event: messageEvent(detail, now), confirms: false });
  }

  private base(uid: string, hash: string, now: Date, extracted: ExtractedHeaders): Omit<MessageEventBase, 'eventId'> {
    const known = this.ctx.keeper.state.entries.get(uid);
    // A re-used UID (entry 'deleted') is a new message: it is first seen now.
    const firstSeen = known && known.status !== 'deleted' ? known.firstSeen : now.toISOString();
    return {
      schemaVersion: EVENT_SCHEMA_VERSION,
      mailboxId: this.ctx.policy.id,
      uidHash: hash,
      firstSeen,
      headers: extracted.headers,
      truncated: extracted.truncated,
    };
  }

  private progress(bytes: number): void {
    this.processed += 1;
    this.bytesDone += bytes;
    this.ctx.onProgress?.({ messagesDone: this.processed, messagesPlanned: this.planned, bytesDone: this.bytesDone });
  }
}

/** SHA-256 of a header block, first 32 hex digits: identity evidence kept in the seen-state. */
export function headerHash(block: Uint8Array): string {
  return sha256Hex(block).slice(0, 32);
}

/** True when `error` (or a cause of it) is a per-message fault of the mail source. */
function hasMessageFault(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === MESSAGE_FAULT) return true;
  }
  return false;
}

/** Reads a stream to its end, keeping at most `limit` octets. */
async function readBounded(body: AsyncIterable<Uint8Array>, limit: number): Promise<{ bytes: Uint8Array; overflow: boolean }> {
  const read = new GrowableBytes(Math.min(limit, READ_START_BYTES), limit);
  let overflow = false;
  for await (const chunk of body) {
    if (read.append(chunk) < chunk.length) overflow = true;
  }
  return { bytes: read.view().slice(), overflow };
}

/**
 * Reads a body into one buffer sized from LIST's `sizeHint` (grown if the server under-counted):
 * one copy per chunk, where a copy per chunk plus a final concatenation left a dead second copy
 * of every buffered message for the GC (issue 10, memory with the pipeline full).
 */
async function readAll(body: AsyncIterable<Uint8Array>, sizeHint: number): Promise<Uint8Array> {
  const read = new GrowableBytes(Math.max(sizeHint, 1024));
  for await (const chunk of body) read.append(chunk);
  // A server that over-counted (or a TOP fetch) leaves slack: keep it only when it is small.
  return read.length * 2 >= read.capacity ? read.view() : read.view().slice();
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
