import { beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { generateTestCertificates, type TestCertificates } from '../support/certs.js';
import { type FakeServer, onCommand } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, readAll, rejectionOf } from './helpers.js';

describe('STLS', () => {
  let certs: TestCertificates;
  const startServer = fakeServerPerTest();
  beforeAll(async () => {
    certs = await generateTestCertificates();
  });

  const sentCredentials = (s: FakeServer) => s.commands.some((c) => /^(USER|PASS|AUTH|APOP)/.test(c));

  it('refused by the server fails closed: no plaintext fallback, no credentials', async () => {
    const server = await startServer({
      tls: 'starttls', key: certs.keyPem, cert: certs.certPem,
      handler: onCommand('STLS', (conn) => conn.line('-ERR [SYS/TEMP] TLS not available right now')),
    });

    const error = await rejectionOf(connectPop3({
      host: server.host, port: server.port, tls: 'starttls', ca: certs.caPem, credentials: { user: 'alice', password: 'secret' },
    }));

    expect((error as Pop3Error).code).toBe('POP3_SYS_TEMP');
    expect(sentCredentials(server)).toBe(false);
  });

  it('refused without a response code is POP3_STLS_UNAVAILABLE', async () => {
    const server = await startServer({
      tls: 'starttls', key: certs.keyPem, cert: certs.certPem,
      handler: onCommand('STLS', (conn) => conn.line('-ERR no')),
    });

    const error = await rejectionOf(connectPop3({
      host: server.host, port: server.port, tls: 'starttls', ca: certs.caPem, credentials: { user: 'alice', password: 'secret' },
    }));

    expect((error as Pop3Error).code).toBe('POP3_STLS_UNAVAILABLE');
    expect(sentCredentials(server)).toBe(false);
  });

  it('accepted upgrades, forgets the plaintext capabilities and asks CAPA again', async () => {
    const server = await startServer({
      tls: 'starttls', key: certs.keyPem, cert: certs.certPem, messages: [{ uid: 'u', body: 'hi\r\n' }],
    });

    const session = await connectPop3({
      host: server.host, port: server.port, tls: 'starttls', ca: certs.caPem, credentials: { user: 'alice', password: 'secret' },
    });
    const body = await readAll(await session.retr(1));
    await session.quit();

    expect(body.toString()).toBe('hi\r\n');
    expect(session.tlsInfo?.protocol).toMatch(/^TLSv1\.[23]$/);
    const stls = server.commands.indexOf('STLS');
    expect(server.commands.slice(0, stls)).toEqual(['CAPA']);
    expect(server.commands[stls + 1]).toBe('CAPA');
  });
});
