/**
 * The client-side SASL mechanisms (RFC 4422) as pure state machines: each computes what to say
 * next from the decoded challenge; the session does the base64 and the wire (RFC 5034).
 */
import { createHmac } from 'node:crypto';
import { Pop3Error } from '../errors.js';
import { escapeServerText } from '../escape.js';
import { createScramSha256, type ScramOptions } from './scram.js';
import type { Credentials, SaslMechanism, SaslMechanismName } from './types.js';

/** Options for createSaslMechanism; only tests need them. */
export type SaslMechanismOptions = ScramOptions;

const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Creates the client side of one SASL mechanism for the credentials. Throws
 * POP3_INVALID_CREDENTIALS when the credentials lack the secret the mechanism needs.
 */
export function createSaslMechanism(name: SaslMechanismName, creds: Credentials, options: SaslMechanismOptions = {}): SaslMechanism {
  switch (name) {
    case 'SCRAM-SHA-256':
      return createScramSha256(creds.user, need(creds, 'password', name), options);
    case 'CRAM-MD5':
      return createCramMd5(creds.user, need(creds, 'password', name));
    case 'PLAIN':
      return createPlain(creds.user, need(creds, 'password', name));
    case 'LOGIN':
      return createLogin(creds.user, need(creds, 'password', name));
    case 'XOAUTH2':
      return createXoauth2(creds.user, need(creds, 'accessToken', name));
    case 'OAUTHBEARER':
      return createOauthBearer(creds.user, need(creds, 'accessToken', name));
    default: {
      const unknown: never = name;
      throw new Pop3Error('POP3_AUTH_UNAVAILABLE', `unsupported SASL mechanism ${escapeServerText(String(unknown))}`);
    }
  }
}

function need(creds: Credentials, field: 'password' | 'accessToken', mechanism: string): string {
  const value = creds[field];
  if (value === undefined) {
    throw new Pop3Error('POP3_INVALID_CREDENTIALS', `${mechanism} needs ${field === 'password' ? 'a password' : 'an access token'}`);
  }
  return value;
}

function authFailed(mechanism: string, message: string, challenge?: Uint8Array): never {
  throw new Pop3Error('POP3_AUTH_FAILED', `${mechanism}: ${message}`,
    challenge === undefined ? {} : { serverText: escapeServerText(challenge) });
}

/** RFC 2195: the reply is "user SP hex(HMAC-MD5(password, challenge))". */
function createCramMd5(user: string, password: string): SaslMechanism {
  let answered = false;
  return {
    name: 'CRAM-MD5',
    initialResponse: () => null,
    respond(challenge) {
      if (answered) return authFailed('CRAM-MD5', 'unexpected second challenge', challenge);
      // RFC 2195 section 2: the challenge is a msg-id "<...>"; an empty one would let a
      // server collect a digest of a constant string.
      if (challenge.length === 0) return authFailed('CRAM-MD5', 'empty challenge');
      answered = true;
      const digest = createHmac('md5', password).update(challenge).digest('hex');
      return enc.encode(`${user} ${digest}`);
    },
    isComplete: () => answered,
    hasSentProof: () => answered,
  };
}

/** RFC 4616: authzid NUL authcid NUL passwd, sent as the initial response. */
function createPlain(user: string, password: string): SaslMechanism {
  const message = enc.encode(`\0${user}\0${password}`);
  let sent = false;
  return {
    name: 'PLAIN',
    initialResponse() {
      sent = true;
      return message;
    },
    respond(challenge) {
      // RFC 4422 section 5: a server that did not get the initial response sends an empty challenge.
      if (sent || challenge.length > 0) return authFailed('PLAIN', 'unexpected challenge', challenge);
      sent = true;
      return message;
    },
    isComplete: () => sent,
    hasSentProof: () => sent,
  };
}

/**
 * LOGIN (draft-murchison-sasl-login): the server prompts "Username:" then "Password:".
 * Prompts vary between servers, so we answer by position, except that a prompt that says
 * "password" is never answered with the user name.
 */
function createLogin(user: string, password: string): SaslMechanism {
  let step = 0;
  return {
    name: 'LOGIN',
    initialResponse: () => null,
    respond(challenge) {
      const prompt = Buffer.from(challenge).toString('latin1').toLowerCase();
      if (step === 0 && !prompt.includes('pass')) {
        step = 1;
        return enc.encode(user);
      }
      if (step <= 1) {
        step = 2;
        return enc.encode(password);
      }
      return authFailed('LOGIN', 'unexpected third challenge', challenge);
    },
    isComplete: () => step === 2,
    hasSentProof: () => step === 2,
  };
}

/**
 * Google's and Microsoft's XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A. On failure the
 * server sends a JSON error as a challenge (Gmail: `+ <base64 {"status":"400","schemes":"Bearer",
 * "scope":"https://mail.google.com/"}>`); the client must answer with an empty response and
 * the server then replies -ERR. The JSON's status and scope are kept for the error report.
 */
function createXoauth2(user: string, token: string): SaslMechanism {
  let failure: string | undefined;
  return {
    name: 'XOAUTH2',
    initialResponse: () => enc.encode(`user=${user}\x01auth=Bearer ${token}\x01\x01`),
    respond(challenge) {
      failure = describeBearerError(challenge);
      return EMPTY;
    },
    isComplete: () => failure === undefined,
    hasSentProof: () => true,
    failureDetail: () => failure,
  };
}

/**
 * RFC 7628 OAUTHBEARER: gs2 header "n,a=user," then ^A "auth=Bearer " token ^A ^A. An error
 * challenge (JSON, section 3.2.2) is answered with a single ^A (section 3.2.3); the server
 * then fails the exchange.
 */
function createOauthBearer(user: string, token: string): SaslMechanism {
  let failure: string | undefined;
  // RFC 7628 section 3.1 / RFC 5801: the authzid is a saslname, "=" and "," escaped.
  const authzid = user.replace(/=/g, '=3D').replace(/,/g, '=2C');
  return {
    name: 'OAUTHBEARER',
    initialResponse: () => enc.encode(`n,a=${authzid},\x01auth=Bearer ${token}\x01\x01`),
    respond(challenge) {
      failure = describeBearerError(challenge);
      return enc.encode('\x01');
    },
    isComplete: () => failure === undefined,
    hasSentProof: () => true,
    failureDetail: () => failure,
  };
}

/**
 * The status and scope of a bearer-token error challenge (RFC 7628 section 3.2.2; Gmail's
 * XOAUTH2 sends the same JSON), escaped for an error message: e.g. `status 400, scope
 * https://mail.google.com/`. A challenge that is not such JSON is described as unreadable.
 */
export function describeBearerError(challenge: Uint8Array): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(challenge).toString('utf8'));
  } catch {
    return `unreadable error challenge ${escapeServerText(challenge, 100)}`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return `unreadable error challenge ${escapeServerText(challenge, 100)}`;
  }
  const fields = parsed as Record<string, unknown>;
  const field = (name: string, limit: number): string => {
    const value = fields[name];
    return typeof value === 'string' || typeof value === 'number' ? escapeServerText(String(value), limit) : '(none)';
  };
  return `status ${field('status', 40)}, scope ${field('scope', 200)}`;
}
