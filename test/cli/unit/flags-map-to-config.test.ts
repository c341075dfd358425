/**
 * Flags go through the SAME schema as config files: a flag-defined mailbox cannot bypass a
 * validation rule (plaintext login, bad pin, bad delete policy), and errors name the flag.
 */
import { describe, expect, it } from 'vitest';
import { parseCommandArgs, integerFlag } from '../../../lambda/cli/args.js';
import { POLL_SPEC, CHECK_SPEC } from '../../../lambda/cli/commands/specs.js';
import { CliError } from '../../../lambda/cli/errors.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromFlags, defaultMailboxId } from '../../../lambda/cli/flags-config.js';
import { toMailboxPolicy } from '../../../lambda/compose/policy.js';

const poll = (...argv: string[]) => configFromFlags(parseCommandArgs(argv, POLL_SPEC), { requireLogin: true });
const check = (...argv: string[]) => configFromFlags(parseCommandArgs(argv, CHECK_SPEC), { requireLogin: false });
const base = ['--host', 'pop.example.com', '--user', 'me@example.com', '--password-env', 'MAIL_PW'];

async function usage(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('poll flags -> config', () => {
  it('defaults to implicit TLS on 995, delete never, full mode: secure and lossless by default', async () => {
    const config = await poll(...base);
    const m = config.mailboxes[0];
    expect(m).toMatchObject({ host: 'pop.example.com', port: 995, mode: 'full', delete: { kind: 'never' } });
    expect(m?.tls).toMatchObject({ mode: 'implicit', minVersion: 'TLSv1.2', allowInsecureAuth: false });
    expect(m?.auth.secret).toEqual({ env: 'MAIL_PW' });
    expect(m?.id).toBe('default');
    expect(config.storage.bucket).toBeUndefined();
  });

  it('maps every connection and policy flag', async () => {
    const pin = Buffer.alloc(32, 1).toString('base64');
    const m = await poll(
      ...base, '--port', '1110', '--tls', 'starttls', '--ca', 'ca.pem', '--servername', 'mail.example.com', '--min-tls', 'TLSv1.3',
      '--pin', `sha256//${pin}`, '--mechanisms', 'scram-sha-256, plain', '--mode', 'headers', '--delete', 'after-days:7',
      '--max-messages', '10', '--max-bytes', '5m', '--max-message-size', '512k', '--mailbox-id', 'inbox-1', '--bucket', 'my-mail',
      '--event-bus', 'mail-bus', '--prefix', 'raw/',
    );
    expect(m.mailboxes[0]).toMatchObject({
      id: 'inbox-1', port: 1110, mode: 'headers', delete: { kind: 'after-days', days: 7 }, prefix: 'raw/',
      tls: { mode: 'starttls', caFile: 'ca.pem', servername: 'mail.example.com', minVersion: 'TLSv1.3', pinSha256: [pin] },
      auth: { mechanisms: ['SCRAM-SHA-256', 'PLAIN'] },
      limits: { maxMessages: 10, maxBytes: 5 * 1024 * 1024, maxMessageSize: 512 * 1024 },
    });
    expect(m.storage.bucket).toBe('my-mail');
    expect(m.events.busName).toBe('mail-bus');
  });

  it('refuses a plaintext login unless --insecure-auth says so, naming the flag', async () => {
    expect(await usage(() => poll(...base, '--tls', 'none'))).toContain('--insecure-auth');
    expect((await poll(...base, '--tls', 'none', '--insecure-auth')).mailboxes[0]).toMatchObject({ port: 110, tls: { mode: 'none', allowInsecureAuth: true } });
  });

  it('never takes a password on the command line: only an env var name or a file', async () => {
    expect(await usage(() => poll('--host', 'h', '--user', 'u'))).toContain('--password-env');
    expect(() => parseCommandArgs(['--password', 'x'], POLL_SPEC)).toThrow(CliError);
    expect(await usage(() => poll('--host', 'h', '--user', 'u', '--password-env', 'A', '--password-file', 'f'))).toContain('not both');
  });

  it('names the flag for values the schema rejects', async () => {
    expect(await usage(() => poll(...base, '--delete', 'after-days:0'))).toContain('--delete');
    expect(await usage(() => poll(...base, '--pin', 'abc'))).toContain('--pin');
    expect(await usage(() => poll(...base, '--mailbox-id', 'Bad Id'))).toContain('--mailbox-id');
    expect(await usage(() => poll(...base, '--mechanisms', 'NTLM'))).toContain('--mechanisms');
    expect(await usage(() => poll(...base, '--port', '70000'))).toContain('--port');
    expect(await usage(() => poll(...base, '--max-bytes', '12q'))).toContain('--max-bytes');
  });

  it('keeps --config and per-mailbox flags apart', async () => {
    expect(await usage(() => poll('--config', 'x.json', '--host', 'h'))).toContain('--host');
    expect(await usage(() => poll(...base, '--mailbox', 'x'))).toContain('--mailbox-id');
  });

  it('rejects stray arguments', () => {
    expect(() => parseCommandArgs(['extra'], POLL_SPEC)).toThrow(/unexpected argument/);
  });
});

describe('check flags -> config', () => {
  it('needs no credentials, and never lets a plaintext check send any', async () => {
    const m = (await check('--host', 'pop.example.com', '--tls', 'none')).mailboxes[0];
    expect(m).toMatchObject({ port: 110, tls: { mode: 'none' } });
    expect(await usage(() => check('--host', 'h', '--tls', 'none', '--user', 'u', '--password-env', 'P'))).toContain('--insecure-auth');
  });
});

describe('helpers', () => {
  it('keeps one mailbox id per output folder, whatever the host is called (no silent second mailbox)', async () => {
    // Prepare
    const out = mkdtempSync(join(tmpdir(), 'cli-default-id-'));
    try {
      // Act + Assess: an empty folder gets "default"; a folder with one mailbox keeps it
      expect(defaultMailboxId(out)).toBe('default');
      const a = await poll('--host', '127.0.0.1', '--user', 'me', '--password-env', 'P');
      const b = await poll('--host', 'localhost', '--user', 'me', '--password-env', 'P');
      expect(a.mailboxes[0]?.id).toBe(b.mailboxes[0]?.id);
      mkdirSync(join(out, '.state', 'state'), { recursive: true });
      writeFileSync(join(out, '.state', 'state', 'me-127.0.0.1.json'), '{}');
      expect(defaultMailboxId(out)).toBe('me-127.0.0.1');
      writeFileSync(join(out, '.state', 'state', 'other.json'), '{}');
      expect(defaultMailboxId(out)).toBe('default');
      // ...while the identity tells the two spellings apart, so the sync core can refuse the change
      expect(toMailboxPolicy(a.mailboxes[0]!).identity).not.toBe(toMailboxPolicy(b.mailboxes[0]!).identity);
      expect(toMailboxPolicy((await poll('--host', 'LOCALHOST.', '--user', 'me', '--password-env', 'P')).mailboxes[0]!).identity).toBe(
        toMailboxPolicy(b.mailboxes[0]!).identity,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('maps --accept-new-identity, --max-attempts and --retry-failed onto the policy', async () => {
    const m = (await poll(...base, '--accept-new-identity', '--max-attempts', '7')).mailboxes[0]!;
    expect(toMailboxPolicy(m, { retryFailed: true })).toMatchObject({ acceptNewIdentity: true, maxAttempts: 7, retryFailed: true });
    expect(toMailboxPolicy((await poll(...base)).mailboxes[0]!).maxAttempts).toBe(3);
    expect(await usage(() => poll(...base, '--max-attempts', '101'))).toContain('--max-attempts');
  });

  it('parses sizes with k/m/g suffixes, and only where sizes are meant', () => {
    expect(integerFlag({ n: '2g' }, 'n', { min: 1, max: 2 ** 40, size: true })).toBe(2 * 1024 ** 3);
    expect(() => integerFlag({ n: '2g' }, 'n', { min: 1, max: 10 })).toThrow(CliError);
    expect(() => integerFlag({ n: '0' }, 'n', { min: 1, max: 10 })).toThrow(/out of range/);
  });
});
