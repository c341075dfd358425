/**
 * Onboarding cost, whole CLI process: `pop3-ingest seed` of a mailbox of N messages, with and
 * without --since (one pipelined TOP n 0 per message), beside `pop3-ingest poll` downloading the
 * same mailbox, each into a fresh folder, against a private Dovecot on loopback (implicit TLS).
 * Needs `npm run build` (dist/). Prints wall time per run and messages per second.
 *
 *   npm run build && tsx bench/seed.ts [--messages 5000] [--size 4000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeMessage } from '../test/support/corpus.js';
import { DEFAULT_USERS, startDovecot } from '../test/support/dovecot.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, size: { type: 'string', default: '4000' } } });
const count = Number(args.messages);
const size = Number(args.size);

const dovecot = await startDovecot();
const work = mkdtempSync(join(tmpdir(), 'pop3-ingest-bench-seed-'));
try {
  // Half dated 2024, half 2026: --since 2025-01-01 leaves half for the poll.
  await dovecot.seed('alice', Array.from({ length: count }, (_, i) => {
    const raw = makeMessage(i, size).toString('latin1');
    return Buffer.from(raw.replace(/^Date: .*$/m, `Date: ${i < count / 2 ? 'Mon, 1 Jan 2024' : 'Sun, 1 Mar 2026'} 10:00:00 +0000`), 'latin1');
  }));
  const password = DEFAULT_USERS.find((u) => u.user === 'alice')?.password ?? '';
  const login = ['--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--tls', 'implicit', '--ca', dovecot.certs.caFile, '--servername', 'localhost',
    '--user', 'alice', '--password-env', 'BENCH_PW', '--json'];
  const rows: Array<{ run: string; seconds: number; perSecond: number; result: string }> = [];
  for (const [name, command, extra] of [
    ['seed', 'seed', []],
    ['seed --since (TOP n 0 each)', 'seed', ['--since', '2025-01-01']],
    ['poll (RETR each, for comparison)', 'poll', []],
  ] as Array<[string, string, string[]]>) {
    const out = mkdtempSync(join(work, 'out-'));
    const started = performance.now();
    const stdout = await cli([command, ...login, ...extra, '--out', out], { BENCH_PW: password });
    const seconds = (performance.now() - started) / 1000;
    const doc = JSON.parse(stdout) as { mailboxes: Array<Record<string, unknown>> };
    const m = doc.mailboxes[0] ?? {};
    const result = command === 'seed' ? `seeded ${String(m['seeded'])}, left ${Number(m['recent']) + Number(m['undated'])}` : `stored ${String(m['stored'])}`;
    rows.push({ run: name, seconds, perSecond: count / seconds, result });
  }
  process.stdout.write(`Onboarding ${count} messages of ${size} octets, whole CLI process, Dovecot on loopback (implicit TLS)\n`);
  for (const r of rows) process.stdout.write(`  ${r.run.padEnd(34)} ${r.seconds.toFixed(2).padStart(7)} s  ${Math.round(r.perSecond).toString().padStart(7)} msg/s  ${r.result}\n`);
} finally {
  await dovecot.stop();
  rmSync(work, { recursive: true, force: true });
}

function cli(argv: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'lambda', 'cli', 'main.js'), ...argv], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pop3-ingest ${argv[0]} exited ${code}`))));
  });
}
