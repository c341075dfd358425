/**
 * Threat: a password typed where a NAME goes (`--password-env hunter2`, `--password-file
 * hunter2`, `"secret": {"env": "hunter2"}`) or on a flag that does not exist (`--password`) gets
 * printed to the terminal, the --json document, the "Mailbox Polled" event in events.jsonl and
 * the logs. The built CLI runs as a child process; every output it can make is searched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer, type DemoServer } from '../../lambda/cli/demo/server.js';
import { DEMO_MESSAGES } from '../../lambda/cli/demo/samples.js';
import { buildCli, type BuiltCli, type CliResult } from './support/built-cli.js';

/** Looks like a password and is a valid variable name and file name, so nothing rejects it early. */
const SECRET = 'Hunter2xSecretValue';

let cli: BuiltCli;
let work: string;
let server: DemoServer;

beforeAll(async () => {
  [cli, server] = await Promise.all([buildCli(), startDemoServer({ messages: DEMO_MESSAGES, user: 'demo', password: 'right-password' })]);
  work = mkdtempSync(join(tmpdir(), 'pop3-ingest-secret-echo-'));
}, 240_000);

afterAll(async () => {
  cli?.remove();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Everything a run left behind: stdout, stderr and the events file of its --out folder. */
function everything(r: CliResult, out: string): string {
  const events = join(out, 'events.jsonl');
  return `${r.stdout}\n${r.stderr}\n${existsSync(events) ? readFileSync(events, 'utf8') : ''}`;
}

const connection = (): string[] => ['--host', server.host, '--port', String(server.port), '--tls', 'none', '--insecure-auth', '--user', 'demo'];

describe('a secret-looking value given to a secret-bearing flag or field is never echoed', () => {
  const flagCases: Array<[string, string[]]> = [
    ['--password-env VALUE', ['--password-env', SECRET]],
    ['--password-file VALUE', ['--password-file', SECRET]],
    ['--password VALUE', ['--password', SECRET]],
    ['--password=VALUE', [`--password=${SECRET}`]],
    ['--pasword-env=VALUE (misspelt flag)', [`--pasword-env=${SECRET}`]],
  ];

  it.each(flagCases)('%s: not in stdout, stderr, --json, events or -v logs', async (_name, flags) => {
    for (const output of [['--json', '--verbose'], ['--verbose'], []]) {
      // Prepare
      const out = mkdtempSync(join(work, 'flags-'));

      // Act
      const r = await cli.run(['poll', ...connection(), ...flags, '--out', out, ...output], { cwd: work });

      // Assess: it failed (no such variable or file, or a usage error), and said so without the value
      expect([2, 3]).toContain(r.code);
      expect(everything(r, out)).not.toContain(SECRET);
    }
  }, 120_000);

  it('names the flag instead: "the environment variable named by --password-env ... is not set"', async () => {
    const out = mkdtempSync(join(work, 'named-'));
    const r = await cli.run(['poll', ...connection(), '--password-env', SECRET, '--out', out, '--json'], { cwd: work });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { mailboxes: Array<{ error: { message: string } }> };
    expect(doc.mailboxes[0]?.error.message).toBe('the environment variable named by --password-env (auth.secret.env) is not set');
    // The "Mailbox Polled" event carries the same safe message.
    const polled = readFileSync(join(out, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { 'detail-type': string; detail: { error?: { message: string } } });
    expect(polled.find((e) => e['detail-type'] === 'Mailbox Polled')?.detail.error?.message).toContain('--password-env');
  }, 60_000);

  it.each([
    ['auth.secret.env', { env: SECRET }],
    ['auth.secret.file', { file: SECRET }],
  ])('config field %s: not in stdout, stderr, --json, events or -v logs (poll and check)', async (_field, secret) => {
    // Prepare
    const out = mkdtempSync(join(work, 'config-'));
    const config = join(out, 'mailboxes.json');
    writeFileSync(config, JSON.stringify({
      mailboxes: [{ id: 'cfg', host: server.host, port: server.port, tls: { mode: 'none', allowInsecureAuth: true }, auth: { user: 'demo', secret } }],
    }));

    // Act
    const poll = await cli.run(['poll', '--config', config, '--out', out, '--json', '--verbose'], { cwd: work });
    const check = await cli.run(['check', '--config', config, '--json', '--verbose'], { cwd: work });

    // Assess
    expect(poll.code).toBe(3);
    expect(everything(poll, out)).not.toContain(SECRET);
    expect(check.code).toBe(3);
    expect(check.stdout + check.stderr).not.toContain(SECRET);
  }, 60_000);
});
