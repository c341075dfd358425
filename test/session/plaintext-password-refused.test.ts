import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, rejectionOf } from './helpers.js';

describe('a password over a plaintext connection', () => {
  const startServer = fakeServerPerTest();

  it('is refused before anything secret is sent unless allowInsecureAuth is set', async () => {
    const server = await startServer();

    const error = await rejectionOf(connectPop3({
      host: server.host, port: server.port, tls: 'none', credentials: { user: 'alice', password: 'secret' },
    }));

    expect((error as Pop3Error).code).toBe('POP3_INSECURE_AUTH_REFUSED');
    expect(server.commands).toEqual(['CAPA']);
  });

  it('credentials carrying CR/LF (command injection) are refused before connecting', async () => {
    const server = await startServer();

    const error = await rejectionOf(connectPop3({
      host: server.host, port: server.port, tls: 'none', allowInsecureAuth: true,
      credentials: { user: 'alice', password: 'x\r\nDELE 1' },
    }));

    expect((error as Pop3Error).code).toBe('POP3_INVALID_CREDENTIALS');
    expect(server.connections).toBe(0);
  });
});
