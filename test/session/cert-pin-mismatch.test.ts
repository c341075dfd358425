import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { generateTestCertificates, type TestCertificates } from '../support/certs.js';
import { startFakePop3Server, type FakeServer } from '../support/fake-pop3-server.js';
import { rejectionOf } from './helpers.js';

describe('a certificate public-key pin', () => {
  let certs: TestCertificates;
  let server: FakeServer;
  beforeAll(async () => {
    certs = await generateTestCertificates();
    server = await startFakePop3Server({ tls: 'implicit', key: certs.keyPem, cert: certs.certPem });
  });
  afterAll(async () => {
    await server.close();
  });

  const options = (pin: string) => ({
    host: server.host, port: server.port, ca: certs.caPem, pinnedPublicKey: pin,
    credentials: { user: 'alice', password: 'secret' },
  });

  it('that does not match stops the session before any command is sent', async () => {
    const before = server.commands.length;

    const error = await rejectionOf(connectPop3(options(`sha256//${Buffer.alloc(32, 7).toString('base64')}`)));

    expect((error as Pop3Error).code).toBe('POP3_CERT_PIN_MISMATCH');
    expect((error as Pop3Error).category).toBe('permanent');
    expect(server.commands.length).toBe(before);
  });

  it('that matches (with or without the sha256// prefix) lets the session proceed and is reported in tlsInfo', async () => {
    const session = await connectPop3(options(certs.spkiSha256Base64));
    await session.quit();
    const again = await connectPop3(options(`sha256//${certs.spkiSha256Base64}`));
    await again.quit();

    expect(session.tlsInfo?.publicKeyPin).toBe(`sha256//${certs.spkiSha256Base64}`);
    expect(session.tlsInfo?.authorized).toBe(true);
    expect(session.tlsInfo?.subject).toContain('localhost');
  });
});
