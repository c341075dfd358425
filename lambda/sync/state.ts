/**
 * Seen-state: one small versioned JSON document per mailbox (UID -> what happened to it),
 * parsed defensively and written with compare-and-swap. A corrupt document is an error,
 * never "everything is new" (that would re-ingest and, with a delete policy, be unsafe).
 */
import * as z from 'zod';
import { SyncError } from './errors.js';

/** Format tag and version of the document; bump the version on breaking change. */
export const STATE_FORMAT = 'pop3-ingest.seen-state';
/** Current document schema version. */
export const STATE_SCHEMA_VERSION = 2;

/**
 * What happened to a UID.
 * - unpublished: durable (or deliberately skipped) but its event not acknowledged: republish, never delete.
 * - published: stored AND its event acknowledged: may be deleted per policy.
 * - deleted: removed from the server by a QUIT we sent (our DELE, or the server's EXPIRE 0 of what
 *   we retrieved). If the UID is listed again, the server re-used it: a new message.
 * - retry: fetching it failed `attempts` times (the server refused it, or it broke a limit);
 *   nothing is stored, it is fetched again next poll until set aside (kind 'failed').
 */
export type SeenStatus = 'unpublished' | 'published' | 'deleted' | 'retry';

/**
 * What the object under `key` holds: the full message, its header block, nothing (filter skip),
 * or nothing because fetching failed too often (set aside, "Message Failed").
 */
export type SeenKind = 'full' | 'headers' | 'skipped' | 'failed';

/** Why only the header block of a message is stored: the policy change that would revisit it. */
export type HeadersReason = 'mode' | 'too-large' | 'filter';

/** An event kept in the state until acknowledged, so a republish sends the same id and detail. */
export interface PendingEvent {
  id: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/** One UID's record. */
export interface SeenEntry {
  /** ISO-8601, when this poller first saw the UID (after-days counts from here). */
  firstSeen: string;
  /** Deterministic object key (keys.ts); for kind 'skipped' the key it would have had. */
  key: string;
  kind: SeenKind;
  status: SeenStatus;
  size?: number;
  /** Kept only until the event (which carries it) is acknowledged: the state stays small. */
  sha256?: string;
  /** Only while status is 'unpublished'. */
  event?: PendingEvent;
  /**
   * DELE was sent for this UID (recorded before the DELE goes out). If the poller dies after
   * the committing QUIT but before recording 'deleted', the UID's absence is expected, not a
   * sign of a new UID epoch: the circuit breaker must not count it.
   */
  deleteSent?: boolean;
  /** LIST's size when the message was fetched: identity evidence and the breaker's size match. */
  listSize?: number;
  /** SHA-256 (hex, first 32 digits) of the header block: identity evidence checked with TOP. */
  headerHash?: string;
  /** Object generation: 2 and up when the UID was re-used and the key held other bytes. */
  generation?: number;
  /** For kind 'headers': why only the header block was stored. */
  headersWhy?: HeadersReason;
  /** Failed fetch attempts (status 'retry' or kind 'failed'). */
  attempts?: number;
  /** The last failure, bounded text. */
  lastError?: string;
}

/** The parsed document. Entries are a Map: UIDs like "__proto__" are data, not keys of an object. */
export interface SeenState {
  mailboxId: string;
  /** UID epoch: 1 at first, incremented when a human accepts a new one (circuit breaker). */
  epoch: number;
  epochSince: string;
  /** Fingerprint of the server and user this state was recorded for (MailboxPolicy.identity). */
  identity?: string;
  entries: Map<string, SeenEntry>;
}

const UID = /^[\x21-\x7e]{1,70}$/;
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');

const EntrySchema = z.object({
  firstSeen: isoDate,
  key: z.string().min(1).max(1024),
  kind: z.enum(['full', 'headers', 'skipped', 'failed']),
  status: z.enum(['unpublished', 'published', 'deleted', 'retry']),
  size: z.number().int().nonnegative().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  event: z.object({ id: z.string().min(1), detailType: z.string().min(1), detail: z.record(z.string(), z.unknown()) }).optional(),
  deleteSent: z.boolean().optional(),
  listSize: z.number().int().nonnegative().optional(),
  headerHash: z.string().regex(/^[0-9a-f]{32}$/).optional(),
  generation: z.number().int().min(2).optional(),
  headersWhy: z.enum(['mode', 'too-large', 'filter']).optional(),
  attempts: z.number().int().nonnegative().optional(),
  lastError: z.string().max(500).optional(),
});

const DocumentSchema = z.object({
  format: z.literal(STATE_FORMAT),
  schemaVersion: z.number().int().positive(),
  mailboxId: z.string().min(1),
  epoch: z.number().int().positive(),
  epochSince: isoDate,
  updatedAt: isoDate,
  identity: z.string().min(1).max(128).optional(),
  // Not z.record: it rebuilds the object by assignment, which turns a "__proto__" UID into a
  // prototype change and silently drops the entry. The raw object is walked below instead.
  uids: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'uids must be an object'),
});

/** An empty state for a mailbox seen for the first time. */
export function emptyState(mailboxId: string, now: Date): SeenState {
  return { mailboxId, epoch: 1, epochSince: now.toISOString(), entries: new Map() };
}

/** Parses a stored document. Throws SyncError SYNC_STATE_CORRUPT / SYNC_STATE_INCOMPATIBLE. */
export function parseState(body: Uint8Array, mailboxId: string): SeenState {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (cause) {
    throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} is not valid UTF-8 JSON`, { cause });
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > STATE_SCHEMA_VERSION) {
    throw new SyncError(
      'SYNC_STATE_INCOMPATIBLE',
      `Seen-state of mailbox ${mailboxId} has schema version ${version}; this build reads up to ${STATE_SCHEMA_VERSION}`,
    );
  }
  const doc = DocumentSchema.safeParse(json);
  if (!doc.success) {
    throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} is malformed: ${doc.error.issues[0]?.message ?? 'invalid'}`);
  }
  if (doc.data.mailboxId !== mailboxId) {
    throw new SyncError('SYNC_STATE_INCOMPATIBLE', `Seen-state belongs to mailbox ${JSON.stringify(doc.data.mailboxId).slice(0, 140)}, not ${mailboxId}`);
  }
  const entries = new Map<string, SeenEntry>();
  // Object.entries on JSON.parse output: "__proto__" is an own data property there, so it is kept.
  for (const [uid, raw] of Object.entries((json as { uids: object }).uids)) {
    if (!UID.test(uid)) {
      throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} holds an invalid UID`);
    }
    const entry = EntrySchema.safeParse(raw);
    if (!entry.success) {
      throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} holds a malformed entry: ${entry.error.issues[0]?.message ?? 'invalid'}`);
    }
    if (entry.data.status === 'unpublished' && entry.data.event === undefined) {
      throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} holds an unpublished entry without its event`);
    }
    entries.set(uid, stripUndefined(entry.data));
  }
  const state: SeenState = { mailboxId, epoch: doc.data.epoch, epochSince: doc.data.epochSince, entries };
  if (doc.data.identity !== undefined) state.identity = doc.data.identity;
  return state;
}

/** Serializes the state (stable key order: UIDs sorted) for StateStore.save. */
export function serializeState(state: SeenState, now: Date): Uint8Array {
  const uids = [...state.entries.keys()].sort();
  const doc = {
    format: STATE_FORMAT,
    schemaVersion: STATE_SCHEMA_VERSION,
    mailboxId: state.mailboxId,
    epoch: state.epoch,
    epochSince: state.epochSince,
    updatedAt: now.toISOString(),
    ...(state.identity === undefined ? {} : { identity: state.identity }),
    // Object.fromEntries defines own properties: a "__proto__" UID stays data.
    uids: Object.fromEntries(uids.map((uid) => [uid, state.entries.get(uid)])),
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/**
 * Drops UIDs no longer on the server, except entries whose event is still unacknowledged:
 * their object is stored and must still be announced even if the message is gone.
 */
export function pruneState(state: SeenState, listedUids: ReadonlySet<string>): number {
  let dropped = 0;
  for (const [uid, entry] of state.entries) {
    if (listedUids.has(uid) || entry.status === 'unpublished') continue;
    state.entries.delete(uid);
    dropped += 1;
  }
  return dropped;
}

function stripUndefined(entry: z.infer<typeof EntrySchema>): SeenEntry {
  const out: SeenEntry = { firstSeen: entry.firstSeen, key: entry.key, kind: entry.kind, status: entry.status };
  if (entry.size !== undefined) out.size = entry.size;
  if (entry.sha256 !== undefined) out.sha256 = entry.sha256;
  if (entry.event !== undefined) out.event = entry.event;
  if (entry.deleteSent === true) out.deleteSent = true;
  if (entry.listSize !== undefined) out.listSize = entry.listSize;
  if (entry.headerHash !== undefined) out.headerHash = entry.headerHash;
  if (entry.generation !== undefined) out.generation = entry.generation;
  if (entry.headersWhy !== undefined) out.headersWhy = entry.headersWhy;
  if (entry.attempts !== undefined) out.attempts = entry.attempts;
  if (entry.lastError !== undefined) out.lastError = entry.lastError;
  return out;
}
