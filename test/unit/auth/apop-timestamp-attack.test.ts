/**
 * APOP (RFC 1939 section 7): the RFC example digest, and the Leurent (FSE 2007) key-recovery
 * attack, which needs the client to hash a server-chosen timestamp outside the msg-id syntax.
 */
import { describe, expect, it } from 'vitest';
import { apopDigest } from '../../../lambda/pop3/auth/index.js';
import { isValidApopTimestamp } from '../../../lambda/pop3/auth/apop.js';

describe('apopDigest', () => {
  it('computes the RFC 1939 section 7 example digest', () => {
    expect(apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf')).toBe('c4c9334bac560ecc979e58001b3e22fb');
  });

  it('accepts the timestamp Dovecot sends', () => {
    expect(isValidApopTimestamp('<2d46.1.6b0c297a.PD0KRNDS7pmv++QLjZfb8g==@vm>')).toBe(true);
  });

  it.each([
    ['no angle brackets', '1896.697170952@dbc.mtview.ca.us'],
    ['no @', '<1896.697170952>'],
    ['8-bit bytes chosen for a collision', '<\xff\xfe\x80@x>'],
    ['a nested angle bracket', '<a<b@c>'],
    ['a space', '<a b@c>'],
    ['a control character', '<a\x01@c>'],
    ['an overlong timestamp', `<${'a'.repeat(300)}@c>`],
  ])('refuses a timestamp with %s', (_, timestamp) => {
    expect(isValidApopTimestamp(timestamp)).toBe(false);
    expect(() => apopDigest(timestamp, 'secret')).toThrow(expect.objectContaining({ code: 'POP3_AUTH_UNAVAILABLE' }));
  });
});
