/**
 * Threat: a newcomer's mistake gets an error that says the wrong thing (or nothing), is retried
 * forever by a scheduler, or takes 30 s to appear. The built CLI runs as a child process against
 * loopback servers (the embedded demo server, a scriptable fake with real TLS); each case
 * asserts the exit code and the exact guidance text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer, type DemoServer } from '../../lambda/cli/demo/server.js';
import { DEMO_MESSAGES } from '../../lambda/cli/demo/samples.js';
import { generateTestCertificates, spkiSha256Base64, type TestCertificates } from '../support/certs.js';
import { startFakePop3Server, type FakeServer } from '../support/fake-pop3-server.js';
import { buildCli, runProcess, type BuiltCli } from './support/built-cli.js';

const PASSWORD = 'pw-Guidance-42';

let cli: BuiltCli;
let work: string;
let demo: DemoServer;
let certs: TestCertificates;
let plain: FakeServer;
let tlsServer: FakeServer;
let selfSigned: FakeServer;
let selfSignedPin: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pop3-ingest-guidance-'));
  // A self-signed leaf (no CA at all), as a small private server has.
  const ssKey = join(work, 'ss.key');
  const ssCert = join(work, 'ss.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ssKey, '-out', ssCert,
    '-days', '30', '-subj', '/CN=selfsigned.test', '-addext', 'subjectAltName=DNS:selfsigned.test'], { stdio: 'ignore' });
  const ss = { key: readFileSync(ssKey, 'utf8'), cert: readFileSync(ssCert, 'utf8') };
  selfSignedPin = spkiSha256Base64(ss.key);
  certs = await generateTestCertificates();
  [cli, demo, plain, tlsServer, selfSigned] = await Promise.all([
    buildCli(),
    startDemoServer({ messages: DEMO_MESSAGES, user: 'demo', password: PASSWORD }),
    startFakePop3Server({ user: 'u', password: PASSWORD }),
    startFakePop3Server({ tls: 'implicit', key: certs.keyPem, cert: certs.certPem, user: 'u', password: PASSWORD }),
    startFakePop3Server({ tls: 'implicit', ...ss, user: 'u', password: PASSWORD }),
  ]);
}, 240_000);

afterAll(async () => {
  cli?.remove();
  await Promise.all([demo?.close(), plain?.close(), tlsServer?.close(), selfSigned?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

const env = { PW: PASSWORD };
const login = ['--user', 'u', '--password-env', 'PW'];
const out = (name: string): string[] => ['--out', join(work, name)];
const demoArgs = (name: string, extra: string[] = []): string[] => [
  'poll', '--host', demo.host, '--port', String(demo.port), '--tls', 'none', '--insecure-auth', '--user', 'demo', '--password-env', 'PW', ...out(name), ...extra,
];

describe('the command line', () => {
  it('--password: "passwords are never taken on the command line", with --password-env / --password-file', async () => {
    const r = await cli.run(['poll', '--host', 'h', '--user', 'u', '--password', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'pop3-ingest: error: poll: passwords are never taken on the command line (they would show in ps and in the shell history)\n' +
        '  hint: give the name of an environment variable with --password-env NAME, or a file with --password-file FILE\n',
    );
  });

  it('an unknown flag gets "did you mean"', async () => {
    const r = await cli.run(['poll', '--hots', 'h', ...login]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pop3-ingest: error: poll: unknown option --hots: did you mean --host?\n');
    expect((await cli.run(['check', '--insecure-uath'])).stderr).toContain('did you mean --insecure-auth?');
  });
});

describe('the configuration file', () => {
  it('invalid JSON names the line and column', async () => {
    const file = join(work, 'broken.json');
    writeFileSync(file, '{\n  "mailboxes": [\n    { "id": "a" "host": "h" }\n  ]\n}\n');
    const r = await cli.run(['poll', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Invalid JSON in ${file} at line 3, column 17:`);
  });

  it('an unknown field gets "did you mean"', async () => {
    const file = join(work, 'typo.json');
    writeFileSync(file, JSON.stringify({ mailboxes: [{ id: 'a', hots: 'h', auth: { user: 'u', secret: { env: 'PW' } }, tls: { alowInsecureAuth: true } }] }));
    const r = await cli.run(['poll', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('  - mailboxes[0].hots: unknown field: did you mean "host"?');
    expect(r.stderr).toContain('  - mailboxes[0].tls.alowInsecureAuth: unknown field: did you mean "allowInsecureAuth"?');
  });
});

describe('secrets', () => {
  it('an empty password variable is "empty", not "not set"', async () => {
    const r = await cli.run(demoArgs('empty-pw'), { env: { PW: '' } });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('mailbox default: failed: the environment variable named by --password-env (auth.secret.env) is empty [SECRET_INCOMPLETE]\n');
    expect(r.stdout).toContain('  fix: put the password into it (the first line of a file is used)\n');
  });

  describe('Secrets Manager', () => {
    let sm: Server;
    let smEndpoint: string;
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mail-pw-AbCdEf';
    beforeAll(async () => {
      // AWS's own answer for a caller without secretsmanager:GetSecretValue (awsJson1_1 error shape).
      sm = createHttpServer((req: IncomingMessage, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' });
          res.end(JSON.stringify({ __type: 'AccessDeniedException', Message: `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: secretsmanager:GetSecretValue on resource: ${arn}` }));
        });
      });
      sm.listen(0, '127.0.0.1');
      await once(sm, 'listening');
      smEndpoint = `http://127.0.0.1:${(sm.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => sm.close(() => resolve())));

    const config = (): string => {
      const file = join(work, 'sm.json');
      writeFileSync(file, JSON.stringify({
        mailboxes: [{ id: 'sm', host: demo.host, port: demo.port, tls: { mode: 'none', allowInsecureAuth: true }, auth: { user: 'demo', secret: { secretsManager: arn } } }],
      }));
      return file;
    };
    // No IMDS (a link-local address) and no profile files: nothing leaves loopback.
    const noAws = { AWS_EC2_METADATA_DISABLED: 'true', HOME: tmpdir(), AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };

    it('names a missing region and the fix', async () => {
      const r = await cli.run(['poll', '--config', config(), ...out('sm-region')], { env: noAws });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`Secrets Manager secret ${arn}: no AWS region is configured (Error: Region is missing); set AWS_REGION to the secret's region`);
      expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    }, 60_000);

    it('names missing local credentials and the CLI user\'s fix', async () => {
      const r = await cli.run(['poll', '--config', config(), ...out('sm-creds')], { env: { ...noAws, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_SECRETS_MANAGER: smEndpoint } });
      expect(r.code).toBe(3);
      expect(r.stdout).toContain(`Secrets Manager secret ${arn}: no AWS credentials found (CredentialsProviderError); on a workstation run "aws configure" or "aws sso login"`);
      // The message is the fix; no password advice for a missing AWS credential.
      expect(r.stdout).not.toContain('fix: check --user');
    }, 60_000);

    it('names access denied with the ARN, and who needs the permission; no Node-version notice from the SDK', async () => {
      const r = await cli.run(['poll', '--config', config(), ...out('sm-denied')], {
        env: { ...noAws, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_SECRETS_MANAGER: smEndpoint, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test' },
      });
      expect(r.code).toBe(3);
      expect(r.stdout).toContain(`Secrets Manager secret ${arn}: access denied (AccessDeniedException: User: arn:aws:iam::123456789012:user/dev is not authorized`);
      expect(r.stdout).toContain('allow secretsmanager:GetSecretValue on this secret to the caller (locally: the IAM user or role of your AWS_PROFILE / credentials; in Lambda: the function role)');
      expect(r.stderr).not.toContain('NodeVersionSupportWarning');
      expect(r.stderr).not.toContain('Warning');
    }, 60_000);
  });
});

describe('connecting', () => {
  it('implicit TLS on a plaintext port is a configuration error (exit 2) with the fix and a pointer to check', async () => {
    const r = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(plain.port), ...login, ...out('tls-on-plain')], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(
      `mailbox default: failed: 127.0.0.1:${plain.port} answered in plain text, not TLS: this port speaks plain POP3; use --tls starttls (tls.mode "starttls") on it, or port 995 for implicit TLS [CONFIG_TLS_MISMATCH]\n` +
        `  fix: use --tls starttls on this port (tls.mode "starttls"), or --tls implicit with port 995; run "pop3-ingest check --host 127.0.0.1 --port ${plain.port} --tls implicit" for a full diagnosis\n`,
    );
    // One line and its fix: no "mailbox polled" dump on stderr unless -v.
    expect(r.stderr).toBe('');
    const verbose = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(plain.port), ...login, ...out('tls-on-plain'), '-v'], { env });
    expect(verbose.stderr).toContain('mailbox polled');
  }, 60_000);

  it('--tls starttls on an implicit-TLS port is detected from the TLS handshake in seconds, not at the 30 s deadline', async () => {
    const started = performance.now();
    const r = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(tlsServer.port), '--tls', 'starttls', '--ca', certs.caFile, ...login, ...out('stls-on-tls')], { env });
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`failed: 127.0.0.1:${tlsServer.port} speaks TLS at once (implicit TLS) and sends no plain POP3 greeting: use --tls implicit (tls.mode "implicit") for this port, or port 110 for STLS [CONFIG_TLS_MISMATCH]\n`);
    expect(r.stdout).toContain('  fix: use --tls implicit (tls.mode "implicit") on this port;');
    expect(seconds).toBeLessThan(20);
  }, 60_000);

  it('a refused connection says "connection refused", not "during TLS" (exit 5)', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(port), ...login, ...out('refused')], { env });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain(`failed: connection refused by 127.0.0.1:${port}: nothing accepts connections on that port (ECONNREFUSED) [POP3_CONNECT_FAILED]\n`);
    expect(r.stdout).toContain(`  fix: check --port (995 for implicit TLS, 110 for STLS or plain POP3; now ${port}) and that the server is running; run "pop3-ingest check`);
    expect(r.stdout).not.toContain('during TLS');
  }, 60_000);

  it('an unknown host says "host not found" (the resolver\'s answer is simulated: no DNS traffic leaves loopback)', async () => {
    const preload = join(work, 'no-such-host.mjs');
    // The one fault a loopback test cannot produce for real: the resolver answering ENOTFOUND.
    writeFileSync(preload, `import dns from 'node:dns';
const real = dns.lookup;
dns.lookup = (host, options, callback) => {
  const cb = typeof options === 'function' ? options : callback;
  if (host !== 'pop.no-such-host.test') return real(host, options, callback);
  const error = Object.assign(new Error('getaddrinfo ENOTFOUND ' + host), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: host });
  process.nextTick(() => cb(error));
};
`);
    const r = await cli.run(['poll', '--host', 'pop.no-such-host.test', ...login, ...out('no-host')], { env: { ...env, NODE_OPTIONS: `--import ${preload}` } });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('failed: host not found: pop.no-such-host.test does not resolve (ENOTFOUND) [POP3_CONNECT_FAILED]\n');
    expect(r.stdout).toContain('  fix: check the spelling of --host and that this machine can resolve it (DNS, VPN);');
  }, 60_000);

  it('a wrong password shows the server\'s own text and the method tried (exit 3)', async () => {
    const r = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(tlsServer.port), '--ca', certs.caFile, ...login, ...out('wrong-pw')], { env: { PW: 'wrong-Pw-77' } });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('mailbox default: failed: server rejected the credentials [POP3_AUTH_FAILED]\n');
    expect(r.stdout).toMatch(/ {2}server said: "[^"]+" \(to (APOP u|AUTH PLAIN|PASS)\)\n/);
    expect(r.stdout).toContain('  fix: check --user and the password; for Microsoft 365 or Gmail use OAuth2 or an app password;');
    expect(r.stdout + r.stderr).not.toContain('wrong-Pw-77');
  }, 60_000);
});

describe('certificates', () => {
  it('poll names the host checked, the names and fingerprint the certificate holds, and the pin to use', async () => {
    const r = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(selfSigned.port), ...login, ...out('self-signed')], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`failed: certificate of 127.0.0.1:${selfSigned.port} not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): checked name 127.0.0.1; the certificate holds DNS:selfsigned.test (issuer CN=selfsigned.test); SHA-256 fingerprint `);
    expect(r.stdout).toContain(`  fix: give the CA that signed it with --ca FILE (PEM), or trust exactly this key: --pin sha256//${selfSignedPin};`);
  }, 60_000);

  it('check prints the SHA-256 pin and subject even when verification fails, in text and --json', async () => {
    const text = await cli.run(['check', '--host', '127.0.0.1', '--port', String(selfSigned.port)]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('TLS (NOT trusted: shown so you can judge it; nothing was sent)\n');
    expect(text.stdout).toContain('  subject        CN=selfsigned.test\n');
    expect(text.stdout).toContain(`  pin            sha256//${selfSignedPin}   (use with --pin)\n`);
    const json = await cli.run(['check', '--host', '127.0.0.1', '--port', String(selfSigned.port), '--json']);
    const doc = JSON.parse(json.stdout) as { exitCode: number; tls: { verified: boolean; certificate: { subject: string; pinSha256: string; subjectAltName: string } } };
    expect(doc.exitCode).toBe(1);
    expect(doc.tls).toMatchObject({ verified: false, certificate: { subject: 'CN=selfsigned.test', pinSha256: selfSignedPin, subjectAltName: 'DNS:selfsigned.test' } });
  }, 60_000);

  it('--pin alone trusts a self-signed leaf the user pinned explicitly; a wrong pin still fails closed', async () => {
    const ok = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(selfSigned.port), '--pin', `sha256//${selfSignedPin}`, ...login, ...out('pinned')], { env });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('mailbox default: ok');
    const wrong = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(selfSigned.port), '--pin', certs.spkiSha256Base64, ...login, ...out('pinned-wrong')], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('[POP3_CERT_PIN_MISMATCH]');
  }, 60_000);

  it('--ca with a file that is not PEM is refused at once (exit 2), before connecting', async () => {
    const der = join(work, 'ca.der');
    execFileSync('openssl', ['x509', '-in', certs.caFile, '-outform', 'der', '-out', der]);
    const before = tlsServer.connections;
    const r = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(tlsServer.port), '--ca', der, ...login, ...out('der-ca')], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the CA file ${der} (--ca, tls.caFile) holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); a DER file converts with: openssl x509 -inform der -in FILE -out ca.pem\n`);
    expect(tlsServer.connections).toBe(before);
  }, 60_000);
});

describe('the output folder', () => {
  it.each([
    ['a pseudo-filesystem', '/proc/pop3-ingest-out', '--out /proc/pop3-ingest-out is on the proc pseudo-filesystem, which cannot hold messages'],
    ['a regular file', 'FILE', 'cannot write to --out'],
  ])('%s is refused before connecting: exit 2, "choose a writable --out"', async (_name, dir, message) => {
    let target = dir;
    if (dir === 'FILE') {
      target = join(work, 'not-a-folder');
      writeFileSync(target, 'x');
    }
    const before = plain.connections;
    const r = await cli.run(['poll', '--host', '127.0.0.1', '--port', String(plain.port), '--tls', 'none', '--insecure-auth', ...login, '--out', target], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('  hint: choose a writable --out folder\n');
    expect(plain.connections).toBe(before);
  }, 60_000);
});

describe('a poll that works', () => {
  it('says where messages, events and state went; --progress prints lines for logs; the plaintext warning comes once', async () => {
    const dir = join(work, 'ok');
    const r = await cli.run(demoArgs('ok', ['--progress']), { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`messages: ${join(dir, 'mail/')}\nevents:   ${join(dir, 'events.jsonl')}\nstate:    ${join(dir, '.state')}\n`);
    expect(r.stderr).toMatch(/progress: 4\/4 messages \(100%\), [\d.]+ (B|KiB) \(/);
    expect(r.stderr.match(/PLAINTEXT/g)).toHaveLength(1);
  }, 60_000);

  it('draws one self-overwriting progress line with percent, rate and time left on a terminal', async () => {
    // script(1) gives the CLI a pseudo-terminal, as a user's shell does.
    const quoteArg = (a: string): string => `'${a.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, cli.mainJs, ...demoArgs('tty')].map(quoteArg).join(' ');
    const r = await runProcess('script', ['-qefc', command, '/dev/null'], {
      cwd: work, env: { PATH: process.env.PATH, HOME: process.env.HOME, PW: PASSWORD }, timeoutMs: 60_000,
    });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\r\x1b\[2K4\/4 messages \(100%\), [\d.]+ (B|KiB) \([\d.]+ msg\/s, [\d.]+ (B|KiB|MiB)\/s\)/);
    // Erased before the summary: the line never stays in the scrollback.
    expect(r.stdout).toMatch(/\r\x1b\[2K(\r\n)?mailbox default: ok/);
  }, 60_000);

  it('keeps one mailbox per --out folder: another spelling of the host does not start a second mailbox and download everything again', async () => {
    const first = await cli.run(demoArgs('spelling', ['--json']), { env });
    const second = await cli.run([...demoArgs('spelling', ['--json']).map((a) => (a === demo.host ? 'localhost' : a))], { env });
    const a = JSON.parse(first.stdout) as { mailboxes: Array<{ mailboxId: string; stored: number }> };
    const b = JSON.parse(second.stdout) as { mailboxes: Array<{ mailboxId: string; stored: number; error?: { code: string } }> };
    expect(a.mailboxes[0]).toMatchObject({ mailboxId: 'default', stored: 4 });
    expect(b.mailboxes[0]?.mailboxId).toBe('default');
    // Nothing is stored twice: the same seen-state answers (or the identity check refuses).
    expect(b.mailboxes[0]?.stored).toBe(0);
    // One mailbox: its manifest and the folder of the segments it names.
    expect(readdirSync(join(work, 'spelling', '.state', 'state'))).toEqual(['default.json', 'default.seg']);
  }, 60_000);

  it('a second SIGINT within a second does not skip the summary, the --json document or the "Mailbox Polled" event', async () => {
    // Prepare: a server that serves message 1 and stalls on message 2
    let stalled!: () => void;
    const stalledNow = new Promise<void>((resolve) => (stalled = resolve));
    const stub = await startFakePop3Server({
      user: 'u',
      password: PASSWORD,
      messages: [{ uid: 'one', body: 'Subject: one\r\n\r\nbody one\r\n' }, { uid: 'two', body: 'Subject: two\r\n\r\nbody two\r\n' }],
      handler: (_c, line) => {
        if (line !== 'RETR 2') return false;
        stalled();
        return true;
      },
    });
    const dir = join(work, 'double-sigint');
    mkdirSync(dir);
    try {
      // Act: both signals at once, as a terminal or GNU timeout sends them to the process group
      const child = cli.spawn(['poll', '--host', '127.0.0.1', '--port', String(stub.port), '--tls', 'none', '--insecure-auth', ...login, '--out', dir, '--json'], { env });
      let stdout = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      const exited = once(child, 'exit');
      await stalledNow;
      child.kill('SIGINT');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];

      // Assess
      expect(code).toBe(130);
      const doc = JSON.parse(stdout) as { exitCode: number; mailboxes: Array<{ stored: number }> };
      expect(doc.exitCode).toBe(130);
      expect(doc.mailboxes[0]?.stored).toBe(1);
      const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { 'detail-type': string });
      expect(events.map((e) => e['detail-type'])).toContain('Mailbox Polled');
      expect(stub.deleted).toEqual([]);
    } finally {
      await stub.close();
    }
  }, 60_000);
});

describe('the demo', () => {
  it('ends by telling a clone user "npm start"', async () => {
    const r = await cli.run(['demo', '--out', join(work, 'demo')], { env: { npm_lifecycle_event: 'start' } });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Run it again with: npm start');
    const direct = await cli.run(['demo', '--out', join(work, 'demo')]);
    expect(direct.stdout.trimEnd().split('\n').at(-1)).toBe('Run it again with: "pop3-ingest demo" (installed), or "npm start" in a clone of the repository');
  }, 60_000);
});
