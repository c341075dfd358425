/**
 * Threat: an account lockout. Falling back is right only while no proof of the password has
 * been sent; once SCRAM's client-final (the proof) went out, an -ERR is the server judging the
 * password, and trying PLAIN next would hand it a second guess (and the password in clear).
 */
import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import type { FakeHandler } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Speaks SCRAM-SHA-256 up to the client-final message, then refuses it. */
const scramRefusedAtProof: FakeHandler = (c, line) => {
  if (line.startsWith('AUTH SCRAM-SHA-256 ')) {
    const clientFirst = Buffer.from(line.slice('AUTH SCRAM-SHA-256 '.length), 'base64').toString('utf8');
    const nonce = /,r=([^,]+)/.exec(clientFirst)?.[1] ?? '';
    c.line(`+ ${b64(`r=${nonce}server-part,s=${b64('salt-of-16-bytes')},i=4096`)}`);
    return true;
  }
  if (line.startsWith('Yz1')) {
    // "c=..." base64: the client-final-message, which carries the proof.
    c.line('-ERR [AUTH] Authentication failed.');
    return true;
  }
  return false;
};

/** Refuses SCRAM-SHA-256 right after the client-first message, before any proof. */
const scramRefusedBeforeProof: FakeHandler = (c, line) => {
  if (!line.startsWith('AUTH SCRAM-SHA-256')) return false;
  c.line('-ERR [AUTH] Authentication failed.');
  return true;
};

describe('a SASL refusal', () => {
  const startServer = fakeServerPerTest();
  const capabilities = ['USER', 'UIDL', 'PIPELINING', 'SASL SCRAM-SHA-256 PLAIN'];

  it('after the proof was sent is final: no second mechanism is tried', async () => {
    // Prepare
    const server = await startServer({ capabilities, handler: scramRefusedAtProof });

    // Act
    const error = await rejectionOf(connectPop3(plainOptions(server, { authMethods: ['SCRAM-SHA-256', 'PLAIN'] })));

    // Assess
    expect(error).toBeInstanceOf(Pop3Error);
    expect(error).toMatchObject({ code: 'POP3_AUTH_FAILED', serverText: 'Authentication failed.' });
    expect(server.commands.filter((c) => c.startsWith('AUTH') || c.startsWith('USER'))).toEqual([expect.stringMatching(/^AUTH SCRAM-SHA-256 /)]);
  });

  it('before the proof was sent falls back to the next mechanism, which logs in', async () => {
    const server = await startServer({ capabilities, handler: scramRefusedBeforeProof });

    const session = await connectPop3(plainOptions(server, { authMethods: ['SCRAM-SHA-256', 'PLAIN'] }));

    expect(session.authMethod).toBe('PLAIN');
    expect(server.commands.filter((c) => c.startsWith('AUTH')).map((c) => c.split(' ')[1])).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    await session.quit();
  });
});
