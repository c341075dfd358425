import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

describe('a server that cheats during SASL', () => {
  const startServer = fakeServerPerTest();

  it('saying +OK to SCRAM before proving it knows the password is not trusted', async () => {
    // Prepare: an impostor accepts the client-first message at once (RFC 5802: the real
    // server must send server-final with its signature)
    const server = await startServer({
      capabilities: ['UIDL', 'SASL SCRAM-SHA-256'],
      handler: (conn, line) => {
        if (!line.startsWith('AUTH SCRAM-SHA-256')) return false;
        conn.line('+OK welcome, whoever you are');
        return true;
      },
    });

    // Act
    const error = await rejectionOf(connectPop3(plainOptions(server, { authMethods: ['SCRAM-SHA-256'] })));

    // Assess
    expect((error as Pop3Error).code).toBe('POP3_AUTH_FAILED');
    expect((error as Pop3Error).message).toMatch(/not verified/);
    expect(server.commands).not.toContain('UIDL');
  });

  it('sending a challenge that is not base64 gets the exchange cancelled with "*"', async () => {
    const server = await startServer({
      capabilities: ['UIDL', 'SASL CRAM-MD5'],
      handler: (conn, line) => {
        if (line === 'AUTH CRAM-MD5') {
          conn.line('+ this is not base64!');
          return true;
        }
        if (line === '*') {
          conn.line('-ERR cancelled');
          return true;
        }
        return false;
      },
    });

    const error = await rejectionOf(connectPop3(plainOptions(server, { authMethods: ['CRAM-MD5'] })));

    expect(error).toBeInstanceOf(Pop3Error);
    expect((error as Pop3Error).code).toBe('POP3_PROTOCOL');
    expect(server.commands).toContain('*');
  });
});
