/**
 * The exit-code contract scripts rely on: one number per thing a caller can act on.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode, EXIT_CODE_HELP, exitCodeForError, exitCodeForSummary, worstExitCode } from '../../../lambda/cli/exit-codes.js';
import { usageError } from '../../../lambda/cli/errors.js';
import { ConfigError } from '../../../lambda/config/errors.js';
import { Pop3Error } from '../../../lambda/pop3/errors.js';
import { failedSummary } from '../../../lambda/compose/poll-mailboxes.js';
import type { PollSummary } from '../../../lambda/sync/types.js';

const summary = (status: PollSummary['status'], category?: string, code = 'X'): PollSummary => ({
  ...failedSummary('m', new Date(0), new Error('x')),
  status,
  ...(category === undefined ? { error: undefined } : { error: { code, category, message: 'm', retryable: false } }),
});

describe('exit codes', () => {
  it('pins the documented numbers', () => {
    expect(ExitCode).toEqual({ OK: 0, OTHER: 1, USAGE: 2, AUTH: 3, BUSY: 4, TRANSIENT: 5, INTERRUPTED: 130 });
    for (const n of [0, 1, 2, 3, 4, 5, 130]) expect(EXIT_CODE_HELP).toMatch(new RegExp(`^  ${n} +[a-z]`, 'm'));
  });

  it('maps errors through the one classifier', () => {
    expect(exitCodeForError(usageError('bad flag'))).toBe(2);
    expect(exitCodeForError(new ConfigError('CONFIG_INVALID', 'bad config'))).toBe(2);
    expect(exitCodeForError(new ConfigError('MAILBOX_UNKNOWN', 'no such mailbox'))).toBe(2);
    expect(exitCodeForError(new Pop3Error('POP3_AUTH_FAILED', 'refused'))).toBe(3);
    expect(exitCodeForError(new Pop3Error('POP3_IN_USE', 'busy'))).toBe(4);
    expect(exitCodeForError(new Pop3Error('POP3_LOGIN_DELAY', 'later'))).toBe(4);
    expect(exitCodeForError(new Pop3Error('POP3_CONNECT_FAILED', 'refused'))).toBe(5);
    expect(exitCodeForError(new Pop3Error('POP3_TLS_FAILED', 'handshake'))).toBe(5);
    expect(exitCodeForError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(5);
    expect(exitCodeForError(new Pop3Error('POP3_PROTOCOL', 'garbage'))).toBe(1);
    expect(exitCodeForError(new Error('bug'))).toBe(1);
  });

  it('maps a poll summary: ok 0 (new mail or not), busy 4, failures by category', () => {
    expect(exitCodeForSummary(summary('ok'))).toBe(0);
    expect(exitCodeForSummary(summary('busy'))).toBe(4);
    expect(exitCodeForSummary(summary('failed', 'auth'))).toBe(3);
    expect(exitCodeForSummary(summary('failed', 'transient'))).toBe(5);
    expect(exitCodeForSummary(summary('failed', 'permanent'))).toBe(1);
    expect(exitCodeForSummary(summary('circuit-open'))).toBe(1);
  });

  it('lets the mailbox that most needs a human decide the exit code of a multi-mailbox poll', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([0, 4, 0])).toBe(4);
    expect(worstExitCode([4, 5])).toBe(5);
    expect(worstExitCode([5, 1])).toBe(1);
    expect(worstExitCode([1, 3, 4])).toBe(3);
    expect(worstExitCode([3, 2])).toBe(2);
  });
});
