/**
 * The sync core's ports: the only things it knows about the outside world.
 *
 * The POP3 engine, S3, EventBridge, the local folder and the clock all sit behind these
 * interfaces (adapters live in `lambda/adapters/`). Nothing here imports a socket or an SDK.
 */
import type { AttachmentSink } from '../parse/types.js';
import type { MessageKind } from './keys.js';

// ---------------------------------------------------------------------------------------------
// Mail source (implemented over the POP3 engine by lambda/adapters/pop3/mail-source.ts)

/** One message as the server lists it. `size` is LIST's hint: never a content length. */
export interface ListedMessage {
  /** Message number in this session (RFC 1939), 1-based. */
  msg: number;
  /** Unique-id from UIDL, already validated (RFC 1939: 1-70 chars in 0x21-0x7E). */
  uid: string;
  /** Octet count from LIST (a hint). */
  size: number;
}

/**
 * A mailbox's listing: UIDL and LIST joined by message number, valid entries only, as
 * columns. Reading `length`, `msg`, `size` and `writeUid` builds no object or string, so an
 * idle poll of a kept mailbox of a million messages costs the UID octets and a few typed
 * arrays (issue 15); `uid(i)` and `at(i)` build one, for the messages a poll acts on.
 * Entries are in message-number order when the source can say so (the POP3 source sorts);
 * the sync core does not rely on it.
 */
export interface Listing {
  readonly length: number;
  /** Message number of entry `i` (0-based). */
  msg(i: number): number;
  /** LIST's octet count of entry `i` (a hint). */
  size(i: number): number;
  /** UID of entry `i`. */
  uid(i: number): string;
  /** Copies the UID of entry `i` (0x21-0x7E, one octet a character) into `target` at `offset`; returns its length. */
  writeUid(i: number, target: Uint8Array, offset: number): number;
  /** Entry `i` as an object. */
  at(i: number): ListedMessage;
}

/**
 * UIDs the sync core knows well enough that a poll needs nothing of them but the fact that
 * they are listed (issue 15: an idle poll of a kept mailbox of a million lists a million of
 * them, each ~40 octets held in a listing otherwise). A source offers each valid UIDL entry to
 * `take` while the listing streams; an entry taken is left out of the Listing. Whether an entry
 * is taken depends on its UID only, so every holder of a UID is taken or none: the taker finds
 * the duplicates among what it took, and a taken UID LIST did not size, and the source reports
 * them with its own rejected entries.
 */
export interface KnownUids {
  /** Entry `msg` with UID octets `uid[0..length)` (valid only during the call) and LIST size; true: taken. */
  take(uid: Uint8Array, length: number, msg: number, size: number | undefined): boolean;
  /** Once the listing is complete: the taken entries the listing must report as rejected. */
  rejected(): Array<{ msg: number; uid: string; reason: RejectedListing['reason'] }>;
}

/** Entries UIDL returned that could not be used, with the reason (reported, never silent). */
export interface RejectedListing {
  msg: number;
  /** The offending UID, escaped for logging. */
  uidEscaped: string;
  reason: 'invalid-uid' | 'duplicate-uid';
}

/** What the server advertised (CAPA) that the sync core cares about. */
export interface MailboxCapabilities {
  pipelining: boolean;
  uidl: boolean;
  top: boolean;
  /** RFC 2449 EXPIRE: days the server keeps retrieved mail, 'never', or undefined if not advertised. */
  expire?: number | 'never';
  /** RFC 2449 LOGIN-DELAY in seconds, if advertised. */
  loginDelaySeconds?: number;
}

/** One message to fetch: the whole message (RETR) or its header block (TOP msg 0). */
export interface FetchRequest {
  msg: number;
  kind: MessageKind;
}

/** A fetched message. The body must be fully consumed (or destroyed) before the next is pulled. */
export interface FetchedMessage {
  msg: number;
  kind: MessageKind;
  /** Exactly the message octets: dot-unstuffed, CRLF kept, 8-bit clean. Empty when `refused`. */
  body: AsyncIterable<Uint8Array>;
  /**
   * Set when the server answered -ERR to this one RETR/TOP (a message it cannot serve). The
   * session is still usable: the iterator goes on with the next request.
   */
  refused?: MessageRefusal;
}

/** Why the server would not serve one message. */
export interface MessageRefusal {
  /** Our explanation, safe to log. */
  reason: string;
  /** The server's own text, escaped and bounded (RFC 2449 response code included). */
  serverText?: string;
}

/**
 * Code of the error a message body throws when that one message breaks a limit of the mail
 * source (a real size past its hard cap). The source has discarded the rest of that message,
 * so the session stays usable; the sync core counts it as a failed attempt of that UID.
 */
export const MESSAGE_FAULT = 'MESSAGE_FAULT';

/** Code a StateStore throws when compare-and-swap loses: another writer saved first. */
export const STATE_CONFLICT = 'STATE_CONFLICT';

/** Code the mail source throws when the server lacks a required command (UIDL, RFC 1939 section 7). */
export const POP3_UNSUPPORTED = 'POP3_UNSUPPORTED';

/** An open, authenticated POP3 session in TRANSACTION state. */
export interface MailboxSession {
  readonly capabilities: MailboxCapabilities;
  /**
   * UIDL + LIST joined by message number; invalid or duplicate UIDs are left out and reported.
   * With `known`, the entries it takes are left out too (a source may also ignore it).
   */
  listMessages(known?: KnownUids): Promise<{ listing: Listing; rejected: RejectedListing[] }>;
  /**
   * Pipelined fetch, yielding in request order. `requests` is pulled lazily, as the pipeline
   * has room; a pull that reports done may be "not now" (the caller's bound on what is in
   * flight): a session may ask again before it finishes, or finish (the caller calls again).
   */
  fetch(requests: Iterable<FetchRequest>): AsyncIterable<FetchedMessage>;
  /** DELE each message; RFC 1939 section 6: nothing is removed before quit() succeeds. */
  markDeleted(msgs: readonly number[]): Promise<void>;
  /** QUIT: enters UPDATE state and commits deletions. */
  quit(): Promise<void>;
  /** Drop the connection without QUIT: no deletion is committed. Idempotent. */
  abort(reason?: unknown): void;
}

/** Opens sessions to one mailbox. Throws an IngestError (category 'throttled' for [IN-USE]/[LOGIN-DELAY]). */
export interface MailSource {
  open(signal?: AbortSignal): Promise<MailboxSession>;
}

// ---------------------------------------------------------------------------------------------
// Message store (S3 or a local folder)

/** What is known about a message before it is stored; becomes object metadata. */
export interface StoreRequest {
  /** Deterministic key (see keys.ts): the same message always maps to the same key. */
  key: string;
  body: AsyncIterable<Uint8Array>;
  /**
   * The whole body, when the core already holds it in memory (the octets `body` yields): a store
   * may write it at once and leave `body` unread. Absent for a body that streams.
   */
  bytes?: Uint8Array;
  uidHash: string;
  fetchedAt: Date;
  kind: MessageKind;
}

/** Outcome of a conditional create. */
export interface StoreResult {
  /**
   * - stored: a new object was created under the key.
   * - already-stored: an object already existed under the key AND its SHA-256 (object metadata)
   *   equals the SHA-256 of this body; nothing was written.
   * - conflict: an object already existed under the key with other content (a re-used UID);
   *   nothing was written. The body was still read to its end, so size/sha256 are this body's.
   * A store never answers already-stored without comparing: that would report success for
   * bytes that are not in storage.
   */
  status: 'stored' | 'already-stored' | 'conflict';
  /** Where it lives, for the event: bucket (or folder) and key. */
  location: { bucket: string; key: string };
  /** Octets actually stored and their SHA-256 (hex), computed while streaming. */
  size: number;
  sha256: string;
}

/** Durable, conditional-create storage of raw messages. Several put() calls may run at once. */
export interface MessageStore {
  /**
   * Writes the object unless one exists under the key. Never overwrites. The object may not be
   * durable yet when this resolves (a local folder defers its fsyncs to commit()).
   */
  put(request: StoreRequest): Promise<StoreResult>;
  /**
   * Durability barrier (group commit): resolves once every object that an earlier put()
   * reported 'stored' is durable. The sync core calls it before it announces, records or
   * deletes anything it stored. A store whose put() is durable on return (S3) resolves at once.
   */
  commit(): Promise<void>;
}

/** A stored message read back (replay): its metadata and its first octets. */
export interface StoredMessageInfo {
  location: { bucket: string; key: string };
  /** Octets stored and their SHA-256 (hex), from the object's metadata. */
  size: number;
  sha256: string;
  /** When the message was fetched (metadata `fetched-at`), when recorded. */
  fetchedAt?: Date;
  /** The object's first octets: at most the count asked for, fewer when the object is shorter. */
  head: Uint8Array;
}

/** Reads what a MessageStore stored, without the whole body: the replay's only view of the store. */
export interface StoredMessageReader {
  /** null when no object is under the key (deleted by a lifecycle rule, by hand). */
  read(key: string, headBytes: number): Promise<StoredMessageInfo | null>;
  /**
   * The message keys stored under `prefix` (ending in '/'), any order. A replay of entries kept
   * in the compact state (which holds half of each UID hash, not the UID) finds their keys here.
   */
  keysUnder(prefix: string): AsyncIterable<string>;
}

// ---------------------------------------------------------------------------------------------
// Parsed objects (message.json and attachments beside the raw message; mailboxes with parse on)

/**
 * Where parsing writes, and how it reads a stored raw message back. put() is the parser's
 * AttachmentSink: create-once by key (keys hold hex digests and fixed names only), the body read
 * to its end; 'already-stored' for the same SHA-256, 'conflict' for other bytes (nothing written).
 * A put() is durable when it resolves (a folder fsyncs it): an event may name it at once.
 */
export interface ParsedObjectStore extends AttachmentSink {
  /** The raw message stored under `key` by the MessageStore, streamed (large ones are parsed from here). */
  readMessage(key: string): AsyncIterable<Uint8Array>;
}

// ---------------------------------------------------------------------------------------------
// Event publisher (EventBridge or a JSON-lines file / stdout)

/** One event to publish. `id` is stable across retries: a consumer's dedupe key. */
export interface OutgoingEvent {
  id: string;
  detailType: string;
  detail: Record<string, unknown>;
  /** Event time (defaults to now in the adapter). */
  time?: Date;
}

/** Per-entry outcome; the adapter has already retried what it could. */
export interface PublishResult {
  id: string;
  ok: boolean;
  error?: string;
}

/** Publishes events in batches; returns one result per input event, in order. */
export interface EventPublisher {
  publish(events: readonly OutgoingEvent[]): Promise<PublishResult[]>;
}

// ---------------------------------------------------------------------------------------------
// Seen-state (a small manifest per mailbox naming immutable segments) and lease

/** An opaque version token for compare-and-swap (S3 ETag, or a local file's revision). */
export type StateVersion = string;

/** Raw bytes of the state document (the manifest) and its version; the core owns the format (state-codec.ts). */
export interface LoadedState {
  body: Uint8Array;
  version: StateVersion;
}

/**
 * Compare-and-swap storage of one document per mailbox (the manifest), plus the immutable
 * segments it names. A save writes its new segment first, then swaps the manifest: a reader
 * sees the old manifest and its segments or the new ones, never a mix.
 */
export interface StateStore {
  /** null when the mailbox has no state yet. */
  load(mailboxId: string): Promise<LoadedState | null>;
  /**
   * Writes only if the stored version still equals `expected` (null: only if none exists).
   * Throws an IngestError with code 'STATE_CONFLICT' when another writer got there first.
   */
  save(mailboxId: string, body: Uint8Array, expected: StateVersion | null): Promise<StateVersion>;
  /**
   * Creates segment `name` (unique per write: [a-z0-9-]{1,80}), durable when this resolves.
   * Never overwrites: an existing segment of that name is an error.
   */
  putSegment(mailboxId: string, name: string, body: Uint8Array): Promise<void>;
  /** The segment's bytes; null when it does not exist (removed after a newer manifest dropped it). */
  getSegment(mailboxId: string, name: string): Promise<Uint8Array | null>;
  /** Removes segments no manifest names any more; best effort, absent ones are not an error. */
  deleteSegments(mailboxId: string, names: readonly string[]): Promise<void>;
}

/** A held lease; release is best-effort (the lease also expires by itself). */
export interface Lease {
  readonly owner: string;
  /** When the lease lapses unless renewed (updated by renew()). */
  readonly expiresAt: Date;
  /**
   * Extends the lease to now + ttlMs, only if this owner still holds it (compare-and-swap).
   * Resolves false when the lease was lost (expired and taken by another poller): the poll
   * must stop writing.
   */
  renew(ttlMs: number): Promise<boolean>;
  /** Removes the lease, and never a successor's (an owner/version check, not a blind delete). */
  release(): Promise<void>;
}

/** Mutual exclusion per mailbox, so two overlapping polls never both fetch. */
export interface LeaseStore {
  /** Returns null when another live lease holds the mailbox. */
  acquire(mailboxId: string, owner: string, ttlMs: number): Promise<Lease | null>;
}

// ---------------------------------------------------------------------------------------------
// Ambient services

/** Structured logger; Powertools Logger and the CLI's logger both fit. Never pass secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Time, injectable so tests control "first seen N days ago" and deadlines. */
export interface Clock {
  now(): Date;
}
