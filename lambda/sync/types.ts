/**
 * The sync core's public vocabulary: a mailbox's policy, one poll's options and its summary.
 * Config (lambda/config), the Lambda handler and the CLI build these; pollMailbox consumes them.
 */
import type { MessageKind } from './keys.js';
import type { Clock, EventPublisher, LeaseStore, Logger, MailSource, MessageStore, ParsedObjectStore, StateStore } from './ports.js';

/**
 * full: RETR, the raw message is stored. headers: TOP n 0, the header block is stored. The mode
 * names the kind of object a poll stores (keys.ts MessageKind), so it is that type.
 */
export type FetchMode = MessageKind;

/** When a message may be deleted from the server (always only after stored AND published). */
export type DeletePolicy =
  | { kind: 'never' }
  | { kind: 'after-store' }
  | { kind: 'after-days'; days: number };

/** What the header filter decides for one message: the kind of object to store, or none. */
export type FilterAction = MessageKind | 'skip';

/** One filter rule; all given conditions must hold. Patterns are case-insensitive substrings or /regex/. */
export interface FilterRule {
  from?: string;
  to?: string;
  subject?: string;
  /** Size bounds on LIST's size, in octets. */
  minSize?: number;
  maxSize?: number;
  action: FilterAction;
}

/** First matching rule wins; `otherwise` when none matches. Applied to TOP output before any RETR. */
export interface HeaderFilter {
  rules: FilterRule[];
  otherwise: FilterAction;
}

/** Per-poll limits; undefined means "no limit" except maxMessageSize which has a default. */
export interface PollLimits {
  maxMessages?: number;
  maxBytes?: number;
  /** A larger message is not fetched in full: its headers are stored and a "skipped" event says why. */
  maxMessageSize?: number;
}

/** Everything the core needs to know about one mailbox. */
export interface MailboxPolicy {
  /** Stable id, [a-z0-9-_.]; used in keys, state and events. */
  id: string;
  mode: FetchMode;
  filter?: HeaderFilter;
  delete: DeletePolicy;
  limits: PollLimits;
  /** Key prefix in the store, e.g. "mail/". */
  keyPrefix?: string;
  /** When true, a UID epoch change (circuit breaker) is accepted once: see docs/delivery-guarantees.md. */
  acceptNewEpoch?: boolean;
  /**
   * Who the mailbox is: a fingerprint of host, port and user (the entry points compute it). Kept
   * with the seen-state; a poll whose identity differs from the stored one is refused unless
   * `acceptNewIdentity` is set (pointing an id at another server must not look like new mail).
   */
  identity?: string;
  /** Accept a changed `identity` once and record the new one. */
  acceptNewIdentity?: boolean;
  /** Failed fetch attempts of one UID before it is set aside ("Message Failed"); default 3. */
  maxAttempts?: number;
  /** Bring messages that were set aside back into this poll (their attempt counts restart). */
  retryFailed?: boolean;
  /** Parse each stored full message (message.json, attachments); needs PollDependencies.parsed. */
  parse?: ParsePolicy;
}

/** Parsing of stored full messages (opt-in per mailbox). */
export interface ParsePolicy {
  /** Store each attachment as its own object; false lists them (size, SHA-256) only. */
  attachments: boolean;
  /** Characters of text and of HTML body kept in message.json (default: lambda/parse limits). */
  maxBodyChars?: number;
}

/** The adapters one poll runs against. */
export interface PollDependencies {
  source: MailSource;
  store: MessageStore;
  publisher: EventPublisher;
  state: StateStore;
  lease: LeaseStore;
  /** Where parsed objects go; required when the policy has `parse`. */
  parsed?: ParsedObjectStore;
  clock?: Clock;
  logger?: Logger;
}

/** Progress reported while a poll runs (CLI progress bar, metrics). */
export interface PollProgress {
  messagesDone: number;
  messagesPlanned: number;
  bytesDone: number;
}

/** Caller's controls for one poll. */
export interface PollOptions {
  /** Start no new message after this instant; finish in-flight ones, record, QUIT. */
  deadline?: Date;
  /**
   * DELE and QUIT must be done by this instant (the caller aborts the session then: the Lambda
   * handler's hard stop). The poll stops ingesting early, and deletes fewer messages, when its
   * measured costs say the deletions would not fit; the rest waits for the next poll.
   */
  finishBy?: Date;
  signal?: AbortSignal;
  /** Identifies this poller in the lease (e.g. Lambda request id). */
  owner?: string;
  onProgress?: (progress: PollProgress) => void;
  /** Lease time-to-live; default: until the deadline plus a grace period, else 15 minutes. */
  leaseTtlMs?: number;
}

/** Outcome of one poll, returned to the entry point and published as "Mailbox Polled". */
export interface PollSummary {
  mailboxId: string;
  status: 'ok' | 'busy' | 'circuit-open' | 'failed';
  startedAt: string;
  durationMs: number;
  /** Messages on the server at the start of the poll. */
  serverMessages: number;
  newMessages: number;
  stored: number;
  alreadyStored: number;
  headersOnly: number;
  skipped: number;
  published: number;
  deleted: number;
  bytes: number;
  /** Fetch attempts that failed for one message (refused by the server, or past a limit). */
  fetchFailures: number;
  /** Messages set aside in this poll ("Message Failed"): maxAttempts reached. */
  setAside: number;
  /** Messages set aside in the seen-state after this poll (an alarm-able count). */
  setAsideTotal: number;
  /** New messages left on the server for the next poll (limits, deadline). */
  backlog: number;
  /**
   * Messages stored, announced and due for deletion whose removal this poll did not confirm,
   * for lack of time before options.finishBy: not sent (DELE and QUIT would not have fit), or
   * sent but QUIT's answer cut off by the hard stop. The next poll prunes those gone and
   * confirms and deletes those still listed.
   */
  deletionsDeferred: number;
  /** Invalid/duplicate UIDs and other reported anomalies. */
  warnings: string[];
  error?: { code: string; category: string; message: string; retryable: boolean };
}
