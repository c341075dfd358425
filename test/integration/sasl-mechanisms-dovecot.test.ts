/**
 * The pure SASL mechanisms (lambda/pop3/auth) driven by hand over a raw socket against Dovecot,
 * independent of the session code: proves the bytes are right for a real server, including
 * SCRAM's verification of Dovecot's server signature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apopDigest, createSaslMechanism, type SaslMechanismName } from '../../lambda/pop3/auth/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { RawPop3, type RawReply } from './raw-pop3.js';

/** RFC 5034 AUTH exchange by hand: base64 lines, "+ " challenges, the initial response inline. */
async function saslLogin(pop: RawPop3, name: SaslMechanismName, user: string, password: string): Promise<{ reply: RawReply; complete: boolean }> {
  const mech = createSaslMechanism(name, { user, password });
  const initial = mech.initialResponse();
  let reply = await pop.command(initial === null ? `AUTH ${name}` : `AUTH ${name} ${Buffer.from(initial).toString('base64')}`);
  while (reply.status.startsWith('+ ') || reply.status === '+') {
    const challenge = Buffer.from(reply.status.slice(2), 'base64');
    reply = await pop.command(Buffer.from(mech.respond(challenge)).toString('base64'));
  }
  return { reply, complete: mech.isComplete() };
}

async function open(server: DovecotServer): Promise<{ pop: RawPop3; greeting: RawReply }> {
  const pop = await RawPop3.tls(server.host, server.pop3sPort, { ca: server.ca });
  return { pop, greeting: await pop.greeting };
}

describe('the pure mechanisms against Dovecot over a raw socket', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it.each(['SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN'] as const)('%s logs in and completes', async (name) => {
    const { pop } = await open(server);
    try {
      const { reply, complete } = await saslLogin(pop, name, 'carol', 'c4rol!pa$$word');
      expect(reply.status).toMatch(/^\+OK/);
      expect(complete).toBe(true);
      await pop.quit();
    } finally {
      pop.destroy();
    }
  });

  it('SCRAM-SHA-256 verifies the server signature Dovecot sends as a final challenge', async () => {
    const { pop } = await open(server);
    try {
      const mech = createSaslMechanism('SCRAM-SHA-256', { user: 'bob', password: 'bob secret 2' });
      const first = await pop.command(`AUTH SCRAM-SHA-256 ${Buffer.from(mech.initialResponse() ?? []).toString('base64')}`);
      const serverFirst = Buffer.from(first.status.slice(2), 'base64').toString('utf8');
      expect(serverFirst).toMatch(/^r=[^,]+,s=[^,]+,i=\d+$/);
      const second = await pop.command(Buffer.from(mech.respond(Buffer.from(serverFirst))).toString('base64'));
      // RFC 5034 section 4: the server-final-message arrives as a challenge, not with +OK.
      expect(Buffer.from(second.status.slice(2), 'base64').toString('utf8')).toMatch(/^v=/);
      expect(mech.isComplete()).toBe(false);
      const empty = mech.respond(Buffer.from(second.status.slice(2), 'base64'));
      expect(mech.isComplete()).toBe(true);
      const done = await pop.command(Buffer.from(empty).toString('base64'));
      expect(done.status).toMatch(/^\+OK/);
    } finally {
      pop.destroy();
    }
  });

  it('SCRAM-SHA-256 with a wrong password is refused by Dovecot before any server signature', async () => {
    const { pop } = await open(server);
    try {
      const { reply, complete } = await saslLogin(pop, 'SCRAM-SHA-256', 'bob', 'not the password');
      expect(reply.ok).toBe(false);
      expect(complete).toBe(false);
    } finally {
      pop.destroy();
    }
  });

  it('APOP with the digest of the greeting timestamp logs in', async () => {
    const { pop, greeting } = await open(server);
    try {
      const timestamp = /<[^<>]+>/.exec(greeting.status)?.[0] ?? '';
      const reply = await pop.command(`APOP alice ${apopDigest(timestamp, 'alice-secret-1')}`);
      expect(reply.status).toMatch(/^\+OK/);
    } finally {
      pop.destroy();
    }
  });
});
