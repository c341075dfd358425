/**
 * `pop3-ingest seed` and `pop3-ingest replay` as commands (in-process, the same functions main.ts
 * dispatches to) against a real Dovecot and a local folder: seed, poll only the new mail, replay
 * it into events.jsonl with the same ids, and the --json documents and --help texts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPoll } from '../../lambda/cli/commands/poll.js';
import { runReplay } from '../../lambda/cli/commands/replay.js';
import { runSeed } from '../../lambda/cli/commands/seed.js';
import { REPLAY_SPEC, SEED_SPEC } from '../../lambda/cli/commands/specs.js';
import { commandHelp } from '../../lambda/cli/help.js';
import { makeMessage } from '../support/corpus.js';
import { DEFAULT_USERS, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { captureOutput } from '../handler/support.js';

let dovecot: DovecotServer;
let work: string;

beforeAll(async () => {
  dovecot = await startDovecot();
  work = mkdtempSync(join(tmpdir(), 'pop3-ingest-onboard-cli-'));
  process.env.ONBOARD_PW = DEFAULT_USERS.find((u) => u.user === 'alice')?.password ?? '';
});

afterAll(async () => {
  await dovecot?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs a command with stdout and stderr captured; `doc` is the --json document, when printed. */
async function run(command: (argv: readonly string[]) => Promise<number>, argv: string[]): Promise<{ code: number; doc: Record<string, unknown>; text: string }> {
  const { result, error, text } = await captureOutput(() => command(argv));
  if (error !== undefined) throw error;
  const start = text.indexOf('{\n');
  return { code: result!, doc: start >= 0 ? (JSON.parse(text.slice(start, text.lastIndexOf('}') + 1)) as Record<string, unknown>) : {}, text };
}

const storedIds = (file: string): string[] =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; 'detail-type': string })
    .filter((e) => e['detail-type'] === 'Message Stored').map((e) => e.id);

describe('seed and replay commands', () => {
  it('seed --json, poll the new mail only, replay --dry-run and replay with the same ids', async () => {
    // Prepare
    const out = join(work, 'alice');
    const login = ['--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--tls', 'implicit', '--ca', dovecot.certs.caFile, '--servername', 'localhost',
      '--user', 'alice', '--password-env', 'ONBOARD_PW', '--out', out];
    await dovecot.seed('alice', [makeMessage(1, 1_000), makeMessage(2, 2_000)]);
    // Act
    const seed = await run(runSeed, [...login, '--json']);
    const again = await run(runSeed, [...login]);
    await dovecot.seed('alice', [makeMessage(3, 1_500)]);
    const poll = await run(runPoll, [...login, '--json']);
    const original = storedIds(join(out, 'events.jsonl'));
    const dry = await run(runReplay, ['--out', out, '--dry-run', '--json']);
    const replay = await run(runReplay, ['--out', out, '--from', '2000-01-01']);
    // Assess
    expect(seed.code).toBe(0);
    expect(seed.doc).toMatchObject({ ok: true, mailboxes: [{ status: 'ok', seeded: 2, serverMessages: 2 }] });
    expect(again.text).toContain('0 recorded as seen now, 2 already known');
    expect(poll.doc).toMatchObject({ mailboxes: [{ newMessages: 1, stored: 1 }] });
    expect(original).toHaveLength(1);
    expect(dry.doc).toMatchObject({ ok: true, mailboxes: [{ dryRun: true, matched: 3, events: 1, nothingStored: 2, wouldPublish: [{ id: original[0] }] }] });
    expect(replay.code).toBe(0);
    expect(replay.text).toContain('1 event(s) published');
    expect(storedIds(join(out, 'events.jsonl'))).toEqual([original[0], original[0]]);
  }, 60_000);

  it('a bad --since or --from is a usage error', async () => {
    await expect(runSeed(['--host', 'h', '--user', 'u', '--password-env', 'ONBOARD_PW', '--since', 'last week'])).rejects.toMatchObject({ code: 'CLI_USAGE' });
    await expect(runReplay(['--out', work, '--from', '2026-03-02', '--to', '2026-03-01'])).rejects.toMatchObject({ code: 'CLI_USAGE' });
  });

  it('--help names the flags', () => {
    expect(commandHelp(SEED_SPEC)).toMatch(/--since DATE/);
    expect(commandHelp(REPLAY_SPEC)).toMatch(/--from DATE[\s\S]*--to DATE[\s\S]*--dry-run/);
  });
});
