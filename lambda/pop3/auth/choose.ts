/**
 * Which way to log in: what the server offers, intersected with what the user allows and what
 * the credentials can do, strongest first, and never a cleartext-equivalent secret over an
 * unprotected connection unless the user explicitly opted in.
 */
import { Pop3Error } from '../errors.js';
import { isValidApopTimestamp } from './apop.js';
import type { AuthMethod, AuthOffer, AuthPolicy, Credentials, SaslMechanismName } from './types.js';

/** A method's policy name ('SCRAM-SHA-256', ..., 'APOP', 'USER'), as in AuthPolicy.allowed. */
type MethodName = SaslMechanismName | 'APOP' | 'USER';

/** Every login method the engine can use, by policy name: what `auth.mechanisms` accepts. */
export const AUTH_METHOD_NAMES = ['SCRAM-SHA-256', 'OAUTHBEARER', 'XOAUTH2', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'APOP', 'USER'] as const satisfies readonly MethodName[];

/** The bearer-token mechanisms (RFC 7628 OAUTHBEARER, then XOAUTH2), in the order to try them. */
export const TOKEN_MECHANISMS = ['OAUTHBEARER', 'XOAUTH2'] as const satisfies readonly SaslMechanismName[];

interface Candidate {
  name: MethodName;
  method: AuthMethod;
  /** What the credentials must hold. */
  needs: 'password' | 'accessToken';
  /**
   * Safe on a connection without TLS: the secret never crosses the wire in a reusable form.
   * SCRAM (RFC 5802) and CRAM-MD5 (RFC 2195) and APOP (RFC 1939 section 7) send a proof
   * bound to a server nonce; PLAIN, LOGIN, USER/PASS send the password, and a bearer token
   * (RFC 6750 section 5.3) is as good as a password to whoever reads it.
   */
  safeWithoutTls: boolean;
}

const sasl = (mechanism: SaslMechanismName): AuthMethod => ({ type: 'sasl', mechanism });

/** Strongest first. */
const CANDIDATES: readonly Candidate[] = [
  { name: 'SCRAM-SHA-256', method: sasl('SCRAM-SHA-256'), needs: 'password', safeWithoutTls: true },
  { name: 'OAUTHBEARER', method: sasl('OAUTHBEARER'), needs: 'accessToken', safeWithoutTls: false },
  { name: 'XOAUTH2', method: sasl('XOAUTH2'), needs: 'accessToken', safeWithoutTls: false },
  { name: 'CRAM-MD5', method: sasl('CRAM-MD5'), needs: 'password', safeWithoutTls: true },
  { name: 'APOP', method: { type: 'apop' }, needs: 'password', safeWithoutTls: true },
  { name: 'PLAIN', method: sasl('PLAIN'), needs: 'password', safeWithoutTls: false },
  { name: 'LOGIN', method: sasl('LOGIN'), needs: 'password', safeWithoutTls: false },
  { name: 'USER', method: { type: 'user' }, needs: 'password', safeWithoutTls: false },
];

/** Every method name we implement, strongest first (the values AuthPolicy.allowed accepts). */
export const SUPPORTED_AUTH_METHODS: readonly MethodName[] = CANDIDATES.map((c) => c.name);

/**
 * Returns the acceptable login methods, strongest first: offered by the server, allowed by
 * policy, usable with the credentials and, without TLS, only those that do not reveal the
 * secret. Throws POP3_INSECURE_AUTH_REFUSED when only cleartext methods remain on a plain
 * connection, POP3_AUTH_UNAVAILABLE when nothing remains at all.
 *
 * A server without CAPA (RFC 1939 only) should be distilled as `user: true`: USER/PASS is
 * the one method every RFC 1939 server may support.
 */
export function chooseAuthMethods(offer: AuthOffer, creds: Credentials, policy: AuthPolicy): AuthMethod[] {
  const allowed = normalizeAllowed(policy.allowed);
  const offeredSasl = new Set(offer.sasl.map((m) => m.toUpperCase()));
  const apopUsable = offer.apopTimestamp !== undefined && isValidApopTimestamp(offer.apopTimestamp)
    // RFC 1939 section 7: "APOP name digest" - a space in the name would shift the digest.
    && !/\s/.test(creds.user);
  const isOffered = (c: Candidate): boolean => {
    if (c.method.type === 'sasl') return offeredSasl.has(c.name);
    return c.method.type === 'apop' ? apopUsable : offer.user;
  };
  const usable = CANDIDATES.filter((c) => isOffered(c) && allowed.has(c.name) && hasSecret(creds, c.needs));
  const secure = policy.secure || policy.allowInsecureAuth;
  const chosen = secure ? usable : usable.filter((c) => c.safeWithoutTls);
  if (chosen.length > 0) return chosen.map((c) => c.method);

  const offered = describeOffer(offer);
  if (usable.length > 0) {
    throw new Pop3Error('POP3_INSECURE_AUTH_REFUSED',
      `refusing to send credentials in cleartext: the connection is not TLS-protected and the only usable `
      + `methods (${usable.map((c) => c.name).join(', ')}) would reveal the secret. Use implicit TLS or STLS, `
      + `or allow SCRAM-SHA-256, CRAM-MD5 or APOP; set allowInsecureAuth only on a trusted network`);
  }
  const has = [creds.password !== undefined ? 'a password' : '', creds.accessToken !== undefined ? 'an access token' : '']
    .filter(Boolean).join(' and ') || 'no secret';
  const restriction = policy.allowed === undefined ? '' : `, allowed by policy: ${[...allowed].join(', ') || 'none'}`;
  throw new Pop3Error('POP3_AUTH_UNAVAILABLE',
    `no acceptable authentication method: the server offered ${offered}${restriction}; the credentials hold ${has}`);
}

function normalizeAllowed(allowed: readonly string[] | undefined): Set<MethodName> {
  if (allowed === undefined) return new Set(SUPPORTED_AUTH_METHODS);
  const known = new Set<string>(SUPPORTED_AUTH_METHODS);
  const out = new Set<MethodName>();
  for (const raw of allowed) {
    const name = raw.trim().toUpperCase();
    if (!known.has(name)) {
      throw new Pop3Error('POP3_AUTH_UNAVAILABLE',
        `unknown authentication method in policy: ${JSON.stringify(raw)} (supported: ${SUPPORTED_AUTH_METHODS.join(', ')})`);
    }
    out.add(name as MethodName);
  }
  return out;
}

function hasSecret(creds: Credentials, needs: Candidate['needs']): boolean {
  return needs === 'password' ? creds.password !== undefined : creds.accessToken !== undefined;
}

function describeOffer(offer: AuthOffer): string {
  const parts: string[] = [];
  if (offer.sasl.length > 0) parts.push(`SASL ${offer.sasl.map(safeName).join(' ')}`);
  if (offer.apopTimestamp !== undefined) {
    parts.push(isValidApopTimestamp(offer.apopTimestamp) ? 'APOP' : 'APOP (malformed timestamp, refused)');
  }
  if (offer.user) parts.push('USER');
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

/** Mechanism names come from the server: keep only RFC 4422 section 3.1 characters. */
function safeName(name: string): string {
  return name.replace(/[^A-Z0-9_-]/gi, '?').slice(0, 20);
}
