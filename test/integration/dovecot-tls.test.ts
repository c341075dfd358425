/**
 * Transport security against a real Dovecot: implicit TLS and STLS succeed only with a trusted
 * certificate for the right name, a public-key pin is enforced, and nothing is sent in
 * cleartext unless the user asked for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { generateTestCertificates } from '../support/certs.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { loginMethods, rejectionOf, starttlsOptions, tlsOptions } from './helpers.js';

describe('TLS against Dovecot', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('logs in over implicit TLS (POP3S) with the certificate verified against the test CA', async () => {
    // Act
    const session = await connectPop3(tlsOptions(server));
    // Assess
    expect(session.tlsInfo?.authorized).toBe(true);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(session.tlsInfo?.protocol);
    expect(session.tlsInfo?.publicKeyPin).toBe(`sha256//${server.pin}`);
    expect(session.state).toBe('transaction');
    await session.quit();
  });

  it('upgrades with STLS on the plain port and then logs in with SCRAM-SHA-256', async () => {
    const session = await connectPop3(starttlsOptions(server));
    expect(session.tlsInfo?.authorized).toBe(true);
    expect(session.authMethod).toBe('SCRAM-SHA-256');
    // RFC 2595 section 4: capabilities were asked again after TLS.
    expect(session.capabilities.stls).toBe(false);
    await session.quit();
  });

  it('verifies the host name "localhost" through SNI', async () => {
    const session = await connectPop3(tlsOptions(server, { servername: 'localhost' }));
    expect(session.tlsInfo?.subject).toContain('CN=localhost');
    await session.quit();
  });

  it('rejects the certificate when the client trusts only the system store (untrusted CA)', async () => {
    const { ca: _ca, ...withoutCa } = tlsOptions(server);
    const error = await rejectionOf(connectPop3(withoutCa));
    expect(error).toBeInstanceOf(Pop3Error);
    expect((error as Pop3Error).code).toBe('POP3_CERT_UNTRUSTED');
  });

  it('rejects an untrusted certificate after STLS too, before any credential is sent', async () => {
    const { ca: _ca, ...withoutCa } = starttlsOptions(server, {}, 'carol');
    const before = loginMethods(server, 'carol').length;
    const error = await rejectionOf(connectPop3(withoutCa));
    expect((error as Pop3Error).code).toBe('POP3_CERT_UNTRUSTED');
    expect(loginMethods(server, 'carol')).toHaveLength(before);
  });

  it('rejects a certificate for another name (a trusted CA is not enough)', async () => {
    const error = await rejectionOf(connectPop3(tlsOptions(server, { servername: 'mail.example.test' })));
    expect((error as Pop3Error).code).toBe('POP3_CERT_UNTRUSTED');
  });

  it('rejects a trusted certificate whose CA is someone else\'s (another test CA)', async () => {
    const otherCa = await generateTestCertificates(`${server.dir}/other-ca`);
    const error = await rejectionOf(connectPop3(tlsOptions(server, { ca: otherCa.caPem })));
    expect((error as Pop3Error).code).toBe('POP3_CERT_UNTRUSTED');
  });

  it('accepts a matching public-key pin, with or without the sha256// prefix', async () => {
    for (const pin of [server.pin, `sha256//${server.pin}`]) {
      const session = await connectPop3(tlsOptions(server, { pinnedPublicKey: pin }));
      await session.quit();
    }
  });

  it('refuses a mismatching pin even though the chain is trusted (a CA-issued impostor)', async () => {
    const otherKey = (await generateTestCertificates(`${server.dir}/pin-other`)).spkiSha256Base64;
    const error = await rejectionOf(connectPop3(tlsOptions(server, { pinnedPublicKey: otherKey })));
    expect((error as Pop3Error).code).toBe('POP3_CERT_PIN_MISMATCH');
  });

  it('refuses to send credentials on a plaintext connection without allowInsecureAuth', async () => {
    // Prepare
    const since = server.logs().length;
    // Act
    const error = await rejectionOf(connectPop3(tlsOptions(server, { port: server.pop3Port, tls: 'none' }, 'bob')));
    // Assess: Dovecot saw the connection end without a single AUTH, USER or APOP.
    expect((error as Pop3Error).code).toBe('POP3_INSECURE_AUTH_REFUSED');
    const line = await server.waitForLog(/pop3-login: Info: Disconnected/, since);
    expect(line).toContain('no auth attempts');
  });

  it('finds no cleartext method when forced to USER on a plain port: Dovecot hides USER before TLS', async () => {
    const error = await rejectionOf(connectPop3(tlsOptions(server, {
      port: server.pop3Port, tls: 'none', allowInsecureAuth: true, authMethods: ['USER'],
    })));
    expect((error as Pop3Error).code).toBe('POP3_AUTH_UNAVAILABLE');
    expect((error as Pop3Error).message).toContain('SASL CRAM-MD5 SCRAM-SHA-256');
  });
});
