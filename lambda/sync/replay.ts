/**
 * replayMailbox: publishes again the events of messages already stored, for a new consumer or
 * after a consumer bug. No POP3 session: the seen-state says which messages were stored and when,
 * the store's metadata and first octets give back the rest of each event, and the event id is
 * recomputed from the same inputs as the original (keys.ts eventId), so a consumer that
 * deduplicates on it sees each message once.
 *
 * What is replayed, by seen-state entry, when its `firstSeen` lies in [from, to):
 * - an event still owed (status 'unpublished'): that very event, as kept in the state;
 * - kind 'full' ("Message Stored") and 'headers' ("Headers Fetched", or "Message Skipped" with
 *   the stored header block when it was too large), status 'published' or 'deleted': rebuilt
 *   from the object; an object that is gone is counted and listed, never fatal;
 * - kind 'seeded', 'skipped' and 'failed': nothing is stored, nothing to replay (counted).
 * A message whose entry was pruned (deleted from the server, then forgotten) is not in the state
 * and is not replayed.
 *
 * Read-only: no lease, no state write, no mail source.
 */
import { SyncError } from './errors.js';
import {
  EVENT_SCHEMA_VERSION, messageEvent, storedObjectDetail, type MessageEventBase, type StoredObject,
} from './events.js';
import { HEADER_LIMITS, HeaderCapture } from './headers.js';
import { isValidMailboxId, keyEpoch, uidHash, type MessageKind } from './keys.js';
import { SYNC_LIMITS } from './limits.js';
import type { Clock, EventPublisher, Logger, OutgoingEvent, StateStore, StoredMessageReader } from './ports.js';
import { StateKeeper } from './checkpoint.js';
import { fromQuietWithKey, quietKeyKind } from './quiet-run.js';
import type { SeenEntry } from './state.js';
import { boundText, errorInfo } from './summary.js';
import type { MailboxPolicy } from './types.js';

/** The ports a replay runs against: never a mail source. */
export interface ReplayDependencies {
  state: StateStore;
  reader: StoredMessageReader;
  publisher: EventPublisher;
  clock?: Clock;
  logger?: Logger;
}

/** Which messages to replay: those whose seen-state `firstSeen` is in [from, to). */
export interface ReplayOptions {
  from?: Date;
  to?: Date;
  /** Build the events, publish nothing; the events are returned. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** What a replay would publish or published, one per message. */
export interface ReplayedEvent {
  id: string;
  detailType: string;
  firstSeen: string;
  key?: string;
  /** false when the publisher did not acknowledge it (never set in a dry run). */
  ok?: boolean;
}

/** Outcome of one replay. */
export interface ReplaySummary {
  mailboxId: string;
  status: 'ok' | 'failed';
  startedAt: string;
  durationMs: number;
  from?: string;
  to?: string;
  dryRun: boolean;
  /** Entries of the seen-state whose firstSeen is in the range. */
  matched: number;
  /** Events acknowledged by the publisher (0 in a dry run). */
  published: number;
  /** Events built (published or, in a dry run, printed). */
  events: number;
  unacknowledged: number;
  /** Entries whose object is gone from the store (listed in `missingKeys`, bounded). */
  missing: number;
  missingKeys: string[];
  /** Entries with nothing stored (seeded, filter-skipped, set aside, still retrying). */
  nothingStored: number;
  warnings: string[];
  error?: { code: string; category: string; message: string; retryable: boolean };
}

const systemClock: Clock = { now: () => new Date() };
const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** Objects read at once (S3 GETs of the first 64 KiB). */
const READS_IN_FLIGHT = 8;
const MAX_LISTED_MISSING = 100;

/** Replays one mailbox. Never throws for mailbox-level failures; returns the summary and the events. */
export async function replayMailbox(
  policy: MailboxPolicy,
  deps: ReplayDependencies,
  options: ReplayOptions = {},
): Promise<{ summary: ReplaySummary; events: ReplayedEvent[] }> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const started = clock.now();
  const summary: ReplaySummary = {
    mailboxId: policy.id, status: 'ok', startedAt: started.toISOString(), durationMs: 0,
    ...(options.from ? { from: options.from.toISOString() } : {}),
    ...(options.to ? { to: options.to.toISOString() } : {}),
    dryRun: options.dryRun === true,
    matched: 0, published: 0, events: 0, unacknowledged: 0, missing: 0, missingKeys: [], nothingStored: 0, warnings: [],
  };
  const replayed: ReplayedEvent[] = [];
  try {
    if (!isValidMailboxId(policy.id)) throw new SyncError('SYNC_INVALID_POLICY', 'Mailbox id must be [a-z0-9._-], start alphanumeric, at most 128 characters');
    if (options.from && options.to && options.from.getTime() >= options.to.getTime()) {
      throw new SyncError('SYNC_INVALID_POLICY', `Replay range is empty: from ${options.from.toISOString()} is not before to ${options.to.toISOString()}`);
    }
    await runReplay(policy, { ...deps, clock, logger }, options, summary, replayed);
  } catch (error) {
    summary.status = 'failed';
    summary.error = errorInfo(error);
  }
  summary.durationMs = Math.max(0, clock.now().getTime() - started.getTime());
  (summary.status === 'ok' ? logger.info : logger.warn).call(logger, 'mailbox replayed', { ...summary, missingKeys: summary.missingKeys.length });
  return { summary, events: replayed };
}

/**
 * A --from / --to value: an ISO date (`2026-03-01`, UTC) or date-time (`2026-03-01T12:00:00Z`).
 * A date-only `to` means the end of that day, so `--from D --to D` replays day D.
 */
export function parseReplayBound(text: string, bound: 'from' | 'to'): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const value = dateOnly ? Date.parse(`${text}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(value)) {
    throw new SyncError('SYNC_INVALID_POLICY', `${bound}: expected an ISO date (2026-03-01) or date-time (2026-03-01T12:00:00Z), got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return new Date(dateOnly && bound === 'to' ? value + DAY_MS : value);
}

const DAY_MS = 24 * 60 * 60 * 1000;

type Deps = ReplayDependencies & { clock: Clock; logger: Logger };

async function runReplay(policy: MailboxPolicy, deps: Deps, options: ReplayOptions, summary: ReplaySummary, replayed: ReplayedEvent[]): Promise<void> {
  const loaded = await deps.state.load(policy.id);
  if (!loaded) {
    summary.warnings.push(`Mailbox ${policy.id} has no seen-state: nothing was ever stored, nothing to replay`);
    return;
  }
  const state = (await StateKeeper.load(deps.state, deps.clock, policy.id)).state;
  const from = options.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = options.to?.getTime() ?? Number.POSITIVE_INFINITY;
  const inRange = (firstSeen: string): boolean => {
    const t = Date.parse(firstSeen);
    return t >= from && t < to;
  };
  const selected: Selected[] = [];
  for (const [uid, entry] of state.entries.loudEntries()) {
    if (inRange(entry.firstSeen)) selected.push({ entry, order: uid, uid });
  }
  // Quiet entries keep half of the UID hash, not the UID: their keys come from the store's listing.
  const quiet = [...state.entries.quietRecords()]
    .map(([hashHex, record]) => ({ hashHex, record, entry: fromQuietWithKey('', record) }))
    .filter((q) => inRange(q.entry.firstSeen));
  if (quiet.length > 0) {
    const keys = await storedKeys(deps.reader, `${state.entries.keyPrefix ?? ''}${policy.id}/`);
    for (const q of quiet) {
      if (q.entry.kind !== 'full' && q.entry.kind !== 'headers') {
        selected.push({ entry: q.entry, order: q.hashHex });
        continue;
      }
      const key = keys.get(`${q.hashHex}|${quietKeyKind(q.record)}|${q.record.epoch}`);
      if (key === undefined) {
        summary.matched += 1;
        noteMissing(summary, `${state.entries.keyPrefix ?? ''}${policy.id}/${q.record.epoch > 1 ? `e${q.record.epoch}/` : ''}${quietKeyKind(q.record)}/${q.hashHex}…`);
        continue;
      }
      selected.push({ entry: { ...q.entry, key: key.key }, order: q.hashHex, hash: key.hash, epoch: q.record.epoch });
    }
  }
  // Oldest first, as they were announced; the UID (or its hash) breaks ties so the order is stable.
  selected.sort((a, b) => Date.parse(a.entry.firstSeen) - Date.parse(b.entry.firstSeen) || (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  summary.matched += selected.length;

  let batch: OutgoingEvent[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    const results = options.dryRun ? events.map((e) => ({ id: e.id, ok: true })) : await deps.publisher.publish(events);
    if (results.length !== events.length) throw new SyncError('SYNC_PORT_CONTRACT', `Publisher returned ${results.length} results for ${events.length} events`);
    events.forEach((event, i) => {
      const ok = results[i]?.ok === true && results[i]?.id === event.id;
      const detail = event.detail as { firstSeen?: unknown; key?: unknown; stored?: { key?: unknown } };
      const key = typeof detail.key === 'string' ? detail.key : typeof detail.stored?.key === 'string' ? detail.stored.key : undefined;
      replayed.push({
        id: event.id, detailType: event.detailType, firstSeen: String(detail.firstSeen ?? ''),
        ...(key === undefined ? {} : { key }),
        ...(options.dryRun ? {} : { ok }),
      });
      summary.events += 1;
      if (options.dryRun) return;
      if (ok) summary.published += 1;
      else summary.unacknowledged += 1;
    });
  };

  // Bounded parallel reads, results taken in order so the events keep the state's order.
  for (let i = 0; i < selected.length; i += READS_IN_FLIGHT) {
    if (options.signal?.aborted) throw new SyncError('SYNC_ABORTED', `Replay stopped by the caller after ${summary.events} event(s)`);
    const slice = selected.slice(i, i + READS_IN_FLIGHT);
    const events = await Promise.all(slice.map((item) => rebuild(policy, deps, item, state.epoch, summary)));
    for (const event of events) {
      if (event === undefined) continue;
      batch.push(event);
      if (batch.length >= SYNC_LIMITS.publishGroupSize) await flush();
    }
  }
  await flush();
  if (summary.unacknowledged > 0) summary.warnings.push(`${summary.unacknowledged} replayed event(s) not acknowledged: run the replay again (same ids)`);
  if (summary.missing > 0) summary.warnings.push(`${summary.missing} stored object(s) are gone from the store: their events were not replayed`);
}

/** The event of one entry, or undefined (nothing stored, object gone). */
async function rebuild(policy: MailboxPolicy, deps: Deps, item: Selected, currentEpoch: number, summary: ReplaySummary): Promise<OutgoingEvent | undefined> {
  const { entry } = item;
  if (entry.status === 'unpublished' && entry.event) {
    // Still owed: the very event the next poll would republish.
    return { id: entry.event.id, detailType: entry.event.detailType, detail: entry.event.detail };
  }
  if ((entry.kind !== 'full' && entry.kind !== 'headers') || entry.status === 'retry') {
    summary.nothingStored += 1;
    return undefined;
  }
  const kind: MessageKind = entry.kind;
  const generation = entry.generation ?? 1;
  const epoch = item.uid === undefined ? item.epoch : keyEpoch(entry.key, policy.id, item.uid, kind, generation);
  if (epoch === undefined) {
    summary.warnings.push(`Seen-state key ${boundText(entry.key, 200)} does not name this message: not replayed`);
    return undefined;
  }
  if (epoch > currentEpoch) summary.warnings.push(`Key ${boundText(entry.key, 200)} is of a later UID epoch than the state's`);
  const info = await deps.reader.read(entry.key, HEADER_LIMITS.maxHeaderBlock);
  if (!info) {
    noteMissing(summary, entry.key);
    return undefined;
  }
  const capture = new HeaderCapture();
  for await (const chunk of capture.tee(once(info.head))) void chunk;
  // The same capture, limit and first octets as when the message was stored: the same headers.
  const extracted = capture.headers();
  const hash = item.uid === undefined ? (item.hash as string) : uidHash(policy.id, item.uid);
  const base: Omit<MessageEventBase, 'eventId'> = {
    schemaVersion: EVENT_SCHEMA_VERSION, mailboxId: policy.id, uidHash: hash, firstSeen: entry.firstSeen,
    headers: extracted.headers, truncated: extracted.truncated,
  };
  const stored: StoredObject = {
    bucket: info.location.bucket, key: info.location.key, size: info.size, sha256: info.sha256,
    ...(generation > 1 ? { generation } : {}),
  };
  const detail = storedObjectDetail(base, {
    mailboxId: policy.id, uidHash: hash, kind, tooLarge: kind === 'headers' && entry.headersWhy === 'too-large', epoch, generation, stored,
    listSize: entry.listSize ?? info.size, maxMessageSize: policy.limits.maxMessageSize ?? SYNC_LIMITS.defaultMaxMessageSize,
  });
  return messageEvent(detail, info.fetchedAt ?? new Date(entry.firstSeen));
}

/** One entry picked for the replay: a loud one by UID, a quiet one by the key the store listed. */
interface Selected {
  entry: SeenEntry;
  /** Tie-break of the order: the UID, or the hash of a quiet entry. */
  order: string;
  uid?: string;
  /** Quiet entries: the full UID hash and the epoch, from the listed key and the record. */
  hash?: string;
  epoch?: number;
}

const STORED_KEY = /(?:^|\/)(?:e(\d{1,9})\/)?(full|headers)\/([0-9a-f]{64})\.eml$/;

/** The generation-1 message keys under `prefix`, by `hash32|kind|epoch` (what a quiet record holds). */
async function storedKeys(reader: StoredMessageReader, prefix: string): Promise<Map<string, { key: string; hash: string }>> {
  const keys = new Map<string, { key: string; hash: string }>();
  for await (const key of reader.keysUnder(prefix)) {
    const match = STORED_KEY.exec(key.slice(prefix.length - 1));
    if (!match) continue;
    const hash = match[3] as string;
    keys.set(`${hash.slice(0, 32)}|${match[2]}|${match[1] === undefined ? 1 : Number(match[1])}`, { key, hash });
  }
  return keys;
}

function noteMissing(summary: ReplaySummary, key: string): void {
  summary.missing += 1;
  if (summary.missingKeys.length < MAX_LISTED_MISSING) summary.missingKeys.push(key);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
