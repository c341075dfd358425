/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677): the RFC 7677 section 3 example byte for byte, and the
 * attacks a client must stop: a forged server signature, a replayed nonce, a weakened or
 * CPU-burning iteration count, an unknown mandatory extension.
 */
import { describe, expect, it } from 'vitest';
import { createSaslMechanism } from '../../../lambda/pop3/auth/index.js';
import { Pop3Error } from '../../../lambda/pop3/errors.js';

const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

// RFC 7677 section 3.
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

function rfcExample() {
  return createSaslMechanism('SCRAM-SHA-256', { user: 'user', password: 'pencil' }, { clientNonce: CLIENT_NONCE });
}

function expectAuthFailure(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Pop3Error);
    expect((error as Pop3Error).code).toBe('POP3_AUTH_FAILED');
    expect((error as Pop3Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected POP3_AUTH_FAILED');
}

describe('SCRAM-SHA-256', () => {
  it('reproduces the RFC 7677 example exchange exactly and verifies the server', () => {
    // Prepare
    const mech = rfcExample();
    // Act
    const first = text(mech.initialResponse());
    const final = text(mech.respond(bytes(SERVER_FIRST)));
    const afterVerify = mech.respond(bytes(SERVER_FINAL));
    // Assess
    expect(first).toBe(`n,,n=user,r=${CLIENT_NONCE}`);
    expect(final).toBe(CLIENT_FINAL);
    expect(afterVerify).toHaveLength(0);
    expect(mech.isComplete()).toBe(true);
  });

  it('is not complete until the server signature is verified (a server cannot skip it with +OK)', () => {
    const mech = rfcExample();
    mech.initialResponse();
    expect(mech.isComplete()).toBe(false);
    mech.respond(bytes(SERVER_FIRST));
    expect(mech.isComplete()).toBe(false);
  });

  it('rejects a forged server signature (a man in the middle who does not know the password)', () => {
    const mech = rfcExample();
    mech.initialResponse();
    mech.respond(bytes(SERVER_FIRST));
    expectAuthFailure(() => mech.respond(bytes('v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), /signature mismatch/);
    expect(mech.isComplete()).toBe(false);
  });

  it('rejects a non-canonical base64 signature (padding bits a lax decoder ignores)', () => {
    const mech = rfcExample();
    mech.initialResponse();
    mech.respond(bytes(SERVER_FIRST));
    expectAuthFailure(() => mech.respond(bytes('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=')), /malformed/);
  });

  it('rejects a server nonce that does not extend ours (replay of an old exchange)', () => {
    const mech = rfcExample();
    mech.initialResponse();
    expectAuthFailure(() => mech.respond(bytes('r=someoneElsesNonce123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /nonce/);
  });

  it('rejects a server nonce equal to ours (the server added nothing)', () => {
    const mech = rfcExample();
    mech.initialResponse();
    expectAuthFailure(() => mech.respond(bytes(`r=${CLIENT_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`)), /nonce/);
  });

  it('rejects an iteration count below 4096 (a downgrade that eases offline guessing)', () => {
    const mech = rfcExample();
    mech.initialResponse();
    expectAuthFailure(() => mech.respond(bytes(SERVER_FIRST.replace('i=4096', 'i=1'))), /below the minimum/);
  });

  it('rejects an absurd iteration count (a server burning our CPU time)', () => {
    const mech = rfcExample();
    mech.initialResponse();
    expectAuthFailure(() => mech.respond(bytes(SERVER_FIRST.replace('i=4096', 'i=2000000000'))), /above the maximum/);
  });

  it('fails on an unknown mandatory extension (RFC 5802 section 5.1 "m")', () => {
    const mech = rfcExample();
    mech.initialResponse();
    expectAuthFailure(() => mech.respond(bytes(`m=ext,${SERVER_FIRST}`)), /malformed/);
  });

  it('fails on a malformed salt or a missing attribute', () => {
    for (const bad of [SERVER_FIRST.replace('s=W22ZaJ0SNY7soEsUEjb6gQ==', 's=***'), SERVER_FIRST.replace(',i=4096', ''), 'garbage']) {
      const mech = rfcExample();
      mech.initialResponse();
      expectAuthFailure(() => mech.respond(bytes(bad)), /malformed|lacks|invalid/);
    }
  });

  it('reports a server-final error attribute instead of succeeding', () => {
    const mech = rfcExample();
    mech.initialResponse();
    mech.respond(bytes(SERVER_FIRST));
    expectAuthFailure(() => mech.respond(bytes('e=invalid-proof')), /invalid-proof/);
  });

  it('refuses a third challenge after the exchange is over', () => {
    const mech = rfcExample();
    mech.initialResponse();
    mech.respond(bytes(SERVER_FIRST));
    mech.respond(bytes(SERVER_FINAL));
    expectAuthFailure(() => mech.respond(bytes('r=x')), /unexpected challenge/);
  });

  it('escapes "=" and "," in the user name (RFC 5802 section 5.1 saslname)', () => {
    const mech = createSaslMechanism('SCRAM-SHA-256', { user: 'a=b,c', password: 'p' }, { clientNonce: 'abc' });
    expect(text(mech.initialResponse())).toBe('n,,n=a=3Db=2Cc,r=abc');
  });

  it('draws a fresh random nonce for every exchange', () => {
    const nonces = new Set(Array.from({ length: 20 }, () =>
      text(createSaslMechanism('SCRAM-SHA-256', { user: 'u', password: 'p' }).initialResponse()).split(',r=')[1]));
    expect(nonces.size).toBe(20);
    for (const nonce of nonces) expect(nonce?.length).toBeGreaterThanOrEqual(24);
  });

  it('SASLpreps the password: a no-break space equals a space (RFC 4013 section 2.1)', () => {
    const run = (password: string): string => {
      const mech = createSaslMechanism('SCRAM-SHA-256', { user: 'user', password }, { clientNonce: CLIENT_NONCE });
      mech.initialResponse();
      return text(mech.respond(bytes(SERVER_FIRST)));
    };
    expect(run('pen\u00a0cil')).toBe(run('pen cil'));
    expect(run('pen\u00adcil')).toBe(run('pencil'));
    expect(run('pencil')).toBe(CLIENT_FINAL);
  });
});
