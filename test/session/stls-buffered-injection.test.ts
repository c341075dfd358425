import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { generateTestCertificates, type TestCertificates } from '../support/certs.js';
import { type FakeServer, onCommand, startFakePop3Server } from '../support/fake-pop3-server.js';
import { rejectionOf } from './helpers.js';

describe('bytes injected after +OK to STLS (RFC 2595 / CVE-2011-0411 class)', () => {
  let certs: TestCertificates;
  let server: FakeServer;

  beforeAll(async () => {
    certs = await generateTestCertificates();
    // A man in the middle appends a forged reply right behind the server's +OK
    server = await startFakePop3Server({
      tls: 'starttls', key: certs.keyPem, cert: certs.certPem,
      handler: onCommand('STLS', (conn) => conn.write('+OK begin TLS\r\n+OK [forged] capabilities\r\nUSER\r\n.\r\n')),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('aborts the session before TLS, and no credential is ever sent', async () => {
    // Act
    const error = await rejectionOf(connectPop3({
      host: server.host, port: server.port, tls: 'starttls', ca: certs.caPem,
      credentials: { user: 'alice', password: 'secret' },
    }));

    // Assess
    expect(error).toBeInstanceOf(Pop3Error);
    expect((error as Pop3Error).code).toBe('POP3_STLS_INJECTION');
    expect((error as Pop3Error).category).toBe('permanent');
    expect(server.commands.some((c) => /^(USER|PASS|AUTH|APOP)/.test(c))).toBe(false);
  });
});
