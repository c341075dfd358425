/**
 * Seen-state: one small versioned JSON document per mailbox (UID -> what happened to it),
 * parsed defensively and written with compare-and-swap. A corrupt document is an error,
 * never "everything is new" (that would re-ingest and, with a delete policy, be unsafe).
 */
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
 * nothing because fetching failed too often (set aside, "Message Failed"), or nothing because
 * `seed` recorded the message as already there (never stored by us, so never deleted: seed.ts).
 */
export type SeenKind = 'full' | 'headers' | 'skipped' | 'failed' | 'seeded';

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
  /** RFC 2449 LOGIN-DELAY the server last advertised (post-login CAPA), seconds: login-delay.ts. */
  loginDelaySeconds?: number;
  /** ISO-8601: when this poller last logged in, to honour loginDelaySeconds. */
  lastLoginAt?: string;
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
function entryProblem(raw: unknown): string | undefined {
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

/** The first problem of the document's header fields, or undefined. */
function documentProblem(doc: Record<string, unknown>): string | undefined {
  if (doc['format'] !== STATE_FORMAT) return `format: expected ${STATE_FORMAT}`;
  if (!(Number.isSafeInteger(doc['schemaVersion']) && (doc['schemaVersion'] as number) > 0)) return 'schemaVersion: not a positive integer';
  if (typeof doc['mailboxId'] !== 'string' || doc['mailboxId'] === '') return 'mailboxId: not a string';
  if (!(Number.isSafeInteger(doc['epoch']) && (doc['epoch'] as number) > 0)) return 'epoch: not a positive integer';
  if (!isDate(doc['epochSince'])) return 'epochSince: not a date';
  if (!isDate(doc['updatedAt'])) return 'updatedAt: not a date';
  const identity = doc['identity'];
  if (identity !== undefined && !(typeof identity === 'string' && identity.length >= 1 && identity.length <= 128)) return 'identity: malformed';
  if (doc['loginDelaySeconds'] !== undefined && !isCount(doc['loginDelaySeconds'])) return 'loginDelaySeconds: not a non-negative integer';
  if (doc['lastLoginAt'] !== undefined && !isDate(doc['lastLoginAt'])) return 'lastLoginAt: not a date';
  if (!isObject(doc['uids'])) return 'uids must be an object';
  return undefined;
}

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
  const problem = isObject(json) ? documentProblem(json) : 'not an object';
  if (problem !== undefined) {
    throw new SyncError('SYNC_STATE_CORRUPT', `Seen-state of mailbox ${mailboxId} is malformed: ${problem}`);
  }
  const doc = json as Record<string, unknown> & { uids: Record<string, unknown> };
  if (doc['mailboxId'] !== mailboxId) {
    throw new SyncError('SYNC_STATE_INCOMPATIBLE', `Seen-state belongs to mailbox ${JSON.stringify(doc['mailboxId']).slice(0, 140)}, not ${mailboxId}`);
  }
  const entries = new Map<string, SeenEntry>();
  // Object.entries on JSON.parse output: "__proto__" is an own data property there, so it is kept.
  for (const [uid, raw] of Object.entries(doc.uids)) {
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
    entries.set(uid, stripUndefined(entry));
  }
  const state: SeenState = { mailboxId, epoch: doc['epoch'] as number, epochSince: doc['epochSince'] as string, entries };
  if (typeof doc['identity'] === 'string') state.identity = doc['identity'];
  if (typeof doc['loginDelaySeconds'] === 'number') state.loginDelaySeconds = doc['loginDelaySeconds'];
  if (typeof doc['lastLoginAt'] === 'string') state.lastLoginAt = doc['lastLoginAt'];
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
    ...(state.loginDelaySeconds === undefined ? {} : { loginDelaySeconds: state.loginDelaySeconds }),
    ...(state.lastLoginAt === undefined ? {} : { lastLoginAt: state.lastLoginAt }),
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

/** A clean copy with only the known fields (unknown ones from a newer minor writer are dropped). */
function stripUndefined(entry: SeenEntry): SeenEntry {
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
