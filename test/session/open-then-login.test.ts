/**
 * The engine's open step: everything a server shows before login is read without sending a
 * credential, and login continues on the same connection under the same handshake deadline.
 * `check` relies on this to diagnose a server that it must not log in to.
 */
import { describe, expect, it } from 'vitest';
import { openPop3, type Pop3Error } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, rejectionOf } from './helpers.js';

const startServer = fakeServerPerTest();
const CREDENTIALS = { user: 'alice', password: 'secret' };

describe('openPop3 then login', () => {
  it('shows greeting, APOP timestamp and capabilities before any credential, then logs in on the same connection', async () => {
    // Prepare
    const server = await startServer({ greeting: '+OK ready <1.2@host>', capabilities: ['USER', 'UIDL', 'SASL PLAIN'] });

    // Act
    const opened = await openPop3({ host: server.host, port: server.port, tls: 'none', allowInsecureAuth: true });
    const seenBeforeLogin = [...server.commands];
    const session = await opened.login(CREDENTIALS);
    await session.quit();

    // Assess
    expect(opened.greeting).toBe('ready <1.2@host>');
    expect(opened.apopTimestamp).toBe('<1.2@host>');
    expect(opened.capabilities).toMatchObject({ user: true, uidl: true, sasl: ['PLAIN'] });
    expect(opened.capabilitiesBeforeStls).toBeUndefined();
    expect(opened.tlsInfo).toBeUndefined();
    expect(seenBeforeLogin).toEqual(['CAPA']);
    expect(server.connections).toBe(1);
    expect(session.state).toBe('closed');
  });

  it('quits without logging in: CAPA and QUIT, nothing else', async () => {
    const server = await startServer();

    const opened = await openPop3({ host: server.host, port: server.port, tls: 'none' });
    await opened.quit();

    expect(server.commands).toEqual(['CAPA', 'QUIT']);
    expect((await rejectionOf(opened.login(CREDENTIALS)) as Pop3Error).code).toBe('POP3_CONNECTION_CLOSED');
  });

  it('keeps one handshake deadline from open to login: an idle pre-auth session is dropped, login then fails with POP3_TIMEOUT', async () => {
    const server = await startServer();

    const opened = await openPop3({ host: server.host, port: server.port, tls: 'none', allowInsecureAuth: true, limits: { handshakeTimeoutMs: 200 } });
    await server.nextClose();
    const error = (await rejectionOf(opened.login(CREDENTIALS))) as Pop3Error;

    expect(error.code).toBe('POP3_TIMEOUT');
    expect(server.commands).toEqual(['CAPA']);
  });
});
