/**
 * The public shape of a POP3 session: what openPop3 and connectPop3 take and what they return.
 */
import type { Readable } from 'node:stream';
import type { Credentials } from './auth/types.js';
import type { Pop3Body } from './body.js';
import type { Pop3Capabilities } from './capabilities.js';
import type { Pop3Error } from './errors.js';
import type { Pop3Limits } from './limits.js';
import type { Pop3TlsMode, Pop3TlsOptions, TlsInfo } from './transport.js';
import type { ListEntry, ListSizes, UidlEntry, UidlListing } from './uid.js';

/** Debug logger; receives escaped server text and masked commands only. */
export interface Pop3Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** Everything needed to open a session up to login (no credentials yet). */
export interface Pop3OpenOptions extends Pop3TlsOptions {
  host: string;
  /** Default 995 for implicit TLS, 110 otherwise. */
  port?: number;
  /** Default 'implicit'. 'none' sends everything in plaintext: explicit opt-in only. */
  tls?: Pop3TlsMode;
  /** Allowed methods, e.g. ['SCRAM-SHA-256', 'PLAIN', 'APOP', 'USER']; default: all we support. */
  authMethods?: readonly string[];
  /** Permit sending credentials without TLS ('none' mode). Default false: refuse before sending. */
  allowInsecureAuth?: boolean;
  limits?: Partial<Pop3Limits>;
  /** Aborting closes the connection (no QUIT: nothing is deleted) and rejects pending calls. */
  signal?: AbortSignal;
  logger?: Pop3Logger;
}

/** Everything needed to open an authenticated session. */
export interface Pop3ConnectOptions extends Pop3OpenOptions {
  credentials: Credentials;
}

/**
 * A session in the AUTHORIZATION state after greeting, CAPA and (for starttls) STLS and CAPA
 * again: what the server shows before any credential is sent. The handshake deadline that
 * openPop3 started runs on until login, quit or abort.
 */
export interface Pop3PreAuthSession {
  /** The greeting text, escaped. */
  readonly greeting: string;
  /** RFC 1939 section 7: the greeting's APOP timestamp (the server offers APOP), raw. */
  readonly apopTimestamp: string | undefined;
  /** Milliseconds from openPop3 to the greeting (connect and, for implicit TLS, the handshake). */
  readonly greetingMs: number;
  /** Capabilities on the final connection (after STLS for starttls). */
  readonly capabilities: Pop3Capabilities;
  /** For starttls: the capabilities read before the upgrade (RFC 2595 section 4: not trusted). */
  readonly capabilitiesBeforeStls: Pop3Capabilities | undefined;
  /** TLS details, undefined for plaintext sessions. */
  readonly tlsInfo: TlsInfo | undefined;
  /** Authenticates and continues to the TRANSACTION state; a failure closes the session. */
  login(credentials: Credentials): Promise<Pop3Session>;
  /** QUIT without logging in (RFC 1939 section 4: nothing to commit); never rejects. */
  quit(): Promise<void>;
  /** Drops the connection without QUIT. Idempotent. */
  abort(reason?: unknown): void;
}

/** RFC 1939 session states (plus our terminal 'closed'). */
export type Pop3SessionState = 'authorization' | 'transaction' | 'update' | 'closed';

/** One message to fetch in a pipelined bulk fetch. */
export interface Pop3FetchRequest {
  msg: number;
  /** 'full': RETR msg; 'headers': TOP msg 0. */
  kind: 'full' | 'headers';
}

/** A fetched message; consume (or destroy) `body` before asking for the next one. */
export interface Pop3FetchedMessage {
  msg: number;
  kind: 'full' | 'headers';
  /**
   * Dot-unstuffed octets, CRLF kept, 8-bit clean; iterate it once (for await). Errors (never
   * ends) if the link dies mid-body; errors with POP3_MESSAGE_TOO_LARGE (or what
   * Pop3FetchOptions.messageFault made of it) once a body past maxMessageSize has been read off
   * the wire and dropped, the session still usable. Empty when `refused`.
   */
  body: Pop3Body;
  /** Set when the server answered -ERR to this one RETR/TOP; the fetch goes on with the next. */
  refused?: Pop3MessageRefusal;
}

/** Why the server would not serve one message. */
export interface Pop3MessageRefusal {
  /** Our explanation, safe to log. */
  reason: string;
  /** The server's own text with its response code, escaped and bounded. */
  serverText: string;
}

/** Options of a pipelined fetch. */
export interface Pop3FetchOptions {
  /** Makes the error a body fails with when that one message broke a limit (the session goes on). */
  messageFault?: (error: Pop3Error) => Error;
}

/** An authenticated POP3 session in the TRANSACTION state. */
export interface Pop3Session {
  /** Capabilities from the last CAPA (re-read after STLS and after login). */
  readonly capabilities: Pop3Capabilities;
  /** TLS details, undefined for plaintext sessions. */
  readonly tlsInfo: TlsInfo | undefined;
  /** The method that logged in, e.g. 'SCRAM-SHA-256', 'APOP', 'USER'. */
  readonly authMethod: string;
  /** The greeting text, escaped. */
  readonly greeting: string;
  readonly state: Pop3SessionState;
  /** CAPA again; updates `capabilities`. */
  capa(): Promise<Pop3Capabilities>;
  /** STAT: message count and total octets. */
  stat(): Promise<{ count: number; size: number }>;
  /** LIST: every message's size hint. */
  list(): Promise<ListEntry[]>;
  /** LIST as sizes keyed by message number (8 octets a message; what a large mailbox wants). */
  listSizes(): Promise<ListSizes>;
  /** LIST msg. */
  listOne(msg: number): Promise<ListEntry>;
  /** UIDL: valid entries plus rejected (invalid or duplicate) ones. */
  uidl(): Promise<UidlListing>;
  /**
   * LIST, then UIDL (pipelined when the server allows): each valid UIDL entry is offered to
   * `take` with its LIST size while UIDL streams; a taken entry is left out of the UIDL listing.
   * Both promises must be awaited.
   */
  listThenUidl(take: (uid: string, msg: number, size: number | undefined) => boolean): { sizes: Promise<ListSizes>; uidl: Promise<UidlListing> };
  /** UIDL msg; an invalid UID is POP3_INVALID_UID. */
  uidlOne(msg: number): Promise<UidlEntry>;
  /** RETR msg as a stream. */
  retr(msg: number): Promise<Readable>;
  /** TOP msg lines as a stream (header block plus `lines` body lines). */
  top(msg: number, lines: number): Promise<Readable>;
  /**
   * Pipelined RETR/TOP, yielding in request order, keeping the window full. A message the
   * server refuses (-ERR) or that breaks maxMessageSize fails alone; the rest still arrive.
   */
  fetch(requests: Iterable<Pop3FetchRequest>, options?: Pop3FetchOptions): AsyncIterable<Pop3FetchedMessage>;
  /** DELE msg (committed only by a successful QUIT, RFC 1939 section 6). */
  dele(msg: number): Promise<void>;
  /** Pipelined DELE of many messages; rejects with the first failure after all replies. */
  deleMany(msgs: Iterable<number>): Promise<void>;
  /** RSET: unmark deletions. */
  rset(): Promise<void>;
  noop(): Promise<void>;
  /** QUIT: enter UPDATE, commit deletions, close. -ERR means deletions may not be committed. */
  quit(): Promise<void>;
  /** Drops the connection without QUIT (nothing deleted). Idempotent. */
  abort(reason?: unknown): void;
}
