/**
 * The BUILT CLI as a child process, against the embedded demo server and loopback sockets:
 * help, usage errors, the demo run twice, and every exit code that needs no Dovecot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, REPO, type BuiltCli } from './support/built-cli.js';
import { startDemoServer, type DemoServer } from '../../lambda/cli/demo/server.js';
import { DEMO_MESSAGES } from '../../lambda/cli/demo/samples.js';
import { FileLeaseStore } from '../../lambda/adapters/local/lease-file.js';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startS3Server, testS3Client } from '../support/s3-server.js';

const PASSWORD = 'pw-Zq8!local test';

let cli: BuiltCli;
let work: string;

beforeAll(async () => {
  cli = await buildCli();
  work = mkdtempSync(join(tmpdir(), 'pop3-ingest-cli-local-'));
}, 240_000);

afterAll(() => {
  cli?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every file under dir (relative paths), recursively. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile());
}

function jsonLines(path: string): Array<{ id: string; 'detail-type': string; detail: Record<string, unknown> }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { id: string; 'detail-type': string; detail: Record<string, unknown> });
}

describe('pop3-ingest --help / --version / usage errors', () => {
  it('prints the main help with every command and the exit codes, exit 0', async () => {
    const r = await cli.run(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['poll', 'check', 'demo', 'Exit codes', '3    authentication failure', '4    mailbox busy']) {
      expect(r.stdout).toContain(word);
    }
  });

  it.each(['poll', 'check', 'demo'])('prints help for %s, exit 0', async (command) => {
    const r = await cli.run([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pop3-ingest ${command}`);
    expect(r.stdout).toContain('Exit codes');
    expect(r.stdout).toContain('--json');
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    const r = await cli.run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    // The file the tests run is the one package.json installs as the command.
    expect(cli.mainJs.endsWith(pkg.bin['pop3-ingest'] ?? '(missing bin)')).toBe(true);
    expect(readFileSync(cli.mainJs, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('exits 2 without a command, with an unknown command, and with an unknown flag', async () => {
    expect((await cli.run([])).code).toBe(2);
    expect((await cli.run(['fetch'])).code).toBe(2);
    const r = await cli.run(['poll', '--hots', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --hots: did you mean --host?');
  });

  it('exits 2 naming the flag when a value is invalid', async () => {
    const r = await cli.run(['poll', '--host', 'h', '--user', 'u', '--password-env', 'P', '--tls', 'ssl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--tls');
    expect(r.stderr).toContain('implicit|starttls|none');
  });

  it('refuses plaintext login without --insecure-auth (exit 2), before any connection', async () => {
    const r = await cli.run(['poll', '--host', '127.0.0.1', '--port', '1', '--tls', 'none', '--user', 'u', '--password-env', 'P'], {
      env: { P: PASSWORD },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--insecure-auth');
  });

  it('has no way to take a password on the command line, and does not echo one', async () => {
    const r = await cli.run(['poll', '--host', 'h', '--user', 'u', '--password', 'hunter2-secret']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
  });

  it('prints one JSON document for a usage error with --json', async () => {
    const r = await cli.run(['poll', '--json', '--host', 'h', '--user', 'u', '--password-env', 'P', '--delete', 'sometimes']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; error: { code: string; message: string } };
    expect(doc).toMatchObject({ ok: false, exitCode: 2, error: { code: 'CLI_USAGE' } });
    expect(doc.error.message).toContain('--delete');
  });
});

describe('pop3-ingest demo', () => {
  it('stores every sample message, writes one event each, and finds nothing new the second time', async () => {
    // Prepare
    const out = join(work, 'demo');

    // Act: first run
    const first = await cli.run(['demo', '--out', out]);

    // Assess
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${DEMO_MESSAGES.length} new`);
    expect(first.stderr).toContain('PLAINTEXT');
    const emlFiles = filesUnder(out).filter((f) => f.endsWith('.eml'));
    expect(emlFiles).toHaveLength(DEMO_MESSAGES.length);
    // Byte for byte: dot-stuffing on the wire undone, CRLF and 8-bit content intact.
    const storedHashes = emlFiles.map((f) => createHash('sha256').update(readFileSync(join(out, f))).digest('hex')).sort();
    const sampleHashes = DEMO_MESSAGES.map((m) => createHash('sha256').update(m.data).digest('hex')).sort();
    expect(storedHashes).toEqual(sampleHashes);
    const events = jsonLines(join(out, 'events.jsonl'));
    const stored = events.filter((e) => e['detail-type'] === 'Message Stored');
    expect(stored).toHaveLength(DEMO_MESSAGES.length);
    const subjects = stored.map((e) => (e.detail.headers as { subject?: string }).subject);
    expect(subjects).toContain('Grüße aus Zürich – Prüfbericht ✓');
    // Parsing is on in the demo: the CSV attachment lands beside its message, and the output says where.
    const report = stored.find((e) => (e.detail.headers as { subject?: string }).subject === 'Daily readings (attachment)')!;
    const parsed = report.detail.parsed as { messageJson: { key: string }; attachments: Array<{ key: string; name: string }> };
    expect(readFileSync(join(out, parsed.messageJson.key), 'utf8')).toContain('"parsedVersion":1');
    expect(readFileSync(join(out, parsed.attachments[0]!.key), 'utf8')).toContain('2026-11-01,17.2');
    expect(first.stdout).toContain(`parsed -> ${parsed.messageJson.key}`);
    expect(first.stdout).toContain(`-> ${parsed.attachments[0]!.key}`);

    // Act: second run, JSON
    const second = await cli.run(['demo', '--out', out, '--json']);

    // Assess
    expect(second.code, second.stderr).toBe(0);
    const doc = JSON.parse(second.stdout) as { ok: boolean; summary: { status: string; newMessages: number; stored: number } };
    expect(doc.ok).toBe(true);
    expect(doc.summary).toMatchObject({ status: 'ok', newMessages: 0, stored: 0 });
    expect(filesUnder(out).filter((f) => f.endsWith('.eml'))).toHaveLength(DEMO_MESSAGES.length);
    expect(jsonLines(join(out, 'events.jsonl')).filter((e) => e['detail-type'] === 'Message Stored')).toHaveLength(DEMO_MESSAGES.length);
  }, 60_000);

  it('prints nothing but the JSON document on stdout with --json, and no progress line when piped', async () => {
    const r = await cli.run(['demo', '--out', join(work, 'demo-json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { events: unknown[]; summary: { newMessages: number } };
    expect(doc.summary.newMessages).toBe(DEMO_MESSAGES.length);
    expect(doc.events.length).toBeGreaterThanOrEqual(DEMO_MESSAGES.length);
    expect(r.stderr).not.toContain('\x1b[2K');
  }, 60_000);
});

describe('pop3-ingest demo --serve', () => {
  it('serves the demo mailbox for other clients until SIGTERM, then exits 0', async () => {
    // Prepare
    const child = cli.spawn(['demo', '--serve', '--json'], { env: { POP3_INGEST_DEMO_PASSWORD: PASSWORD } });
    try {
      const [first] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
      const info = JSON.parse(first.toString().split('\n')[0] ?? '') as { host: string; port: number; user: string };
      expect(info).toMatchObject({ host: '127.0.0.1', user: 'demo' });

      // Act: poll it with the CLI, as the help suggests
      const r = await cli.run(
        ['poll', '--host', info.host, '--port', String(info.port), '--tls', 'none', '--insecure-auth', '--user', 'demo',
          '--password-env', 'POP3_INGEST_DEMO_PASSWORD', '--out', join(work, 'served'), '--events', '-'],
        { env: { POP3_INGEST_DEMO_PASSWORD: PASSWORD } },
      );

      // Assess: --events - puts only JSON lines on stdout, the summary on stderr
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { 'detail-type': string });
      expect(lines.filter((e) => e['detail-type'] === 'Message Stored')).toHaveLength(DEMO_MESSAGES.length);
      expect(r.stderr).toContain(`${DEMO_MESSAGES.length} new`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    }
    expect(child.exitCode).toBe(0);
  }, 60_000);
});

describe('pop3-ingest poll exit codes (loopback)', () => {
  let server: DemoServer;

  beforeAll(async () => {
    server = await startDemoServer({ messages: DEMO_MESSAGES, user: 'demo', password: PASSWORD });
  });
  afterAll(async () => {
    await server?.close();
  });

  const pollArgs = (out: string, extra: string[] = []): string[] => [
    'poll', '--host', server.host, '--port', String(server.port), '--tls', 'none', '--insecure-auth',
    '--user', 'demo', '--password-env', 'DEMO_PW', '--out', out, ...extra,
  ];

  it('polls by flags into a folder (exit 0) and never prints the password, even with --verbose', async () => {
    const r = await cli.run(pollArgs(join(work, 'flags'), ['--verbose', '--mailbox-id', 'by-flags']), { env: { DEMO_PW: PASSWORD } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('mailbox by-flags: ok');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.stdout + r.stderr).not.toContain('pw-Zq8');
  }, 60_000);

  it('stores in S3 with --bucket (SDK endpoint from the standard env vars), events still as JSON lines', async () => {
    // Prepare
    const s3 = await startS3Server();
    const client = testS3Client(s3.endpoint);
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'cli-mail' }));
      const out = join(work, 's3-events');

      // Act
      const r = await cli.run(pollArgs(out, ['--bucket', 'cli-mail', '--mailbox-id', 'to-s3', '--json']), {
        env: {
          DEMO_PW: PASSWORD, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
        },
      });

      // Assess
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { bucket: string; mailboxes: Array<{ stored: number }> };
      expect(doc.bucket).toBe('cli-mail');
      expect(doc.mailboxes[0]?.stored).toBe(DEMO_MESSAGES.length);
      const listed = await client.send(new ListObjectsV2Command({ Bucket: 'cli-mail' }));
      const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
      expect(keys.filter((k) => k.startsWith('mail/to-s3/') && k.endsWith('.eml'))).toHaveLength(DEMO_MESSAGES.length);
      expect(jsonLines(join(out, 'events.jsonl')).filter((e) => e['detail-type'] === 'Message Stored')).toHaveLength(DEMO_MESSAGES.length);
      // No message file was written locally: the folder holds only the events
      expect(filesUnder(out).filter((f) => f.endsWith('.eml'))).toEqual([]);
    } finally {
      client.destroy();
      await s3.stop();
    }
  }, 60_000);

  it('publishes to EventBridge with --event-bus (endpoint from AWS_ENDPOINT_URL_EVENTBRIDGE)', async () => {
    // Prepare: a loopback stand-in for the PutEvents API (JSON 1.1 protocol)
    const received: Array<{ target: string; entries: Array<{ EventBusName: string; DetailType: string; Source: string; Detail: string }> }> = [];
    const api = createHttpServer((req: IncomingMessage, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        const parsed = JSON.parse(body) as { Entries: (typeof received)[number]['entries'] };
        received.push({ target: String(req.headers['x-amz-target']), entries: parsed.Entries });
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: parsed.Entries.map((_, i) => ({ EventId: `e-${received.length}-${i}` })) }));
      });
    });
    api.listen(0, '127.0.0.1');
    await once(api, 'listening');
    const endpoint = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    try {
      // Act
      const r = await cli.run(pollArgs(join(work, 'to-bus'), ['--event-bus', 'mail-bus', '--mailbox-id', 'to-bus']), {
        env: { DEMO_PW: PASSWORD, AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      });

      // Assess
      expect(r.code, r.stderr).toBe(0);
      const entries = received.flatMap((x) => x.entries);
      expect(received.every((x) => x.target === 'AWSEvents.PutEvents')).toBe(true);
      expect(entries.filter((e) => e.DetailType === 'Message Stored')).toHaveLength(DEMO_MESSAGES.length);
      expect(new Set(entries.map((e) => e.EventBusName))).toEqual(new Set(['mail-bus']));
      expect(entries[0]?.Source).toBe('pop3-ingest');
      // Messages stayed local; no events file was written
      expect(filesUnder(join(work, 'to-bus')).filter((f) => f.endsWith('.eml'))).toHaveLength(DEMO_MESSAGES.length);
      expect(filesUnder(join(work, 'to-bus'))).not.toContain('events.jsonl');
    } finally {
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
  }, 60_000);

  it('exits 3 on a wrong password, without printing it', async () => {
    const r = await cli.run(pollArgs(join(work, 'wrong-pw'), ['--json', '--verbose']), { env: { DEMO_PW: 'not-the-password-42' } });
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout) as { mailboxes: Array<{ status: string; error: { category: string } }> };
    expect(doc.mailboxes[0]).toMatchObject({ status: 'failed', error: { category: 'auth' } });
    expect(r.stdout + r.stderr).not.toContain('not-the-password-42');
  }, 60_000);

  it('exits 3 when the password variable is not set', async () => {
    const r = await cli.run(pollArgs(join(work, 'no-pw')), { env: {} });
    expect(r.code, r.stderr).toBe(3);
    // The flag is named, not the variable: a password typed in its place would be printed.
    expect(r.stdout).toContain('the environment variable named by --password-env (auth.secret.env) is not set');
    expect(r.stdout).not.toContain('DEMO_PW');
  }, 60_000);

  it('exits 4 when the server says [IN-USE] (another session holds the maildrop)', async () => {
    // Prepare: a raw session logs in and holds the maildrop lock
    const holder: Socket = connect(server.port, server.host);
    await once(holder, 'connect');
    let received = '';
    const loggedIn = new Promise<void>((resolve) => {
      holder.on('data', (d: Buffer) => {
        received += d.toString('latin1');
        if (received.includes('maildrop locked')) resolve();
      });
    });
    holder.write(`USER demo\r\nPASS ${PASSWORD}\r\n`);
    await loggedIn;
    try {
      // Act
      const r = await cli.run(pollArgs(join(work, 'in-use'), ['--json']), { env: { DEMO_PW: PASSWORD } });

      // Assess
      expect(r.code, r.stderr).toBe(4);
      const doc = JSON.parse(r.stdout) as { mailboxes: Array<{ status: string; error?: { code: string } }> };
      expect(doc.mailboxes[0]?.status).toBe('busy');
      expect(doc.mailboxes[0]?.error?.code).toBe('POP3_IN_USE');
    } finally {
      holder.end('QUIT\r\n');
      await once(holder, 'close');
    }
  }, 60_000);

  it('exits 4 when another poller holds the mailbox lease, before fetching anything', async () => {
    // Prepare: take the lease the CLI will ask for
    const out = join(work, 'leased');
    const lease = await new FileLeaseStore({ dir: join(out, '.lease') }).acquire('leased-box', 'another-poller', 600_000);
    expect(lease).not.toBeNull();
    try {
      // Act
      const r = await cli.run(pollArgs(out, ['--mailbox-id', 'leased-box', '--json']), { env: { DEMO_PW: PASSWORD } });

      // Assess
      expect(r.code, r.stderr).toBe(4);
      expect((JSON.parse(r.stdout) as { mailboxes: Array<{ status: string }> }).mailboxes[0]?.status).toBe('busy');
    } finally {
      await lease?.release();
    }
  }, 60_000);

  it('commits no deletion when interrupted mid-poll (SIGINT drops the session without QUIT), exit 130', async () => {
    // Prepare: a scripted server that serves message 1 and stalls on message 2
    const seen: string[] = [];
    let stalled!: () => void;
    const stalledNow = new Promise<void>((resolve) => (stalled = resolve));
    const stub = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write('+OK stub\r\n');
      let buffer = '';
      socket.on('data', (d: Buffer) => {
        buffer += d.toString('latin1');
        for (let nl = buffer.indexOf('\r\n'); nl !== -1; nl = buffer.indexOf('\r\n')) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 2);
          seen.push(line.startsWith('PASS') ? 'PASS' : line);
          if (line === 'CAPA') socket.write('+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n');
          else if (line === 'UIDL') socket.write('+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n');
          else if (line === 'LIST') socket.write('+OK\r\n1 40\r\n2 40\r\n.\r\n');
          else if (line === 'RETR 1') socket.write('+OK\r\nSubject: one\r\n\r\nbody one\r\n.\r\n');
          else if (line === 'RETR 2') stalled();
          else socket.write('+OK\r\n');
        }
      });
    });
    stub.listen(0, '127.0.0.1');
    await once(stub, 'listening');
    const port = (stub.address() as { port: number }).port;
    try {
      // Act
      const child = cli.spawn(
        ['poll', '--host', '127.0.0.1', '--port', String(port), '--tls', 'none', '--insecure-auth', '--user', 'u', '--password-env', 'DEMO_PW',
          '--delete', 'after-store', '--out', join(work, 'interrupted')],
        { env: { DEMO_PW: PASSWORD } },
      );
      const exited = once(child, 'exit');
      await stalledNow;
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];

      // Assess
      expect(code).toBe(130);
      expect(seen).toContain('RETR 2');
      expect(seen).not.toContain('QUIT');
    } finally {
      await new Promise<void>((resolve) => stub.close(() => resolve()));
    }
  }, 60_000);

  it('exits 5 when the server refuses the connection', async () => {
    // Prepare: a port that was just free (bound by the OS, then closed)
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    // Act
    const r = await cli.run(
      ['poll', '--host', '127.0.0.1', '--port', String(port), '--tls', 'none', '--insecure-auth', '--user', 'u', '--password-env', 'DEMO_PW', '--out', join(work, 'refused')],
      { env: { DEMO_PW: PASSWORD } },
    );

    // Assess
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toContain('connection refused');
  }, 60_000);
});
