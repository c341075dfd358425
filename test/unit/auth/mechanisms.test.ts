/**
 * CRAM-MD5 (RFC 2195 example), PLAIN (RFC 4616), LOGIN, XOAUTH2 and OAUTHBEARER (RFC 7628):
 * exact bytes on the wire, and no secret handed to a server that asks out of turn.
 */
import { describe, expect, it } from 'vitest';
import { createSaslMechanism } from '../../../lambda/pop3/auth/index.js';
import { Pop3Error } from '../../../lambda/pop3/errors.js';

const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString('latin1'));
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

describe('CRAM-MD5', () => {
  it('answers the RFC 2195 example challenge with the RFC digest', () => {
    // Prepare
    const mech = createSaslMechanism('CRAM-MD5', { user: 'tim', password: 'tanstaaftanstaaf' });
    // Act
    const initial = mech.initialResponse();
    const reply = text(mech.respond(bytes('<1896.697170952@postoffice.reston.mci.net>')));
    // Assess
    expect(initial).toBeNull();
    expect(reply).toBe('tim b913a602c7eda7a495b4e6e7334d3890');
    expect(mech.isComplete()).toBe(true);
  });

  it('refuses an empty challenge (a digest of a constant string is replayable)', () => {
    const mech = createSaslMechanism('CRAM-MD5', { user: 'tim', password: 'x' });
    expect(() => mech.respond(new Uint8Array())).toThrow(Pop3Error);
  });

  it('refuses a second challenge', () => {
    const mech = createSaslMechanism('CRAM-MD5', { user: 'tim', password: 'x' });
    mech.respond(bytes('<1@x>'));
    expect(() => mech.respond(bytes('<2@x>'))).toThrow(/second challenge/);
  });
});

describe('PLAIN', () => {
  it('sends authzid NUL authcid NUL password as the initial response (RFC 4616 section 2)', () => {
    const mech = createSaslMechanism('PLAIN', { user: 'alice', password: 'pässword' });
    expect(Buffer.from(mech.initialResponse() ?? []).toString('utf8')).toBe('\0alice\0pässword');
    expect(mech.isComplete()).toBe(true);
  });

  it('sends the same message when the server asks with an empty challenge instead', () => {
    const mech = createSaslMechanism('PLAIN', { user: 'alice', password: 'pw' });
    expect(text(mech.respond(new Uint8Array()))).toBe('\0alice\0pw');
  });

  it('does not resend the password to a server that challenges again', () => {
    const mech = createSaslMechanism('PLAIN', { user: 'alice', password: 'pw' });
    mech.initialResponse();
    expect(() => mech.respond(new Uint8Array())).toThrow(Pop3Error);
  });
});

describe('LOGIN', () => {
  it('answers Username: then Password:', () => {
    const mech = createSaslMechanism('LOGIN', { user: 'alice', password: 'pw' });
    expect(mech.initialResponse()).toBeNull();
    expect(text(mech.respond(bytes('Username:')))).toBe('alice');
    expect(mech.isComplete()).toBe(false);
    expect(text(mech.respond(bytes('Password:')))).toBe('pw');
    expect(mech.isComplete()).toBe(true);
  });

  it('never answers a password prompt with the user name, nor a third prompt at all', () => {
    const mech = createSaslMechanism('LOGIN', { user: 'alice', password: 'pw' });
    expect(text(mech.respond(bytes('Password:')))).toBe('pw');
    expect(() => mech.respond(bytes('Password:'))).toThrow(/third challenge/);
  });
});

describe('XOAUTH2', () => {
  it('sends user=..^Aauth=Bearer ..^A^A as the initial response', () => {
    const mech = createSaslMechanism('XOAUTH2', { user: 'someone@example.com', accessToken: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg' });
    expect(text(mech.initialResponse())).toBe('user=someone@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01');
    expect(mech.isComplete()).toBe(true);
  });

  it('answers an error challenge with an empty response and is then not complete', () => {
    const mech = createSaslMechanism('XOAUTH2', { user: 'u', accessToken: 't' });
    mech.initialResponse();
    expect(mech.respond(bytes('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'))).toHaveLength(0);
    expect(mech.isComplete()).toBe(false);
  });
});

describe('OAUTHBEARER', () => {
  it('sends the RFC 7628 section 3.1 client response with a gs2 header', () => {
    const mech = createSaslMechanism('OAUTHBEARER', { user: 'user@example.com', accessToken: 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==' });
    expect(text(mech.initialResponse())).toBe('n,a=user@example.com,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01');
  });

  it('escapes "," and "=" in the authzid', () => {
    const mech = createSaslMechanism('OAUTHBEARER', { user: 'a,b=c', accessToken: 't' });
    expect(text(mech.initialResponse())?.startsWith('n,a=a=2Cb=3Dc,\x01')).toBe(true);
  });

  it('answers an error challenge with a single ^A (RFC 7628 section 3.2.3)', () => {
    const mech = createSaslMechanism('OAUTHBEARER', { user: 'u', accessToken: 't' });
    mech.initialResponse();
    expect(text(mech.respond(bytes('{"status":"invalid_token"}')))).toBe('\x01');
    expect(mech.isComplete()).toBe(false);
  });
});

describe('createSaslMechanism', () => {
  it('refuses a mechanism whose secret the credentials lack', () => {
    expect(() => createSaslMechanism('XOAUTH2', { user: 'u', password: 'p' })).toThrow(expect.objectContaining({ code: 'POP3_INVALID_CREDENTIALS' }));
    expect(() => createSaslMechanism('CRAM-MD5', { user: 'u', accessToken: 't' })).toThrow(expect.objectContaining({ code: 'POP3_INVALID_CREDENTIALS' }));
  });
});
