/**
 * Seen-state: what happened to each UID of a mailbox, parsed defensively. A corrupt document is
 * an error, never "everything is new" (that would re-ingest and, with a delete policy, be unsafe).
 * This file holds the record types, their validation and the schema 2 document (one JSON object
 * of records, read for migration); schema 3 (a manifest naming segments) is state-codec.ts.
 */
import { SyncError } from './errors.js';
import type { MessageKind } from './keys.js';
import { SeenEntries } from './seen-entries.js';

/** Format tag and version of the document; bump the version on breaking change. */
export const STATE_FORMAT = 'pop3-ingest.seen-state';
/** Current document schema version (3: manifest + segments; 2: one JSON document, still read). */
export const STATE_SCHEMA_VERSION = 3;
/** The single-document schema read for migration. */
export const LEGACY_SCHEMA_VERSION = 2;

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
 * nothing because fetching failed too often (set aside, "Message Failed"), or nothing because
 * `seed` recorded the message as already there (never stored by us, so never deleted: seed.ts).
 */
export type SeenKind = MessageKind | 'skipped' | 'failed' | 'seeded';

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

/**
 * The seen-state of one mailbox. `entries` holds the UIDs (seen-entries.ts): most of a kept
 * mailbox as compact columns keyed by a UID hash, the rest as full records.
 */
export interface SeenState {
  mailboxId: string;
  /** UID epoch: 1 at first, incremented when a human accepts a new one (circuit breaker). */
  epoch: number;
  epochSince: string;
  /** Fingerprint of the server and user this state was recorded for (MailboxPolicy.identity). */
  identity?: string;
  /**
   * Document-level facts other parts keep with the state (e.g. the last login time): short
   * names to strings or finite numbers. Change one, then markDirty() on the keeper.
   */
  meta: Record<string, string | number>;
  entries: SeenEntries;
  /** Read from an older format: the next poll rewrites it (counts as work, never idle). */
  needsRewrite?: boolean;
}

const UID = /^[\x21-\x7e]{1,70}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const HEADER_HASH = /^[0-9a-f]{32}$/;
const KINDS: ReadonlySet<string> = new Set(['full', 'headers', 'skipped', 'failed', 'seeded']);
const STATUSES: ReadonlySet<string> = new Set(['unpublished', 'published', 'deleted', 'retry']);
const HEADERS_WHY: ReadonlySet<string> = new Set(['mode', 'too-large', 'filter']);

/*
 * Hand-written validation, not a schema library: an idle poll parses every entry of a kept
 * mailbox (10,000 entries: ~0.3 s through zod, a few ms here) and the sync core stays free of
 * a dependency that costs ~100 ms to import.
 */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDate = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The first problem of an entry, or undefined when it is valid. */
export function entryProblem(raw: unknown): string | undefined {
  if (!isObject(raw)) return 'entry is not an object';
  if (!isDate(raw['firstSeen'])) return 'firstSeen: not a date';
  const key = raw['key'];
  if (typeof key !== 'string' || key.length < 1 || key.length > 1024) return 'key: not a string of 1-1024 characters';
  if (typeof raw['kind'] !== 'string' || !KINDS.has(raw['kind'])) return 'kind: unknown value';
  if (typeof raw['status'] !== 'string' || !STATUSES.has(raw['status'])) return 'status: unknown value';
  for (const field of ['size', 'listSize', 'attempts'] as const) {
    if (raw[field] !== undefined && !isCount(raw[field])) return `${field}: not a non-negative integer`;
  }
  if (raw['sha256'] !== undefined && !(typeof raw['sha256'] === 'string' && SHA256.test(raw['sha256']))) return 'sha256: not a SHA-256';
  if (raw['headerHash'] !== undefined && !(typeof raw['headerHash'] === 'string' && HEADER_HASH.test(raw['headerHash']))) return 'headerHash: malformed';
  if (raw['generation'] !== undefined && !(Number.isSafeInteger(raw['generation']) && (raw['generation'] as number) >= 2)) return 'generation: not an integer >= 2';
  if (raw['headersWhy'] !== undefined && !(typeof raw['headersWhy'] === 'string' && HEADERS_WHY.has(raw['headersWhy']))) return 'headersWhy: unknown value';
  if (raw['lastError'] !== undefined && !(typeof raw['lastError'] === 'string' && raw['lastError'].length <= 500)) return 'lastError: not a string of at most 500 characters';
  if (raw['deleteSent'] !== undefined && typeof raw['deleteSent'] !== 'boolean') return 'deleteSent: not a boolean';
  const event = raw['event'];
  if (event !== undefined) {
    if (!isObject(event)) return 'event: not an object';
    if (typeof event['id'] !== 'string' || event['id'] === '') return 'event.id: not a string';
    if (typeof event['detailType'] !== 'string' || event['detailType'] === '') return 'event.detailType: not a string';
    if (!isObject(event['detail'])) return 'event.detail: not an object';
  }
  return undefined;
}

/** The first problem of the header fields both schemas share, or undefined. */
function documentProblem(doc: Record<string, unknown>): string | undefined {
  if (doc['format'] !== STATE_FORMAT) return `format: expected ${STATE_FORMAT}`;
  if (!(Number.isSafeInteger(doc['schemaVersion']) && (doc['schemaVersion'] as number) > 0)) return 'schemaVersion: not a positive integer';
  if (typeof doc['mailboxId'] !== 'string' || doc['mailboxId'] === '') return 'mailboxId: not a string';
  if (!(Number.isSafeInteger(doc['epoch']) && (doc['epoch'] as number) > 0)) return 'epoch: not a positive integer';
  if (!isDate(doc['epochSince'])) return 'epochSince: not a date';
  if (!isDate(doc['updatedAt'])) return 'updatedAt: not a date';
  const identity = doc['identity'];
  if (identity !== undefined && !(typeof identity === 'string' && identity.length >= 1 && identity.length <= 128)) return 'identity: malformed';
  return undefined;
}

const META_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The first problem of a `meta` object, or undefined. */
export function metaProblem(meta: unknown): string | undefined {
  if (meta === undefined) return undefined;
  if (!isObject(meta)) return 'meta: not an object';
  for (const [name, value] of Object.entries(meta)) {
    if (!META_NAME.test(name)) return 'meta: a name is not [A-Za-z0-9_.-]{1,64}';
    const ok = (typeof value === 'string' && value.length <= 1024) || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) return `meta.${name}: not a string of at most 1024 characters or a finite number`;
  }
  return undefined;
}

/** An empty state for a mailbox seen for the first time. */
export function emptyState(mailboxId: string, now: Date): SeenState {
  return { mailboxId, epoch: 1, epochSince: now.toISOString(), meta: {}, entries: new SeenEntries(mailboxId) };
}

/**
 * Parses the JSON of a stored document (either schema) and checks the shared header fields.
 * Throws SyncError SYNC_STATE_CORRUPT / SYNC_STATE_INCOMPATIBLE.
 */
export function parseDocumentJson(body: Uint8Array, mailboxId: string): Record<string, unknown> {
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
  const problem = isObject(json) ? documentProblem(json) ?? metaProblem(json['meta']) : 'not an object';
  if (problem !== undefined) {
    throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} is malformed: ${problem}`);
  }
  const doc = json as Record<string, unknown>;
  if (doc['mailboxId'] !== mailboxId) {
    throw new SyncError('SYNC_STATE_INCOMPATIBLE', `Seen-state belongs to mailbox ${JSON.stringify(doc['mailboxId']).slice(0, 140)}, not ${mailboxId}`);
  }
  return doc;
}

/** The state with the header fields of a checked document and no entries yet. */
export function stateFromDocument(doc: Record<string, unknown>, mailboxId: string): SeenState {
  const state: SeenState = {
    mailboxId,
    epoch: doc['epoch'] as number,
    epochSince: doc['epochSince'] as string,
    meta: { ...((doc['meta'] as Record<string, string | number> | undefined) ?? {}) },
    entries: new SeenEntries(mailboxId),
  };
  if (typeof doc['identity'] === 'string') state.identity = doc['identity'];
  return state;
}

/** Checks one record read from a document (UID and fields); returns the clean copy. */
export function checkedEntry(uid: string, raw: unknown, mailboxId: string): SeenEntry {
  if (!UID.test(uid)) {
    throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} holds an invalid UID`);
  }
  const entryIssue = entryProblem(raw);
  if (entryIssue !== undefined) {
    throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} holds a malformed entry: ${entryIssue}`);
  }
  const entry = raw as unknown as SeenEntry;
  if (entry.status === 'unpublished' && entry.event === undefined) {
    throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} holds an unpublished entry without its event`);
  }
  return stripUndefined(entry);
}

/**
 * Reads a schema 2 document (one JSON object, UID -> record) into a state; the next save
 * writes it in schema 3 (needsRewrite). Throws SyncError SYNC_STATE_CORRUPT.
 */
export function parseLegacyDocument(doc: Record<string, unknown>, mailboxId: string, state: SeenState): SeenState {
  if (!isObject(doc['uids'])) throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} is malformed: uids must be an object`);
  // Object.entries on JSON.parse output: "__proto__" is an own data property there, so it is kept.
  for (const [uid, raw] of Object.entries(doc['uids'])) state.entries.set(uid, checkedEntry(uid, raw, mailboxId));
  state.entries.forgetChanges();
  state.needsRewrite = true;
  return state;
}

/** True for a document of schema 1 or 2 (one JSON document), read for migration. */
export function isLegacyDocument(doc: Record<string, unknown>): boolean {
  return (doc['schemaVersion'] as number) <= LEGACY_SCHEMA_VERSION;
}

/** Serializes a state as a schema 2 document (fixtures and tests of the migration only). */
export function serializeLegacyState(uids: Record<string, SeenEntry>, state: Pick<SeenState, 'mailboxId' | 'epoch' | 'epochSince' | 'identity'>, now: Date): Uint8Array {
  const doc = {
    format: STATE_FORMAT,
    schemaVersion: LEGACY_SCHEMA_VERSION,
    mailboxId: state.mailboxId,
    epoch: state.epoch,
    epochSince: state.epochSince,
    updatedAt: now.toISOString(),
    ...(state.identity === undefined ? {} : { identity: state.identity }),
    uids,
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** A clean copy with only the known fields (unknown ones from a newer minor writer are dropped). */
export function stripUndefined(entry: SeenEntry): SeenEntry {
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
