/**
 * Proves the test harness alone, over a raw socket: if these fail, every Dovecot interop test
 * is meaningless. Also pins what Dovecot does to the tricky corpus (see corpus.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, makeMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { RawPop3 } from './raw-pop3.js';

/** Sends alice's USER/PASS in clear text on `port` and expects the server to accept both. */
async function expectCleartextLoginAccepted(host: string, port: number): Promise<void> {
  const pop = await RawPop3.plain(host, port);
  try {
    await pop.greeting;
    const replies = await pop.pipeline([{ line: 'USER alice' }, { line: 'PASS alice-secret-1' }]);
    expect(replies.map((r) => r.ok)).toEqual([true, true]);
    await pop.quit();
  } finally {
    pop.destroy();
  }
}

describe('the private Dovecot harness', () => {
  let server: DovecotServer;
  let other: DovecotServer;

  beforeAll(async () => {
    [server, other] = await Promise.all([startDovecot(), startDovecot({ disablePlaintextAuth: false })]);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), other?.stop()]);
  });

  it('runs several isolated instances at once on distinct loopback ports', () => {
    expect(server.host).toBe('127.0.0.1');
    const ports = new Set([server.pop3Port, server.pop3sPort, other.pop3Port, other.pop3sPort]);
    expect(ports.size).toBe(4);
    expect(server.dir).not.toBe(other.dir);
  });

  it('greets on the plain port with an APOP timestamp and offers STLS but no cleartext login before TLS', async () => {
    // Prepare
    const pop = await RawPop3.plain(server.host, server.pop3Port);
    try {
      // Act
      const greeting = await pop.greeting;
      const capa = await pop.command('CAPA', true);
      const pass = await pop.pipeline([{ line: 'USER alice' }, { line: 'PASS alice-secret-1' }]);
      // Assess
      expect(greeting.status).toMatch(/^\+OK .*<[^<>]+@[^<>]+>$/);
      const caps = capa.body?.toString('latin1').split('\r\n') ?? [];
      expect(caps).toContain('STLS');
      expect(caps).toContain('PIPELINING');
      expect(caps).toContain('UIDL');
      // disable_plaintext_auth: PLAIN and LOGIN are not offered in cleartext
      expect(caps.find((c) => c.startsWith('SASL'))).toBe('SASL CRAM-MD5 SCRAM-SHA-256');
      expect(pass.some((r) => !r.ok)).toBe(true);
    } finally {
      pop.destroy();
    }
  });

  it('logs in with USER/PASS after STLS when the client trusts the test CA', async () => {
    // Prepare
    const pop = await RawPop3.plain(server.host, server.pop3Port);
    await pop.greeting;
    try {
      // Act
      const stls = await pop.stls({ ca: server.ca, servername: 'localhost' });
      const capa = await pop.command('CAPA', true);
      const login = await pop.pipeline([{ line: 'USER bob' }, { line: 'PASS bob secret 2' }, { line: 'STAT' }]);
      // Assess
      expect(stls.ok).toBe(true);
      expect(capa.body?.toString('latin1')).toContain('SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256');
      expect(login.map((r) => r.ok)).toEqual([true, true, true]);
      expect(login[2]?.status).toBe('+OK 0 0');
      await pop.quit();
    } finally {
      pop.destroy();
    }
  });

  it('serves implicit TLS on the POP3S port, verified against the test CA by IP address', async () => {
    const pop = await RawPop3.tls(server.host, server.pop3sPort, { ca: server.ca });
    try {
      expect((await pop.greeting).ok).toBe(true);
      const replies = await pop.pipeline([{ line: 'USER carol' }, { line: 'PASS c4rol!pa$$word' }, { line: 'STAT' }]);
      expect(replies.map((r) => r.status)).toEqual(['+OK', '+OK Logged in.', '+OK 0 0']);
      await pop.quit();
    } finally {
      pop.destroy();
    }
  });

  it('rejects the server certificate when the client does not trust the test CA', async () => {
    await expect(RawPop3.tls(server.host, server.pop3sPort, {})).rejects.toThrow(/certificate/i);
  });

  it('treats the direct loopback port as secured, as Dovecot does when client IP equals server IP', async () => {
    // This is why pop3Port is a PROXY relay: on pop3TrustedPort disable_plaintext_auth has no effect.
    await expectCleartextLoginAccepted(server.host, server.pop3TrustedPort);
  });

  it('resolves waitForLog on the log line itself, and only for lines after `since`', async () => {
    // Prepare
    const since = server.logs().length;
    const pop = await RawPop3.tls(server.host, server.pop3sPort, { ca: server.ca });
    await pop.greeting;
    // Act
    await pop.pipeline([{ line: 'USER carol' }, { line: 'PASS c4rol!pa$$word' }]);
    const line = await server.waitForLog(/Login: user=<carol>/, since);
    await pop.quit();
    // Assess
    expect(line).toMatch(/method=PLAIN.*TLS/);
    await expect(server.waitForLog(/Login: user=<carol>/, server.logs().length, 200)).rejects.toThrow(/no Dovecot log line/);
  });

  it('allows cleartext USER/PASS only when disablePlaintextAuth is false', async () => {
    await expectCleartextLoginAccepted(other.host, other.pop3Port);
  });

  it('delivers the seeded corpus byte for byte (bare LF as CRLF), with UIDs in seeding order', async () => {
    // Prepare
    await server.seed('alice', CORPUS.map((m) => m.raw));
    const pop = await RawPop3.tls(server.host, server.pop3sPort, { ca: server.ca });
    try {
      await pop.greeting;
      await pop.pipeline([{ line: 'USER alice' }, { line: 'PASS alice-secret-1' }]);
      // Act
      const [stat, uidl, list, ...messages] = await pop.pipeline([
        { line: 'STAT' },
        { line: 'UIDL', multiline: true },
        { line: 'LIST', multiline: true },
        ...CORPUS.map((_, i) => ({ line: `RETR ${i + 1}`, multiline: true })),
      ]);
      // Assess
      expect(stat?.status).toBe(`+OK ${CORPUS.length} ${CORPUS.reduce((sum, m) => sum + m.listSize, 0)}`);
      const uids = uidl?.body?.toString('latin1').trimEnd().split('\r\n').map((l) => l.split(' ')[1]) ?? [];
      expect(uids).toHaveLength(CORPUS.length);
      expect(uids.map((u) => parseInt(u?.slice(0, 8) ?? '', 16))).toEqual(CORPUS.map((_, i) => i + 1));
      const sizes = list?.body?.toString('latin1').trimEnd().split('\r\n').map((l) => Number(l.split(' ')[1]));
      expect(sizes).toEqual(CORPUS.map((m) => m.listSize));
      CORPUS.forEach((m, i) => {
        expect(messages[i]?.body?.equals(m.expected), m.name).toBe(true);
      });
      await pop.quit();
    } finally {
      pop.destroy();
      await server.clear('alice');
    }
  });

  it('keeps messages in the maildir until DELE is committed by QUIT', async () => {
    // Prepare
    await server.seed('bob', [makeMessage(1, 500), makeMessage(2, 700)]);
    const first = await RawPop3.tls(server.host, server.pop3sPort, { ca: server.ca });
    await first.greeting;
    await first.pipeline([{ line: 'USER bob' }, { line: 'PASS bob secret 2' }, { line: 'DELE 1' }]);
    // Act: drop without QUIT (RFC 1939 section 6: no UPDATE state, nothing deleted)
    first.destroy();
    const second = await RawPop3.tls(server.host, server.pop3sPort, { ca: server.ca });
    await second.greeting;
    const replies = await second.pipeline([{ line: 'USER bob' }, { line: 'PASS bob secret 2' }, { line: 'STAT' }, { line: 'DELE 1' }]);
    await second.quit();
    // Assess
    expect(replies[2]?.status).toBe('+OK 2 1200');
    expect(await server.maildirFiles('bob')).toHaveLength(1);
    await server.clear('bob');
    expect(await server.maildirFiles('bob')).toEqual([]);
  });

  it('makes bulk messages of the exact size requested', () => {
    for (const size of [200, 512, 1000, 4096, 65_536]) expect(makeMessage(3, size).length).toBe(size);
  });
});
