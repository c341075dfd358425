/**
 * The protocol engine's one error class and its closed catalogue of codes.
 *
 * Our explanation (`message`) is kept apart from what the server said (`serverText`, escaped)
 * and from the RFC 2449 / RFC 3206 response code, as mpop keeps `errmsg` apart from `errstr`.
 */
import { keepClassName, IngestError, type ErrorCategory } from '../shared/errors.js';

/** Every code a Pop3Error can carry, with its category. Pinned by test/unit/pop3/errors.test.ts. */
export const POP3_ERROR_CATALOGUE = Object.freeze({
  POP3_CONNECT_FAILED: 'transient',
  POP3_TLS_FAILED: 'transient',
  POP3_CERT_UNTRUSTED: 'permanent',
  POP3_CERT_PIN_MISMATCH: 'permanent',
  POP3_STLS_UNAVAILABLE: 'permanent',
  POP3_STLS_INJECTION: 'permanent',
  POP3_TIMEOUT: 'transient',
  POP3_ABORTED: 'transient',
  POP3_CONNECTION_CLOSED: 'transient',
  POP3_PROTOCOL: 'permanent',
  POP3_DESYNC: 'permanent',
  POP3_LIMIT_EXCEEDED: 'permanent',
  POP3_MESSAGE_TOO_LARGE: 'permanent',
  POP3_INVALID_UID: 'permanent',
  POP3_AUTH_FAILED: 'auth',
  POP3_AUTH_UNAVAILABLE: 'permanent',
  POP3_INSECURE_AUTH_REFUSED: 'permanent',
  POP3_INVALID_CREDENTIALS: 'auth',
  POP3_IN_USE: 'throttled',
  POP3_LOGIN_DELAY: 'throttled',
  POP3_SYS_TEMP: 'transient',
  POP3_SYS_PERM: 'permanent',
  POP3_COMMAND_FAILED: 'transient',
  POP3_UNSUPPORTED: 'permanent',
} as const satisfies Record<string, ErrorCategory>);

/** A code from the catalogue. */
export type Pop3ErrorCode = keyof typeof POP3_ERROR_CATALOGUE;

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
export class Pop3Error extends IngestError {
  static {
    keepClassName(this, 'Pop3Error');
  }
  declare readonly code: Pop3ErrorCode;
  /** The command line that failed, secrets masked (PASS ****). */
  readonly command: string | undefined;
  /** What the server said, escaped for logs; never part of `message`. */
  readonly serverText: string | undefined;
  /** The bracketed response code, as sent (e.g. "SYS/TEMP"). */
  readonly responseCode: string | undefined;

  constructor(code: Pop3ErrorCode, message: string, options: Pop3ErrorOptions = {}) {
    super(code, POP3_ERROR_CATALOGUE[code], message, {
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
