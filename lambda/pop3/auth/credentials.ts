/**
 * Credential validation at the boundary: anything that could split a command line (CR, LF)
 * or truncate a SASL field (NUL) is refused before it can reach the wire.
 */
import { Pop3Error } from '../errors.js';
import type { Credentials } from './types.js';

/** Longest user name we accept: RFC 2449 section 4 caps a command line at 255 octets. */
const MAX_USER_OCTETS = 200;
/** Longest password; long enough for any sane secret, short enough to bound memory. */
const MAX_PASSWORD_OCTETS = 1024;
/** Longest OAuth access token (Microsoft's JWTs reach a few KB; SASL lines continue over 255). */
const MAX_TOKEN_OCTETS = 16 * 1024;

/**
 * Validates credentials and returns a frozen copy; throws POP3_INVALID_CREDENTIALS with a
 * message that names the field, never its value.
 */
export function validateCredentials(creds: Credentials): Readonly<Credentials> {
  if (creds === null || typeof creds !== 'object') invalid('credentials must be an object with a user');
  const { user, password, accessToken } = creds;
  if (typeof user !== 'string' || user.length === 0) invalid('the user name is empty');
  checkField('user name', user, MAX_USER_OCTETS);
  if (password !== undefined) {
    if (typeof password !== 'string') invalid('the password must be a string');
    if (password.length === 0) invalid('the password is empty');
    checkField('password', password, MAX_PASSWORD_OCTETS);
  }
  if (accessToken !== undefined) {
    if (typeof accessToken !== 'string') invalid('the access token must be a string');
    if (accessToken.length === 0) invalid('the access token is empty');
    checkField('access token', accessToken, MAX_TOKEN_OCTETS);
    // RFC 6750 section 2.1: b64token; a space or 0x01 would break the XOAUTH2/OAUTHBEARER framing.
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(accessToken)) invalid('the access token is not an RFC 6750 bearer token (b64token)');
  }
  if (password === undefined && accessToken === undefined) invalid('neither a password nor an access token was given');
  const copy: Credentials = { user };
  if (password !== undefined) copy.password = password;
  if (accessToken !== undefined) copy.accessToken = accessToken;
  return Object.freeze(copy);
}

function checkField(name: string, value: string, maxOctets: number): void {
  // RFC 1939 section 3: CRLF ends a command; a NUL ends a SASL PLAIN field (RFC 4616 section 2).
  if (/[\r\n\0]/.test(value)) invalid(`the ${name} contains CR, LF or NUL`);
  if (Buffer.byteLength(value, 'utf8') > maxOctets) invalid(`the ${name} is longer than ${maxOctets} octets`);
}

function invalid(message: string): never {
  throw new Pop3Error('POP3_INVALID_CREDENTIALS', `invalid credentials: ${message}`);
}
