/**
 * chooseAuthMethods: strongest first, policy respected, and no cleartext-equivalent secret
 * (PLAIN, LOGIN, USER/PASS, a bearer token) on a connection without TLS unless the user
 * opted in, even when a stripped or hostile server offers nothing else.
 */
import { describe, expect, it } from 'vitest';
import { chooseAuthMethods } from '../../../lambda/pop3/auth/index.js';
import type { AuthMethod, AuthOffer, AuthPolicy } from '../../../lambda/pop3/auth/types.js';
import { Pop3Error } from '../../../lambda/pop3/errors.js';
import { thrownBy } from '../../support/async-results.js';

const EVERYTHING: AuthOffer = {
  sasl: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256', 'XOAUTH2', 'OAUTHBEARER'],
  user: true,
  apopTimestamp: '<1.2@host>',
};
const TLS: AuthPolicy = { secure: true, allowInsecureAuth: false };
const PLAINTEXT: AuthPolicy = { secure: false, allowInsecureAuth: false };
const password = { user: 'alice', password: 'pw' };
const token = { user: 'alice', accessToken: 'tok' };

function names(methods: AuthMethod[]): string[] {
  return methods.map((m) => (m.type === 'sasl' ? m.mechanism : m.type.toUpperCase()));
}

describe('chooseAuthMethods', () => {
  it('orders password methods strongest first over TLS', () => {
    expect(names(chooseAuthMethods(EVERYTHING, password, TLS))).toEqual(['SCRAM-SHA-256', 'CRAM-MD5', 'APOP', 'PLAIN', 'LOGIN', 'USER']);
  });

  it('uses only the token mechanisms for an access token', () => {
    expect(names(chooseAuthMethods(EVERYTHING, token, TLS))).toEqual(['OAUTHBEARER', 'XOAUTH2']);
  });

  it('matches server mechanism names case-insensitively', () => {
    expect(names(chooseAuthMethods({ sasl: ['cram-md5'], user: false }, password, TLS))).toEqual(['CRAM-MD5']);
  });

  it('keeps only challenge-response methods without TLS', () => {
    expect(names(chooseAuthMethods(EVERYTHING, password, PLAINTEXT))).toEqual(['SCRAM-SHA-256', 'CRAM-MD5', 'APOP']);
  });

  it('refuses to send a password in cleartext when the server offers only PLAIN and USER (stripped CAPA)', () => {
    const error = thrownBy(() => chooseAuthMethods({ sasl: ['PLAIN'], user: true }, password, PLAINTEXT), Pop3Error);
    expect(error.code).toBe('POP3_INSECURE_AUTH_REFUSED');
    expect(error.message).toMatch(/PLAIN, USER/);
    expect(error.message).toMatch(/STLS/);
    expect(error.message).not.toContain('pw');
  });

  it('refuses to send a bearer token in cleartext', () => {
    expect(thrownBy(() => chooseAuthMethods(EVERYTHING, token, PLAINTEXT), Pop3Error).code).toBe('POP3_INSECURE_AUTH_REFUSED');
  });

  it('sends cleartext only with an explicit allowInsecureAuth', () => {
    const methods = chooseAuthMethods({ sasl: ['PLAIN'], user: true }, password, { secure: false, allowInsecureAuth: true });
    expect(names(methods)).toEqual(['PLAIN', 'USER']);
  });

  it('honours policy.allowed, case-insensitively', () => {
    expect(names(chooseAuthMethods(EVERYTHING, password, { ...TLS, allowed: ['user', 'apop'] }))).toEqual(['APOP', 'USER']);
  });

  it('rejects an unknown name in policy.allowed (a typo must not silently allow nothing)', () => {
    expect(thrownBy(() => chooseAuthMethods(EVERYTHING, password, { ...TLS, allowed: ['SCRAM-SHA-1'] }), Pop3Error).code).toBe('POP3_AUTH_UNAVAILABLE');
  });

  it('lists what the server offered when nothing is acceptable', () => {
    const error = thrownBy(() => chooseAuthMethods({ sasl: ['GSSAPI', 'NTLM'], user: false }, password, TLS), Pop3Error);
    expect(error.code).toBe('POP3_AUTH_UNAVAILABLE');
    expect(error.message).toContain('SASL GSSAPI NTLM');
    expect(error.message).toContain('a password');
  });

  it('does not offer APOP for a malformed greeting timestamp (Leurent attack) and says so', () => {
    const offer: AuthOffer = { sasl: [], user: false, apopTimestamp: '<\xff@x>' };
    const error = thrownBy(() => chooseAuthMethods(offer, password, TLS), Pop3Error);
    expect(error.code).toBe('POP3_AUTH_UNAVAILABLE');
    expect(error.message).toContain('malformed timestamp');
  });

  it('does not use APOP for a user name with a space (it would shift the digest argument)', () => {
    expect(names(chooseAuthMethods(EVERYTHING, { user: 'a b', password: 'pw' }, PLAINTEXT))).toEqual(['SCRAM-SHA-256', 'CRAM-MD5']);
  });

  it('escapes hostile mechanism names in the error', () => {
    const error = thrownBy(() => chooseAuthMethods({ sasl: ['X\x1b[31m'], user: false }, password, TLS), Pop3Error);
    expect(error.message).not.toContain('\x1b');
  });
});
