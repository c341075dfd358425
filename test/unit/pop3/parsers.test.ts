import { describe, expect, it } from 'vitest';
import { parseCapabilities } from '../../../lambda/pop3/capabilities.js';
import { escapeServerText } from '../../../lambda/pop3/escape.js';
import { errorCodeForReply, parseStatusLine } from '../../../lambda/pop3/response.js';
import { isValidUid, parseListLine, parseStat, parseUidlLine, validateUidlListing } from '../../../lambda/pop3/uid.js';
import { Pop3Error } from '../../../lambda/pop3/errors.js';
import { resolveLimits } from '../../../lambda/pop3/limits.js';

describe('status lines', () => {
  it('parses +OK, -ERR and response codes (RFC 2449 section 8, RFC 3206)', () => {
    expect(parseStatusLine('+OK')).toEqual({ kind: 'ok', text: '' });
    expect(parseStatusLine('+OK 2 320')).toEqual({ kind: 'ok', text: '2 320' });
    expect(parseStatusLine('-ERR [IN-USE] locked')).toEqual({ kind: 'err', text: 'locked', responseCode: 'IN-USE' });
    expect(parseStatusLine('-ERR [SYS/TEMP] try later')).toMatchObject({ responseCode: 'SYS/TEMP' });
    expect(parseStatusLine('-ERR [X-VENDOR/THING] odd')).toMatchObject({ responseCode: 'X-VENDOR/THING', text: 'odd' });
    expect(parseStatusLine('-ERR [not a code')).toEqual({ kind: 'err', text: '[not a code' });
  });

  it('accepts "+ " continuations only where AUTH expects them', () => {
    expect(parseStatusLine('+ abc=', { allowContinuation: true })).toEqual({ kind: 'continue', text: 'abc=' });
    expect(parseStatusLine('+', { allowContinuation: true })).toEqual({ kind: 'continue', text: '' });
    expect(() => parseStatusLine('+ abc=')).toThrow(Pop3Error);
  });

  it('rejects lines that are neither +OK nor -ERR, escaping what the server said', () => {
    try {
      parseStatusLine('+OKAY\x1b[31m');
      expect.unreachable();
    } catch (error) {
      expect((error as Pop3Error).code).toBe('POP3_PROTOCOL');
      expect((error as Pop3Error).serverText).toBe('+OKAY\\x1b[31m');
    }
  });

  it('maps every known response code to its typed error, unknown ones to the fallback', () => {
    const code = (c: string) => errorCodeForReply({ kind: 'err', text: '', responseCode: c }, 'POP3_COMMAND_FAILED');
    expect(code('IN-USE')).toBe('POP3_IN_USE');
    expect(code('LOGIN-DELAY')).toBe('POP3_LOGIN_DELAY');
    expect(code('SYS/TEMP')).toBe('POP3_SYS_TEMP');
    expect(code('SYS/PERM')).toBe('POP3_SYS_PERM');
    expect(code('AUTH')).toBe('POP3_AUTH_FAILED');
    expect(code('in-use')).toBe('POP3_IN_USE');
    expect(code('WHATEVER')).toBe('POP3_COMMAND_FAILED');
  });
});

describe('CAPA', () => {
  it('parses the RFC 2449 capabilities', () => {
    const caps = parseCapabilities([
      'TOP', 'USER', 'UIDL', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE', 'STLS',
      'SASL PLAIN scram-sha-256 LOGIN PLAIN', 'UTF8 USER', 'EXPIRE 30', 'LOGIN-DELAY 900', 'IMPLEMENTATION Dovecot pop3', 'X-UNKNOWN 1',
    ]);
    expect(caps).toMatchObject({
      capaSupported: true, top: true, user: true, uidl: true, pipelining: true, respCodes: true, authRespCode: true,
      stls: true, utf8: true, sasl: ['PLAIN', 'SCRAM-SHA-256', 'LOGIN'], expire: 30, loginDelaySeconds: 900, implementation: 'Dovecot pop3',
    });
    expect(caps.names).toContain('X-UNKNOWN');
  });

  it('understands EXPIRE NEVER and ignores malformed numbers', () => {
    expect(parseCapabilities(['EXPIRE NEVER']).expire).toBe('never');
    const caps = parseCapabilities(['EXPIRE soon', 'LOGIN-DELAY -1']);
    expect(caps.expire).toBeUndefined();
    expect(caps.loginDelaySeconds).toBeUndefined();
  });
});

describe('LIST and UIDL lines', () => {
  it('validates UIDs per RFC 1939 (1-70 chars in 0x21-0x7E)', () => {
    expect(isValidUid('a')).toBe(true);
    expect(isValidUid('~'.repeat(70))).toBe(true);
    expect(isValidUid('x'.repeat(71))).toBe(false);
    expect(isValidUid('')).toBe(false);
    expect(isValidUid('has space')).toBe(false);
    expect(isValidUid('caf\xe9')).toBe(false);
    expect(isValidUid('../../etc/passwd')).toBe(true); // valid per RFC: keys must hash it, never use it raw
  });

  it('parses LIST, UIDL and STAT replies, refusing malformed numbers', () => {
    expect(parseListLine('3 1200')).toEqual({ msg: 3, size: 1200 });
    expect(parseListLine('3 1200 extra')).toEqual({ msg: 3, size: 1200 });
    expect(() => parseListLine('x 1')).toThrow(Pop3Error);
    expect(() => parseListLine('1 -5')).toThrow(Pop3Error);
    expect(() => parseListLine('0 5')).toThrow(Pop3Error);
    expect(parseUidlLine('1 abc')).toEqual({ msg: 1, uid: 'abc' });
    expect(parseUidlLine('1 a b')).toMatchObject({ msg: 1, reason: 'invalid-uid', uidEscaped: 'a b' });
    expect(parseStat('2 320')).toEqual({ count: 2, size: 320 });
    expect(() => parseStat('two')).toThrow(Pop3Error);
  });

  it('leaves out and reports invalid UIDs, and EVERY holder of a duplicated UID', () => {
    const listing = validateUidlListing(['1 ok-1', '2 dup', '3 \x01bad', '4 dup', '5 ok-5']);
    expect(listing.entries).toEqual([{ msg: 1, uid: 'ok-1' }, { msg: 5, uid: 'ok-5' }]);
    expect(listing.rejected).toEqual([
      { msg: 2, uidEscaped: 'dup', reason: 'duplicate-uid' },
      { msg: 3, uidEscaped: '\\x01bad', reason: 'invalid-uid' },
      { msg: 4, uidEscaped: 'dup', reason: 'duplicate-uid' },
    ]);
  });

  it('refuses a listing that names the same message twice', () => {
    expect(() => validateUidlListing(['1 a', '1 b'])).toThrow(/twice/);
  });
});

describe('escapeServerText', () => {
  it('escapes control characters, backslashes and 8-bit bytes, and truncates', () => {
    expect(escapeServerText('ok\r\n\x1b[2J\\')).toBe('ok\\x0d\\x0a\\x1b[2J\\x5c');
    expect(escapeServerText(Buffer.from([0xc3, 0xa9]))).toBe('\\xc3\\xa9');
    expect(escapeServerText('a'.repeat(10), 4)).toBe('aaaa...(+6 bytes)');
  });
});

describe('limits', () => {
  it('refuses a pipeline window below 64 and nonsense values', () => {
    expect(resolveLimits().pipelineWindow).toBeGreaterThanOrEqual(64);
    expect(() => resolveLimits({ pipelineWindow: 10 })).toThrow(RangeError);
    expect(() => resolveLimits({ maxLineLength: 0 })).toThrow(RangeError);
    expect(() => resolveLimits({ pipelineLowWater: 500 })).toThrow(RangeError);
  });
});
