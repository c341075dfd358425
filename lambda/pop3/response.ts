/**
 * Status-line parser: "+OK", "-ERR" and the SASL continuation "+ " (RFC 1939 section 3,
 * RFC 5034 section 4), with the bracketed response code of RFC 2449 section 8 / RFC 3206.
 */
import { Pop3Error, type Pop3ErrorCode } from './errors.js';
import { escapeServerText } from './escape.js';

/** One parsed status line. `text` is raw (latin1) server text: escape before logging. */
export interface StatusReply {
  kind: 'ok' | 'err' | 'continue';
  /** Text after the status indicator, response code removed, latin1-decoded, not escaped. */
  text: string;
  /** RFC 2449 response code without brackets, e.g. "SYS/TEMP"; undefined when absent. */
  responseCode?: string;
}

// RFC 2449 section 8: resp-code = "[" resp-level *("/" resp-level) "]"; resp-level = 1*<any
// CHAR except "/" and "]">. We accept any printable ASCII level.
const RESP_CODE = /^\[([\x21-\x2e\x30-\x5c\x5e-\x7e]+(?:\/[\x21-\x2e\x30-\x5c\x5e-\x7e]+)*)\](?: |$)/;

/** Parses one status line (CRLF already removed). Throws POP3_PROTOCOL when it is neither. */
export function parseStatusLine(line: Buffer | string, options: { allowContinuation?: boolean } = {}): StatusReply {
  const text = typeof line === 'string' ? line : line.toString('latin1');
  if (text.startsWith('+OK') && (text.length === 3 || text[3] === ' ')) {
    return withCode('ok', text.slice(4));
  }
  if (text.startsWith('-ERR') && (text.length === 4 || text[4] === ' ')) {
    return withCode('err', text.slice(5));
  }
  // RFC 5034 section 4: a continuation is "+" SP [base64]; some servers send a bare "+".
  if (options.allowContinuation && (text === '+' || text.startsWith('+ '))) {
    return { kind: 'continue', text: text.slice(2) };
  }
  throw new Pop3Error('POP3_PROTOCOL', 'malformed status line from server', { serverText: escapeServerText(text) });
}

function withCode(kind: 'ok' | 'err', rest: string): StatusReply {
  const match = RESP_CODE.exec(rest);
  if (!match) return { kind, text: rest };
  return { kind, text: rest.slice(match[0].length), responseCode: match[1] as string };
}

/**
 * Maps an -ERR reply to the error code it deserves: RFC 2449 IN-USE and LOGIN-DELAY (throttled),
 * RFC 3206 SYS/TEMP, SYS/PERM and AUTH; anything else (unknown codes kept) to `fallback`.
 */
export function errorCodeForReply(reply: StatusReply, fallback: Pop3ErrorCode): Pop3ErrorCode {
  const code = reply.responseCode?.toUpperCase();
  if (code === undefined) return fallback;
  if (code === 'IN-USE') return 'POP3_IN_USE';
  if (code === 'LOGIN-DELAY') return 'POP3_LOGIN_DELAY';
  if (code === 'SYS/TEMP' || code.startsWith('SYS/TEMP/')) return 'POP3_SYS_TEMP';
  if (code === 'SYS/PERM' || code.startsWith('SYS/PERM/')) return 'POP3_SYS_PERM';
  if (code === 'AUTH' || code.startsWith('AUTH/')) return 'POP3_AUTH_FAILED';
  return fallback;
}

/** Builds the Pop3Error for an -ERR reply to `command`. */
export function replyError(reply: StatusReply, command: string, fallback: Pop3ErrorCode, message?: string): Pop3Error {
  const code = errorCodeForReply(reply, fallback);
  const verb = command.split(' ')[0] ?? command;
  return new Pop3Error(code, message ?? `server refused ${verb}${reply.responseCode ? ` [${escapeServerText(reply.responseCode, 40)}]` : ''}`, {
    command,
    serverText: escapeServerText(reply.text),
    ...(reply.responseCode === undefined ? {} : { responseCode: reply.responseCode }),
  });
}
