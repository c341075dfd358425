/**
 * The bin (dist/lambda/cli/main.js) starts the one-file bundle of `npm run build`
 * (dist/bundle/cli/), not the hundred compiled modules: a poll against a real Dovecot works with
 * every compiled module but the bin removed and no node_modules. And a bundle older than the bin
 * (a bare `tsc` after an earlier build) is never run: it could be last week's code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, type BuiltCli } from './support/built-cli.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { CORPUS } from '../support/corpus.js';

let cli: BuiltCli;
let dovecot: DovecotServer;
let work: string;

const ALICE = { user: 'alice', password: 'alice-secret-1' };

beforeAll(async () => {
  [cli, dovecot] = await Promise.all([buildCli(), startDovecot()]);
  work = mkdtempSync(join(tmpdir(), 'pop3-ingest-cli-bundle-'));
  // Only the bin and the bundle are left: nothing else could serve a poll.
  for (const name of readdirSync(join(cli.dir, 'dist', 'lambda'))) if (name !== 'cli') rmSync(join(cli.dir, 'dist', 'lambda', name), { recursive: true });
  for (const name of readdirSync(join(cli.dir, 'dist', 'lambda', 'cli'))) if (name !== 'main.js') rmSync(join(cli.dir, 'dist', 'lambda', 'cli', name), { recursive: true });
  rmSync(join(cli.dir, 'node_modules'));
}, 240_000);

afterAll(async () => {
  cli?.remove();
  await dovecot?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the bin runs the bundle', () => {
  it('polls a real mailbox over implicit TLS from the bundle alone', async () => {
    // Prepare
    await dovecot.seed(ALICE.user, CORPUS.slice(0, 3).map((m) => m.raw));
    const args = [
      'poll', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--ca', dovecot.certs.caFile,
      '--user', ALICE.user, '--password-env', 'POP_PW', '--out', join(work, 'out'), '--json',
    ];

    // Act
    const run = await cli.run(args, { env: { POP_PW: ALICE.password } });

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, mailboxes: [{ status: 'ok', newMessages: 3, stored: 3 }] });
    expect((await cli.run(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  }, 120_000);

  it('does not run a bundle older than the bin, but the compiled modules (here removed: so it fails)', async () => {
    // Prepare: the bin compiled after the bundle was written
    const later = new Date(Date.now() + 60_000);
    utimesSync(cli.mainJs, later, later);

    // Act
    const run = await cli.run(['--version']);

    // Assess
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/entry\.js/);
  });
});
