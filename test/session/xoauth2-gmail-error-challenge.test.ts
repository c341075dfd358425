/**
 * Gmail answers a rejected XOAUTH2 token with `+ <base64 JSON>`; the client must send an empty
 * line, then gets -ERR. The error must say what the JSON said (status and scope: an expired
 * token and a token without the https://mail.google.com/ scope need different fixes), escaped.
 */
import { describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import type { FakeHandler } from '../support/fake-pop3-server.js';
import { fakeServerPerTest, plainOptions, rejectionOf } from './helpers.js';

const GMAIL_ERROR = '{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}';

/** Gmail's exchange for a rejected token, byte for byte. */
function gmailRejects(json: string): FakeHandler {
  let challenged = false;
  return (c, line) => {
    if (line.startsWith('AUTH XOAUTH2 ')) {
      challenged = true;
      c.line(`+ ${Buffer.from(json).toString('base64')}`);
      return true;
    }
    if (challenged) {
      challenged = false;
      // Gmail insists on the empty response before it says -ERR.
      c.line(line === '' ? '-ERR [AUTH] Invalid credentials (Failure)' : '-ERR protocol violation');
      return true;
    }
    return false;
  };
}

describe('a rejected XOAUTH2 token, Gmail style', () => {
  const startServer = fakeServerPerTest();
  const capabilities = ['USER', 'UIDL', 'SASL PLAIN XOAUTH2'];

  it('is answered with an empty line and reported with the JSON status and scope', async () => {
    // Prepare
    const server = await startServer({ capabilities, handler: gmailRejects(GMAIL_ERROR) });

    // Act
    const error = await rejectionOf(connectPop3(plainOptions(server, { credentials: { user: 'alice@gmail.test', accessToken: 'ya29.expired' } })));

    // Assess
    expect(error).toBeInstanceOf(Pop3Error);
    expect(error).toMatchObject({ code: 'POP3_AUTH_FAILED', category: 'auth', serverText: 'Invalid credentials (Failure)' });
    expect((error as Error).message).toBe('server rejected the access token (status 400, scope https://mail.google.com/)');
    expect(server.commands.at(-1)).toBe('');
    expect((error as Error).message).not.toContain('ya29');
  });

  it('escapes what the JSON carries and says when it is not JSON', async () => {
    const hostile = await startServer({ capabilities, handler: gmailRejects('{"status":"4\\u001b[2J00","scope":"a\\r\\nb"}') });
    const garbage = await startServer({ capabilities, handler: gmailRejects('not json \x01') });
    const options = { credentials: { user: 'alice@gmail.test', accessToken: 'ya29.x' } };

    const hostileError = await rejectionOf(connectPop3(plainOptions(hostile, options)));
    const garbageError = await rejectionOf(connectPop3(plainOptions(garbage, options)));

    expect((hostileError as Error).message).toBe('server rejected the access token (status 4\\x1b[2J00, scope a\\x0d\\x0ab)');
    expect((garbageError as Error).message).toBe('server rejected the access token (unreadable error challenge not json \\x01)');
  });
});
