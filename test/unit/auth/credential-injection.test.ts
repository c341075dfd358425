/**
 * validateCredentials stops command injection through credentials (a CR LF in a password
 * would end PASS and start a command of the attacker's choosing, e.g. "DELE 1") and never
 * echoes a secret in its error.
 */
import { describe, expect, it } from 'vitest';
import { validateCredentials } from '../../../lambda/pop3/auth/index.js';
import { Pop3Error } from '../../../lambda/pop3/errors.js';
import { classifyError } from '../../../lambda/shared/errors.js';
import { thrownBy } from '../../support/async-results.js';

describe('validateCredentials', () => {
  it('returns a frozen copy of valid credentials', () => {
    const creds = validateCredentials({ user: 'alice', password: 'p w' });
    expect(creds).toEqual({ user: 'alice', password: 'p w' });
    expect(Object.isFrozen(creds)).toBe(true);
  });

  it.each([
    ['CR LF in the password', { user: 'alice', password: 'x\r\nDELE 1' }],
    ['LF in the user name', { user: 'alice\nDELE 1', password: 'x' }],
    ['NUL in the password (splits a PLAIN message)', { user: 'alice', password: 'a\0b' }],
    ['CR in the access token', { user: 'alice', accessToken: 'abc\rdef' }],
  ])('refuses %s without echoing the secret', (_, creds) => {
    const error = thrownBy(() => validateCredentials(creds), Pop3Error);
    expect(error.code).toBe('POP3_INVALID_CREDENTIALS');
    expect(error.message).not.toMatch(/DELE|a\0b|abc/);
    expect(classifyError(error).category).toBe('auth');
  });

  it.each([
    ['an empty user', { user: '', password: 'x' }],
    ['no secret at all', { user: 'alice' }],
    ['an empty password', { user: 'alice', password: '' }],
    ['a token with a space (breaks XOAUTH2 framing)', { user: 'alice', accessToken: 'abc def' }],
    ['a token with ^A', { user: 'alice', accessToken: 'abc\x01auth=Bearer evil' }],
    ['an overlong user name', { user: 'u'.repeat(201), password: 'x' }],
  ])('refuses %s', (_, creds) => {
    expect(thrownBy(() => validateCredentials(creds), Pop3Error).code).toBe('POP3_INVALID_CREDENTIALS');
  });

  it('keeps only the known fields', () => {
    const creds = validateCredentials({ user: 'a', password: 'b', extra: 'c' } as never);
    expect(Object.keys(creds)).toEqual(['user', 'password']);
  });
});
