/**
 * The events pop3-ingest publishes: detail-type names, the versioned detail shapes, and
 * builders that turn one message's outcome into an OutgoingEvent with a stable id.
 * JSON Schema: docs/event-schema.json; prose: docs/events.md.
 */
// The light modules of lambda/parse only: its extractor (and the charset tables) loads on demand.
import { DETAIL_TYPE_MESSAGE_PARSE_FAILED, type ParsedSummary } from '../parse/event.js';
import { eventId, type MessageKind } from './keys.js';
import type { OutgoingEvent } from './ports.js';
import type { EventHeaders } from './headers.js';
import type { PollSummary } from './types.js';

/** Bumped on any breaking change of a detail shape; additive fields keep the version. */
export const EVENT_SCHEMA_VERSION = 1;

/** EventBridge `source` the adapters should use for these events. */
export const EVENT_SOURCE = 'pop3-ingest';

/** A full message (RETR) is stored. */
export const DETAIL_TYPE_MESSAGE_STORED = 'Message Stored';
/** A header block (TOP n 0) is stored and its headers parsed (mode 'headers' or filter). */
export const DETAIL_TYPE_HEADERS_FETCHED = 'Headers Fetched';
/** A message was deliberately not fetched in full: filter, or larger than maxMessageSize. */
export const DETAIL_TYPE_MESSAGE_SKIPPED = 'Message Skipped';
/** A message was set aside after maxAttempts failed fetches: never deleted, never fetched again until retried. */
export const DETAIL_TYPE_MESSAGE_FAILED = 'Message Failed';
/** One per poll: the PollSummary. */
export const DETAIL_TYPE_MAILBOX_POLLED = 'Mailbox Polled';
/** The UID circuit breaker tripped: nothing was ingested, a human must accept the new epoch. */
export const DETAIL_TYPE_CIRCUIT_OPENED = 'Mailbox Circuit Opened';
/** A stored full message was not parsed (parse enabled): the raw object and Message Stored stand. */
export { DETAIL_TYPE_MESSAGE_PARSE_FAILED };

/** Every detail-type this package publishes. */
export type DetailType =
  | typeof DETAIL_TYPE_MESSAGE_STORED
  | typeof DETAIL_TYPE_HEADERS_FETCHED
  | typeof DETAIL_TYPE_MESSAGE_SKIPPED
  | typeof DETAIL_TYPE_MESSAGE_FAILED
  | typeof DETAIL_TYPE_MAILBOX_POLLED
  | typeof DETAIL_TYPE_CIRCUIT_OPENED
  | typeof DETAIL_TYPE_MESSAGE_PARSE_FAILED;

/** Fields every per-message event carries. */
export interface MessageEventBase {
  schemaVersion: typeof EVENT_SCHEMA_VERSION;
  mailboxId: string;
  /** Stable: derived from mailbox id, uid hash and outcome. A consumer's dedupe key. */
  eventId: string;
  /** SHA-256 of mailbox id and UID (keys.ts); the UID itself is never published. */
  uidHash: string;
  /** ISO-8601: when this poller first saw the UID. */
  firstSeen: string;
  /** RFC 2047-decoded, bounded header values. */
  headers: EventHeaders;
  /** True when a header value (or the header block) was cut to fit. */
  truncated: boolean;
}

/** Where an object lives and what it holds. */
export interface StoredObject {
  bucket: string;
  key: string;
  /** Octets stored. */
  size: number;
  /** SHA-256 (hex) of the stored octets. */
  sha256: string;
  /** 2 and up when the UID was re-used by the server and this is a later message under it. */
  generation?: number;
}

/** Detail of "Message Stored": the raw RFC 5322 message is at bucket/key. */
export interface MessageStoredDetail extends MessageEventBase, StoredObject {
  kind: 'full';
  /** The parsed message in brief, when parse is enabled and it parsed (lambda/parse parsedSummary). */
  parsed?: ParsedSummary;
}

/**
 * Detail of "Message Parse Failed": the raw message at bucket/key stands (and its Message Stored
 * event); `reason` is a PARSE_* code. `retryable` is true when the parsed objects could not be
 * stored (the store failed, or the spool's disk): the same bytes may parse on another try.
 */
export interface MessageParseFailedDetail extends MessageEventBase, StoredObject {
  kind: 'parse-failed';
  reason: string;
  explanation: string;
  retryable: boolean;
}

/** Detail of "Headers Fetched": the header block is at bucket/key. */
export interface HeadersFetchedDetail extends MessageEventBase, StoredObject {
  kind: 'headers';
}

/** Why a message was not fetched in full. */
export type SkipReason = 'filter' | 'too-large';

/** Detail of "Message Skipped". For 'too-large' the header block is stored and `stored` says where. */
export interface MessageSkippedDetail extends MessageEventBase {
  kind: 'skipped';
  reason: SkipReason;
  /** Human-readable explanation (e.g. "LIST size 31457280 > maxMessageSize 26214400"). */
  explanation: string;
  /** LIST's size hint, in octets. */
  listSize: number;
  stored?: StoredObject;
}

/** Detail of "Message Failed": the message stays on the server, untouched, until retried. */
export interface MessageFailedDetail extends MessageEventBase {
  kind: 'failed';
  /** Our explanation of the last failure (e.g. "server refused RETR"). */
  reason: string;
  /** Failed attempts so far (>= maxAttempts). */
  attempts: number;
  /** LIST's size hint, in octets. */
  listSize: number;
  /** The server's own text for the last refusal, escaped and bounded, when it gave one. */
  serverText?: string;
  /** What to do: fix the server side, then poll with retryFailed (CLI: --retry-failed). */
  action: string;
}

/** What the event of one stored object is made of (a poll's outcome, or a replay of it). */
export interface StoredObjectOutcome {
  mailboxId: string;
  /** keys.ts uidHash of the UID. */
  uidHash: string;
  kind: MessageKind;
  /** Headers-only because the message was over maxMessageSize: announced as Message Skipped. */
  tooLarge: boolean;
  epoch: number;
  generation: number;
  stored: StoredObject;
  listSize: number;
  maxMessageSize: number;
}

/**
 * The detail of a stored object: Message Stored (full), Headers Fetched (header block), or
 * Message Skipped too-large (header block kept, body left on the server). One builder for the
 * poll and the replay, so a replayed event is the original, id and wording alike.
 */
export function storedObjectDetail(
  base: Omit<MessageEventBase, 'eventId'>,
  o: StoredObjectOutcome,
): MessageStoredDetail | HeadersFetchedDetail | MessageSkippedDetail {
  if (o.kind === 'full') return { ...base, kind: 'full', eventId: eventId(o.mailboxId, o.uidHash, 'stored', o.epoch, o.generation), ...o.stored };
  if (!o.tooLarge) return { ...base, kind: 'headers', eventId: eventId(o.mailboxId, o.uidHash, 'headers', o.epoch, o.generation), ...o.stored };
  return {
    ...base,
    kind: 'skipped',
    eventId: eventId(o.mailboxId, o.uidHash, 'skipped', o.epoch, o.generation),
    reason: 'too-large',
    explanation: `LIST size ${o.listSize} > maxMessageSize ${o.maxMessageSize}: header block stored, body left on the server`,
    listSize: o.listSize,
    stored: o.stored,
  };
}

/** Detail of "Mailbox Polled": the PollSummary plus the schema version. */
export interface MailboxPolledDetail extends PollSummary {
  schemaVersion: typeof EVENT_SCHEMA_VERSION;
}

/** What the circuit breaker saw. */
export interface CircuitStats {
  known: number;
  listed: number;
  unknownListed: number;
  knownGone: number;
  /** Gone known UIDs matched by a new UID of the same LIST size (the renumbering signal). */
  reappeared: number;
}

/** Detail of "Mailbox Circuit Opened". */
export interface CircuitOpenedDetail extends CircuitStats {
  schemaVersion: typeof EVENT_SCHEMA_VERSION;
  mailboxId: string;
  epoch: number;
  /** What to do: set acceptNewEpoch on the mailbox for one poll (docs/delivery-guarantees.md). */
  action: string;
}

/** Any per-message detail. */
export type MessageEventDetail = MessageStoredDetail | HeadersFetchedDetail | MessageSkippedDetail | MessageFailedDetail | MessageParseFailedDetail;

/** Detail type of a per-message detail. */
export function detailTypeOf(detail: MessageEventDetail): DetailType {
  switch (detail.kind) {
    case 'full':
      return DETAIL_TYPE_MESSAGE_STORED;
    case 'headers':
      return DETAIL_TYPE_HEADERS_FETCHED;
    case 'skipped':
      return DETAIL_TYPE_MESSAGE_SKIPPED;
    case 'failed':
      return DETAIL_TYPE_MESSAGE_FAILED;
    case 'parse-failed':
      return DETAIL_TYPE_MESSAGE_PARSE_FAILED;
  }
}

/** The OutgoingEvent of a per-message detail; the id is the detail's stable eventId. */
export function messageEvent(detail: MessageEventDetail, time?: Date): OutgoingEvent {
  return {
    id: detail.eventId,
    detailType: detailTypeOf(detail),
    detail: detail as unknown as Record<string, unknown>,
    ...(time ? { time } : {}),
  };
}
