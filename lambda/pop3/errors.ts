/**
 * The protocol engine's one error class and its closed catalogue of codes, all prefixed POP3_.
 *
 * Our explanation (`message`) is kept apart from what the server said (`serverText`, escaped)
 * and from the RFC 2449 / RFC 3206 response code, as mpop keeps `errmsg` apart from `errstr`.
 * Each code's comment says why a retry can or cannot help; `errorCodeForReply` (response.ts)
 * maps the bracketed response codes onto them.
 */
import { keepClassName, catalogueError, type ErrorCategory } from '../shared/errors.js';

/** Every code a Pop3Error can carry, with its category. Pinned by test/unit/pop3/errors.test.ts. */
export const POP3_ERROR_CODES = Object.freeze({
  /**
   * Refused, reset, unresolvable or unreachable, or a greeting of -ERR where RFC 1939 section 4
   * expects +OK (a server turning sessions away for now): the link or the server may well be back
   * at the next attempt.
   */
  POP3_CONNECT_FAILED: 'transient',
  /**
   * The TLS handshake broke (reset, alert, no certificate sent). A certificate we refuse is
   * POP3_CERT_UNTRUSTED, so what is left here is most often the link: try again.
   */
  POP3_TLS_FAILED: 'transient',
  /**
   * The certificate does not verify (unknown CA, expired, wrong name): it stays the same on every
   * retry, and only a human (a CA file, a pin, the right host name) can make it trusted.
   */
  POP3_CERT_UNTRUSTED: 'permanent',
  /** The server's key matches no configured pin: the key changed or someone is in the middle; a human compares. */
  POP3_CERT_PIN_MISMATCH: 'permanent',
  /**
   * STLS (RFC 2595 section 4) is not offered or is refused, and we never fall back to plaintext:
   * the server's configuration, or ours, must change first.
   */
  POP3_STLS_UNAVAILABLE: 'permanent',
  /**
   * Bytes arrived after +OK to STLS and before the handshake (the STARTTLS command-injection
   * attack, RFC 3207 section 6 for SMTP): a hostile path a human must look at, never retried blindly.
   */
  POP3_STLS_INJECTION: 'permanent',
  /** No complete reply within the deadline: a slow or stalled link or server, which may answer at the next attempt. */
  POP3_TIMEOUT: 'transient',
  /**
   * The caller's signal ended the session (the invocation's deadline, Ctrl-C). Dropped without QUIT,
   * so RFC 1939 section 6 keeps every message (no UPDATE state): the next poll starts over safely.
   */
  POP3_ABORTED: 'transient',
  /**
   * The connection ended with a reply pending. As with POP3_ABORTED, no QUIT means no deletion
   * (RFC 1939 section 6), so a retry loses nothing and may find the link back.
   */
  POP3_CONNECTION_CLOSED: 'transient',
  /**
   * The server broke the grammar (RFC 1939 section 3: a status line starts +OK or -ERR; multi-line
   * replies end with "."; SASL challenges are base64, RFC 5034): the same server answers the same way next time.
   */
  POP3_PROTOCOL: 'permanent',
  /**
   * A reply arrived with no command pending: replies can no longer be paired with commands
   * (RFC 2449 section 6.6 PIPELINING keeps them in order), so nothing on this session is trusted; a
   * server that does it once does it again.
   */
  POP3_DESYNC: 'permanent',
  /** A reply (CAPA, UIDL, LIST, a line) passed our limits (limits.ts): it will be as large next time, until the limits change. */
  POP3_LIMIT_EXCEEDED: 'permanent',
  /** A message is larger than maxMessageSize: its size does not change between polls. */
  POP3_MESSAGE_TOO_LARGE: 'permanent',
  /**
   * A unique-id outside RFC 1939 section 7 (1 to 70 characters 0x21 to 0x7E): the server keeps
   * giving that message the same id.
   */
  POP3_INVALID_UID: 'permanent',
  /**
   * The server refused the credentials: -ERR [AUTH] (RFC 3206 section 5) or a plain -ERR after the
   * proof was sent. Retrying the same secret changes nothing and can lock the account.
   */
  POP3_AUTH_FAILED: 'auth',
  /**
   * No login method both the server offers and the policy allows (RFC 1939 USER/PASS and APOP,
   * RFC 5034 SASL): only a change of configuration on one side helps.
   */
  POP3_AUTH_UNAVAILABLE: 'permanent',
  /** Only cleartext methods remain on an unencrypted connection and our policy refuses them: a configuration choice, not a fault. */
  POP3_INSECURE_AUTH_REFUSED: 'permanent',
  /** The credentials are unusable before anything is sent (empty, or prohibited by SASLprep, RFC 4013): a human must fix the secret. */
  POP3_INVALID_CREDENTIALS: 'auth',
  /**
   * -ERR [IN-USE] (RFC 2449 section 8.1.2): another session holds the maildrop's exclusive lock
   * (RFC 1939 section 4). It is released when that session ends: later, not now.
   */
  POP3_IN_USE: 'throttled',
  /**
   * -ERR [LOGIN-DELAY] (RFC 2449 section 8.1.1): this user logged in too recently for the server's
   * minimum interval (CAPA LOGIN-DELAY, section 6.5): later, not now.
   */
  POP3_LOGIN_DELAY: 'throttled',
  /**
   * -ERR [SYS/TEMP] (RFC 3206 section 4): a server-side problem likely to be temporary (a locked
   * resource, a full disk): the next poll may find it gone.
   */
  POP3_SYS_TEMP: 'transient',
  /**
   * -ERR [SYS/PERM] (RFC 3206 section 4): a server-side problem the server itself calls permanent,
   * for its administrator to fix: a retry only repeats it.
   */
  POP3_SYS_PERM: 'permanent',
  /**
   * A plain -ERR (no response code) to a TRANSACTION command or QUIT: RFC 1939 gives no reason and
   * nothing marks it permanent, and repeating is safe: nothing is deleted before QUIT succeeds
   * (RFC 1939 section 6). In a pipelined fetch a refused RETR/TOP is reported per message instead.
   */
  POP3_COMMAND_FAILED: 'transient',
  /**
   * The server lacks a command we need (UIDL, optional in RFC 1939 section 7): without unique-ids
   * new mail cannot be told from old, and the server will lack it next time too.
   */
  POP3_UNSUPPORTED: 'permanent',
} as const satisfies Record<string, ErrorCategory>);

/** A code from the catalogue. */
export type Pop3ErrorCode = keyof typeof POP3_ERROR_CODES;

/** Context attached to a Pop3Error. */
export interface Pop3ErrorOptions {
  /** The command that failed; masked with maskCommand before it is stored. */
  command?: string;
  /** The server's own text, already escaped with escapeServerText. */
  serverText?: string;
  /** RFC 2449 section 8 / RFC 3206 response code, e.g. "IN-USE", "SYS/TEMP"; unknown ones kept. */
  responseCode?: string;
  cause?: unknown;
  retryable?: boolean;
}

/** The POP3 engine's error: a catalogue code, its category, and the wire context. */
export class Pop3Error extends catalogueError(POP3_ERROR_CODES) {
  static {
    keepClassName(this, 'Pop3Error');
  }
  /** The command line that failed, secrets masked (PASS ****). */
  readonly command: string | undefined;
  /** What the server said, escaped for logs; never part of `message`. */
  readonly serverText: string | undefined;
  /** The bracketed response code, as sent (e.g. "SYS/TEMP"). */
  readonly responseCode: string | undefined;

  constructor(code: Pop3ErrorCode, message: string, options: Pop3ErrorOptions = {}) {
    super(code, message, {
      cause: options.cause,
      ...(options.retryable === undefined ? {} : { retryable: options.retryable }),
    });
    this.command = options.command === undefined ? undefined : maskCommand(options.command);
    this.serverText = options.serverText;
    this.responseCode = options.responseCode;
  }
}

/** True when `error` is a Pop3Error, optionally with the given code. */
export function isPop3Error(error: unknown, code?: Pop3ErrorCode): error is Pop3Error {
  return error instanceof Pop3Error && (code === undefined || error.code === code);
}

/**
 * Masks the secret part of a command line so it can be logged: PASS, APOP's digest, AUTH's
 * initial response and any bare SASL continuation line.
 */
export function maskCommand(line: string): string {
  const trimmed = line.replace(/\r?\n$/, '');
  const upper = trimmed.toUpperCase();
  if (upper.startsWith('PASS ') || upper === 'PASS') return 'PASS ****';
  if (upper.startsWith('APOP ')) {
    const user = trimmed.split(' ')[1] ?? '';
    return `APOP ${user} ****`;
  }
  if (upper.startsWith('AUTH ')) {
    const parts = trimmed.split(' ');
    return parts.length > 2 ? `AUTH ${parts[1] ?? ''} ****` : trimmed;
  }
  const verb = upper.split(' ')[0] ?? '';
  if (KNOWN_VERBS.has(verb)) return trimmed;
  // Anything else we send is a SASL response line (or "*" to cancel): secret.
  return trimmed === '*' ? '*' : '****';
}

const KNOWN_VERBS = new Set([
  'USER', 'STAT', 'LIST', 'UIDL', 'RETR', 'TOP', 'DELE', 'RSET', 'NOOP', 'QUIT', 'CAPA', 'STLS', '(GREETING)',
]);
