/**
 * The BUILT CLI against a real, private Dovecot on loopback: poll over STLS and implicit TLS,
 * check before and after login, and the exit codes a real server produces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, type BuiltCli } from './support/built-cli.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { CORPUS } from '../support/corpus.js';

let cli: BuiltCli;
let dovecot: DovecotServer;
let work: string;

const ALICE = { user: 'alice', password: 'alice-secret-1' };
const BOB = { user: 'bob', password: 'bob secret 2' };
const CAROL = { user: 'carol', password: 'c4rol!pa$$word' };

beforeAll(async () => {
  [cli, dovecot] = await Promise.all([buildCli(), startDovecot()]);
  work = mkdtempSync(join(tmpdir(), 'pop3-ingest-cli-dovecot-'));
}, 240_000);

afterAll(async () => {
  cli?.remove();
  await dovecot?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function emlFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.eml') && statSync(join(dir, f)).isFile());
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface PollDoc {
  ok: boolean;
  exitCode: number;
  mailboxes: Array<{ status: string; newMessages: number; stored: number; deleted: number; error?: { code: string; category: string } }>;
}

describe('pop3-ingest poll against Dovecot', () => {
  it('polls over STLS with --ca: every message stored byte for byte, nothing new the second time', async () => {
    // Prepare
    await dovecot.seed(ALICE.user, CORPUS.map((m) => m.raw));
    const out = join(work, 'stls');
    const args = [
      'poll', '--host', dovecot.host, '--port', String(dovecot.pop3Port), '--tls', 'starttls', '--ca', dovecot.certs.caFile,
      '--user', ALICE.user, '--password-env', 'POP_PW', '--out', out,
    ];

    // Act
    const first = await cli.run(args, { env: { POP_PW: ALICE.password } });

    // Assess
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${CORPUS.length} new`);
    const stored = emlFiles(out).map((f) => sha(readFileSync(join(out, f)))).sort();
    expect(stored).toEqual(CORPUS.map((m) => sha(m.expected)).sort());
    expect(first.stdout + first.stderr).not.toContain(ALICE.password);

    // Act: again
    const second = await cli.run([...args, '--json'], { env: { POP_PW: ALICE.password } });

    // Assess
    expect(second.code, second.stderr).toBe(0);
    const doc = JSON.parse(second.stdout) as PollDoc;
    expect(doc.mailboxes[0]).toMatchObject({ status: 'ok', newMessages: 0, stored: 0 });
    // delete defaults to never: the server still has everything
    expect(await dovecot.maildirFiles(ALICE.user)).toHaveLength(CORPUS.length);
  }, 120_000);

  it('polls over implicit TLS, and with --delete after-store removes only what it stored', async () => {
    // Prepare
    await dovecot.seed(CAROL.user, CORPUS.slice(0, 4).map((m) => m.raw));
    const passwordFile = join(work, 'carol.pw');
    await writeFile(passwordFile, `${CAROL.password}\n`, { mode: 0o600 });

    // Act
    const r = await cli.run(
      [
        'poll', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--ca', dovecot.certs.caFile,
        '--user', CAROL.user, '--password-file', passwordFile, '--delete', 'after-store', '--out', join(work, 'implicit'), '--json',
      ],
      { env: {} },
    );

    // Assess
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as PollDoc;
    expect(doc.mailboxes[0]).toMatchObject({ status: 'ok', newMessages: 4, stored: 4, deleted: 4 });
    expect(emlFiles(join(work, 'implicit'))).toHaveLength(4);
    expect(await dovecot.maildirFiles(CAROL.user)).toHaveLength(0);
  }, 120_000);

  it('exits 3 when Dovecot refuses the password, and does not print it', async () => {
    const r = await cli.run(
      ['poll', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--ca', dovecot.certs.caFile,
        '--user', BOB.user, '--password-env', 'POP_PW', '--out', join(work, 'wrong'), '--json'],
      { env: { POP_PW: 'definitely-wrong-pw' } },
    );
    expect(r.code, r.stderr).toBe(3);
    expect((JSON.parse(r.stdout) as PollDoc).mailboxes[0]?.error?.category).toBe('auth');
    expect(r.stdout + r.stderr).not.toContain('definitely-wrong-pw');
  }, 120_000);

  it('refuses a certificate it cannot verify (no --ca) with a non-zero exit', async () => {
    const r = await cli.run(
      ['poll', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--user', BOB.user, '--password-env', 'POP_PW', '--out', join(work, 'untrusted'), '--json'],
      { env: { POP_PW: BOB.password } },
    );
    expect(r.code).not.toBe(0);
    expect((JSON.parse(r.stdout) as PollDoc).mailboxes[0]?.error?.code).toBe('POP3_CERT_UNTRUSTED');
  }, 120_000);

  it('polls every mailbox of a --config file with bounded concurrency', async () => {
    // Prepare
    await dovecot.seed(BOB.user, CORPUS.slice(0, 2).map((m) => m.raw));
    const configPath = join(work, 'mailboxes.json');
    await writeFile(
      configPath,
      JSON.stringify({
        mailboxes: [
          { id: 'bob-implicit', host: dovecot.host, port: dovecot.pop3sPort, tls: { caFile: dovecot.certs.caFile }, auth: { user: BOB.user, secret: { env: 'BOB_PW' } } },
          { id: 'alice-stls', host: dovecot.host, port: dovecot.pop3Port, tls: { mode: 'starttls', caFile: dovecot.certs.caFile }, auth: { user: ALICE.user, secret: { env: 'ALICE_PW' } } },
        ],
      }),
    );

    // Act
    const r = await cli.run(['poll', '--config', configPath, '--concurrency', '2', '--out', join(work, 'config'), '--json'], {
      env: { BOB_PW: BOB.password, ALICE_PW: ALICE.password },
    });

    // Assess
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as PollDoc;
    expect(doc.mailboxes.map((m) => m.status)).toEqual(['ok', 'ok']);
    expect(doc.mailboxes[0]?.stored).toBeGreaterThanOrEqual(2);
  }, 120_000);
});

interface CheckDoc {
  exitCode: number;
  connected: boolean;
  tls?: { protocol: string; cipher: string; certificate: { pinSha256: string; daysLeft: number; subject: string } };
  capabilities?: { stls: boolean; pipelining: boolean; uidl: boolean };
  capabilitiesAfterLogin?: { uidl: boolean; top: boolean };
  authMethods: string[];
  login: { attempted: boolean; ok?: boolean; method?: string };
  stat?: { messages: number; octets: number };
  probes: { uidl: string; top: string; pipelining: string };
  rttMs?: number;
  findings: Array<{ level: string; id: string }>;
}

describe('pop3-ingest check against Dovecot', () => {
  it('reports TLS, certificate pin, capabilities and working UIDL/TOP over STLS with a login', async () => {
    // Prepare: alice has mail from the first test (seed again in case it runs alone)
    await dovecot.seed(ALICE.user, [CORPUS[0]?.raw ?? Buffer.from('Subject: x\r\n\r\nx\r\n')]);

    // Act
    const r = await cli.run(
      ['check', '--host', dovecot.host, '--port', String(dovecot.pop3Port), '--tls', 'starttls', '--ca', dovecot.certs.caFile,
        '--user', ALICE.user, '--password-env', 'POP_PW', '--json'],
      { env: { POP_PW: ALICE.password } },
    );

    // Assess
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CheckDoc;
    expect(doc.connected).toBe(true);
    expect(doc.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(doc.tls?.certificate.pinSha256).toBe(dovecot.pin);
    expect(doc.tls?.certificate.daysLeft).toBeGreaterThan(14);
    expect(doc.capabilities).toMatchObject({ pipelining: true, uidl: true });
    expect(doc.login).toMatchObject({ attempted: true, ok: true });
    expect(doc.stat?.messages).toBeGreaterThan(0);
    expect(doc.probes).toEqual({ uidl: 'ok', top: 'ok', pipelining: 'ok' });
    expect(doc.rttMs).toBeGreaterThanOrEqual(0);
    expect(doc.findings.filter((f) => f.level === 'error')).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(ALICE.password);
  }, 120_000);

  it('shows the pre-login view over implicit TLS without credentials, in text', async () => {
    const r = await cli.run(['check', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--ca', dovecot.certs.caFile]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/protocol\s+TLSv1\.[23]/);
    expect(r.stdout).toContain(`sha256//${dovecot.pin}`);
    expect(r.stdout).toMatch(/login methods\s+.*PLAIN/);
    expect(r.stdout).toContain('no credentials given');
  }, 120_000);

  it('says what is wrong with a plaintext connection to a server that offers STLS', async () => {
    const r = await cli.run(['check', '--host', dovecot.host, '--port', String(dovecot.pop3Port), '--tls', 'none', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CheckDoc;
    expect(doc.capabilities?.stls).toBe(true);
    expect(doc.tls).toBeUndefined();
    expect(doc.findings.map((f) => f.id)).toContain('plaintext-but-stls-offered');
    // Dovecot offers no cleartext-password mechanism before TLS (disable_plaintext_auth)
    expect(doc.authMethods).not.toContain('PLAIN');
  }, 120_000);

  it('exits 3 when the login is refused, and 2 for a --pin that is not a pin', async () => {
    const refused = await cli.run(
      ['check', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--ca', dovecot.certs.caFile, '--user', BOB.user, '--password-env', 'POP_PW'],
      { env: { POP_PW: 'nope-nope' } },
    );
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout).toContain('login failed');

    const badPin = await cli.run(['check', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--pin', 'not-a-pin']);
    expect(badPin.code).toBe(2);
    expect(badPin.stderr).toContain('--pin');
  }, 120_000);

  it('checks one mailbox of a --config file, logging in with its secret', async () => {
    const configPath = join(work, 'check-config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        mailboxes: [
          { id: 'first', host: dovecot.host, port: dovecot.pop3sPort, tls: { caFile: dovecot.certs.caFile }, auth: { user: BOB.user, secret: { env: 'BOB_PW' } } },
          { id: 'second', host: dovecot.host, port: dovecot.pop3Port, tls: { mode: 'starttls', caFile: dovecot.certs.caFile, pinSha256: dovecot.pin }, auth: { user: ALICE.user, secret: { env: 'ALICE_PW' } } },
        ],
      }),
    );
    const r = await cli.run(['check', '--config', configPath, '--mailbox', 'second', '--json'], { env: { ALICE_PW: ALICE.password } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CheckDoc;
    expect(doc.login).toMatchObject({ attempted: true, ok: true });
    expect(doc.tls?.certificate.pinSha256).toBe(dovecot.pin);

    const unknown = await cli.run(['check', '--config', configPath, '--mailbox', 'third']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('first, second');
  }, 120_000);

  it('fails closed on a pin mismatch, before any command', async () => {
    const wrongPin = Buffer.alloc(32, 7).toString('base64');
    const r = await cli.run(['check', '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--ca', dovecot.certs.caFile, '--pin', wrongPin, '--json']);
    expect(r.code).not.toBe(0);
    const doc = JSON.parse(r.stdout) as CheckDoc & { error?: { code: string } };
    expect(doc.connected).toBe(false);
    expect(doc.error?.code).toBe('POP3_CERT_PIN_MISMATCH');
  }, 120_000);
});
