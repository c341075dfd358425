import { describe, expect, it } from 'vitest';
import { classifyError, IngestError } from '../../../lambda/shared/errors.js';
import { POP3_ERROR_CODES, Pop3Error, maskCommand } from '../../../lambda/pop3/errors.js';

describe('the Pop3Error catalogue', () => {
  it('is pinned: adding, removing or re-categorising a code is a deliberate change', () => {
    expect(POP3_ERROR_CODES).toEqual({
      POP3_CONNECT_FAILED: 'transient',
      POP3_TLS_FAILED: 'transient',
      POP3_CERT_UNTRUSTED: 'permanent',
      POP3_CERT_PIN_MISMATCH: 'permanent',
      POP3_STLS_UNAVAILABLE: 'permanent',
      POP3_STLS_INJECTION: 'permanent',
      POP3_TIMEOUT: 'transient',
      POP3_ABORTED: 'transient',
      POP3_CONNECTION_CLOSED: 'transient',
      POP3_PROTOCOL: 'permanent',
      POP3_DESYNC: 'permanent',
      POP3_LIMIT_EXCEEDED: 'permanent',
      POP3_MESSAGE_TOO_LARGE: 'permanent',
      POP3_INVALID_UID: 'permanent',
      POP3_AUTH_FAILED: 'auth',
      POP3_AUTH_UNAVAILABLE: 'permanent',
      POP3_INSECURE_AUTH_REFUSED: 'permanent',
      POP3_INVALID_CREDENTIALS: 'auth',
      POP3_IN_USE: 'throttled',
      POP3_LOGIN_DELAY: 'throttled',
      POP3_SYS_TEMP: 'transient',
      POP3_SYS_PERM: 'permanent',
      POP3_COMMAND_FAILED: 'transient',
      POP3_UNSUPPORTED: 'permanent',
    });
  });

  it('classifies through the shared classifier, retryable only when transient or throttled', () => {
    for (const [code, category] of Object.entries(POP3_ERROR_CODES)) {
      const error = new Pop3Error(code as keyof typeof POP3_ERROR_CODES, 'x');
      expect(error).toBeInstanceOf(IngestError);
      expect(classifyError(error)).toEqual({ category, code, retryable: category === 'transient' || category === 'throttled' });
    }
  });

  it('keeps the server text apart from our message and masks the command', () => {
    const error = new Pop3Error('POP3_AUTH_FAILED', 'server rejected the credentials', {
      command: 'PASS hunter2', serverText: 'bad password', responseCode: 'AUTH', cause: new Error('inner'),
    });
    expect(error.message).toBe('server rejected the credentials');
    expect(error.serverText).toBe('bad password');
    expect(error.command).toBe('PASS ****');
    expect(error.responseCode).toBe('AUTH');
    expect(error.cause).toBeInstanceOf(Error);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('hunter2');
  });
});

describe('maskCommand never lets a secret into a log', () => {
  it.each([
    ['PASS hunter2', 'PASS ****'],
    ['pass hunter2', 'PASS ****'],
    ['APOP alice c4c9334bac560ecc979e58001b3e22fb', 'APOP alice ****'],
    ['AUTH PLAIN AGFsaWNlAHNlY3JldA==', 'AUTH PLAIN ****'],
    ['AUTH SCRAM-SHA-256', 'AUTH SCRAM-SHA-256'],
    ['dXNlcj1hbGljZQ==', '****'],
    ['', '****'],
    ['*', '*'],
    ['RETR 1', 'RETR 1'],
    ['USER alice', 'USER alice'],
  ])('%s -> %s', (line, masked) => {
    expect(maskCommand(line)).toBe(masked);
  });
});
