/**
 * `poll --parse` as users run it: the BUILT CLI against a real Dovecot on loopback, into a local
 * folder. message.json and the attachment land beside the raw message, Message Stored carries the
 * summary; a message that does not parse is still stored and deleted per policy, with a Message
 * Parse Failed event.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type BuiltCli } from './support/built-cli.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { messageTooDeep, messageWithAttachment } from '../support/mime-samples.js';

let cli: BuiltCli;
let dovecot: DovecotServer;
let work: string;

const ALICE = { user: 'alice', password: 'alice-secret-1' };
const BOB = { user: 'bob', password: 'bob secret 2' };
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface JsonLine {
  id: string;
  'detail-type': string;
  detail: Record<string, unknown> & { key: string; parsed?: { attachments: Array<Record<string, unknown>>; messageJson: { key: string; sha256: string } } };
}

beforeAll(async () => {
  [cli, dovecot] = await Promise.all([buildCli(), startDovecot()]);
  work = mkdtempSync(join(tmpdir(), 'pop3-ingest-cli-parse-'));
}, 240_000);

afterAll(async () => {
  cli?.remove();
  await dovecot?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function poll(user: { user: string; password: string }, out: string, extra: string[] = []) {
  const args = [
    'poll', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--tls', 'implicit', '--ca', dovecot.certs.caFile,
    '--user', user.user, '--password-env', 'POP_PW', '--out', out, '--parse', ...extra,
  ];
  return cli.run(args, { env: { POP_PW: user.password } });
}

function events(out: string): JsonLine[] {
  return readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as JsonLine);
}

describe('pop3-ingest poll --parse against Dovecot', () => {
  it('stores message.json and the attachment (keyed by its SHA-256) beside the raw message; Message Stored carries the summary', async () => {
    // Prepare: an attachment whose name would climb out of the folder if it became a path.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(200_000, 0x41)]);
    await dovecot.seed(ALICE.user, [messageWithAttachment(1, pdf, '../../../tmp/evil.pdf')]);
    const out = join(work, 'ok');
    // Act
    const run = await poll(ALICE, out);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const stored = events(out).filter((e) => e['detail-type'] === 'Message Stored');
    expect(stored).toHaveLength(1);
    const { key, parsed } = stored[0]!.detail;
    expect(parsed?.attachments).toEqual([expect.objectContaining({ name: '../../../tmp/evil.pdf', type: 'application/pdf', size: pdf.length, sha256: sha(pdf) })]);
    const attachmentKey = parsed!.attachments[0]!.key as string;
    expect(attachmentKey).toBe(`${key.slice(0, -4)}/attachments/${sha(pdf)}`);
    expect(readFileSync(join(out, attachmentKey)).equals(pdf)).toBe(true);
    const json = readFileSync(join(out, parsed!.messageJson.key));
    expect(sha(json)).toBe(parsed!.messageJson.sha256);
    expect(JSON.parse(json.toString('utf8'))).toMatchObject({ subject: 'Invoice 1', text: expect.stringContaining('Please find the invoice attached.') });
    const sidecar = JSON.parse(readFileSync(join(out, `${attachmentKey}.meta.json`), 'utf8')) as { metadata: Record<string, string> };
    expect(sidecar.metadata.filename).toBe('..%2F..%2F..%2Ftmp%2Fevil.pdf');
    // Nothing named after the attachment anywhere in the folder.
    expect((readdirSync(out, { recursive: true }) as string[]).filter((f) => f.includes('evil'))).toEqual([]);
    expect(statSync(join(out, attachmentKey)).mode & 0o077).toBe(0);
  }, 120_000);

  it('parse-failure-blocks-delete: a message that does not parse is stored, deleted per policy, and gets Message Parse Failed', async () => {
    // Prepare
    const deep = messageTooDeep();
    await dovecot.seed(BOB.user, [deep]);
    const out = join(work, 'deep');
    // Act
    const run = await poll(BOB, out, ['--delete', 'after-store']);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const all = events(out);
    const stored = all.find((e) => e['detail-type'] === 'Message Stored')!;
    const failed = all.find((e) => e['detail-type'] === 'Message Parse Failed')!;
    expect(stored.detail.parsed).toBeUndefined();
    expect(failed.detail).toMatchObject({ kind: 'parse-failed', reason: 'PARSE_TOO_DEEP', retryable: false, key: stored.detail.key });
    expect(readFileSync(join(out, stored.detail.key)).equals(deep)).toBe(true);
    expect(await dovecot.maildirFiles(BOB.user)).toEqual([]);
  }, 120_000);
});
