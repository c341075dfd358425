import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { generateTestCertificates, type TestCertificates } from '../support/certs.js';
import { startFakePop3Server, type FakeServer } from '../support/fake-pop3-server.js';
import { rejectionOf } from './helpers.js';

describe('an untrusted server certificate', () => {
  let certs: TestCertificates;
  let wrongName: TestCertificates;
  let server: FakeServer;
  let misnamed: FakeServer;
  beforeAll(async () => {
    certs = await generateTestCertificates();
    wrongName = await generateTestCertificates(undefined, { commonName: 'elsewhere.test', ipAddresses: [] });
    server = await startFakePop3Server({ tls: 'implicit', key: certs.keyPem, cert: certs.certPem });
    misnamed = await startFakePop3Server({ tls: 'implicit', key: wrongName.keyPem, cert: wrongName.certPem });
  });
  afterAll(async () => {
    await server.close();
    await misnamed.close();
  });

  it('signed by a CA we do not trust is rejected before any command', async () => {
    const error = await rejectionOf(connectPop3({
      host: server.host, port: server.port, credentials: { user: 'alice', password: 'secret' },
    }));

    expect((error as Pop3Error).code).toBe('POP3_CERT_UNTRUSTED');
    expect(server.commands).toEqual([]);
  });

  it('for another host name is rejected even when the CA is trusted', async () => {
    const error = await rejectionOf(connectPop3({
      host: misnamed.host, port: misnamed.port, ca: wrongName.caPem, credentials: { user: 'alice', password: 'secret' },
    }));

    expect((error as Pop3Error).code).toBe('POP3_CERT_UNTRUSTED');
    expect(misnamed.commands).toEqual([]);
  });

  it('is accepted only through the loudly named insecureSkipVerify', async () => {
    const session = await connectPop3({
      host: server.host, port: server.port, insecureSkipVerify: true, credentials: { user: 'alice', password: 'secret' },
    });
    await session.quit();

    expect(session.tlsInfo?.authorized).toBe(false);
  });
});
