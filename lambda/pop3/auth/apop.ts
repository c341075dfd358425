/**
 * APOP (RFC 1939 section 7): MD5 of the greeting's timestamp followed by the shared secret.
 *
 * MD5 here is a protocol requirement, not a choice. Because of the Leurent key-recovery attack
 * on APOP (FSE 2007), which needs a server-chosen timestamp outside the RFC 822 msg-id syntax,
 * we only accept a timestamp of the form <printable@printable>.
 */
import { createHash } from 'node:crypto';
import { Pop3Error } from '../errors.js';
import { escapeServerText } from '../escape.js';

/**
 * RFC 1939 section 7 / RFC 822 msg-id: "<" local "@" domain ">" in printable ASCII without
 * angle brackets or spaces. Deliberately strict (see the module comment).
 */
const APOP_TIMESTAMP = /^<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>$/;

/** Longest timestamp we accept (a greeting line is at most 512 octets, RFC 2449 section 4). */
const MAX_TIMESTAMP_LENGTH = 256;

/** True when the greeting's timestamp is a well-formed msg-id that APOP may be used with. */
export function isValidApopTimestamp(timestamp: string): boolean {
  return timestamp.length <= MAX_TIMESTAMP_LENGTH && APOP_TIMESTAMP.test(timestamp);
}

/** RFC 1939 section 7: the APOP digest, lower-case hex MD5 of timestamp + secret. */
export function apopDigest(timestamp: string, password: string): string {
  if (!isValidApopTimestamp(timestamp)) {
    throw new Pop3Error('POP3_AUTH_UNAVAILABLE', 'the greeting timestamp is not an RFC 822 msg-id: refusing APOP', {
      serverText: escapeServerText(timestamp),
    });
  }
  return createHash('md5').update(timestamp, 'latin1').update(password, 'utf8').digest('hex');
}
