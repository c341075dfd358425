/**
 * A private Dovecot POP3 server for integration tests: its own directory, config, ports,
 * users and maildirs, on 127.0.0.1 only. Several can run at once (one per test file).
 *
 * Dovecot is started in the foreground (`dovecot -F -c <dir>/dovecot.conf`) with its log on
 * stderr; readiness is its "starting up" log line, never a sleep. As root (here and in CI) the
 * mail processes run as the system user `mail` and the login processes as `dovenull`, exactly
 * like a packaged server; as an ordinary user everything runs as that user.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { chmod, chown, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestCertificates, type TestCertificates } from './certs.js';
import { layout, renderConfig, renderOAuth2Config, resolveIdentity, type Identity, type Ports } from './dovecot-config.js';
import { freePorts, launch, PortTakenError, stopInstance, waitForLog, type Instance } from './dovecot-process.js';
import { startIntrospection, startProxyRelay, type IntrospectionServer, type Relay } from './loopback-services.js';

/** A test user of the private Dovecot; passwords are stored in plaintext so every mechanism works. */
export interface DovecotUser {
  user: string;
  password: string;
}

/** How to configure the private Dovecot. Every field has a realistic default. */
export interface DovecotOptions {
  /** Users of the passwd-file; default alice, bob and carol (see DEFAULT_USERS). */
  users?: readonly DovecotUser[];
  /**
   * Dovecot's disable_plaintext_auth: refuse PLAIN, LOGIN and USER/PASS before TLS.
   * Default true, like a real server.
   */
  disablePlaintextAuth?: boolean;
  /** Dovecot's auth_mechanisms; default plain login cram-md5 scram-sha-256 apop. */
  authMechanisms?: readonly string[];
  /** Dovecot's pop3_uidl_format; default '%08Xu%08Xv' (UID then UIDVALIDITY, both hex). */
  uidlFormat?: string;
  /** Dovecot's pop3_lock_session: a second session gets -ERR [IN-USE]. Default false (Dovecot's default). */
  lockSession?: boolean;
  /** Dovecot's login_trusted_networks (a trusted network may log in in cleartext). Default none. */
  loginTrustedNetworks?: string;
  /**
   * Dovecot's auth_failure_delay in seconds: how long a failed login waits before -ERR.
   * Default 0 (Dovecot's is 2) so failure tests stay fast; the reply itself is unchanged.
   */
  authFailureDelaySeconds?: number;
  /**
   * Keep Dovecot's per-IP auth penalty (anvil doubles the delay after each failed login, up to
   * 15 s). Default false: every test client shares one IP, so one failure test would slow all
   * later logins of the file.
   */
  authPenalty?: boolean;
  /** auth_verbose and auth_debug with passwords masked: login details in logs(). Default false. */
  authDebug?: boolean;
  /** Certificates for ssl_cert/ssl_key; default generateTestCertificates(). */
  certs?: TestCertificates;
  /**
   * OAuth2 access tokens Dovecot accepts, token to user: enables XOAUTH2 and OAUTHBEARER via
   * Dovecot's oauth2 passdb and a loopback RFC 7662 introspection endpoint. Tokens must be
   * RFC 6750 b64token characters.
   */
  oauthTokens?: Readonly<Record<string, string>>;
  /** Raw lines appended to dovecot.conf (last setting wins). */
  extraConfig?: string;
  /**
   * How the passwd-file stores passwords. Default 'PLAIN' (Dovecot derives every mechanism from
   * it); 'SHA512-CRYPT' is a one-way hash, so Dovecot cannot do CRAM-MD5, SCRAM or APOP for it.
   */
  passwordScheme?: 'PLAIN' | 'SHA512-CRYPT';
}

/** A running private Dovecot. Call stop() in afterAll. */
export interface DovecotServer {
  host: string;
  /**
   * Plain POP3 port (offers STLS), where Dovecot treats the client as remote: cleartext login
   * is refused before TLS unless disablePlaintextAuth is false. (It is a relay that announces
   * the client as 192.0.2.10 with a PROXY header, because Dovecot deems a client whose IP equals
   * its own "secured" - login-common client_alloc - which on loopback is always the case.)
   */
  pop3Port: number;
  /** Plain POP3 port without the relay: Dovecot treats loopback as secured (cleartext allowed). */
  pop3TrustedPort: number;
  /** Implicit-TLS POP3S port. */
  pop3sPort: number;
  /** PEM of the CA that signed the server certificate: the only anchor a client should trust. */
  ca: string;
  /** base64(sha256(SPKI)) of the server key, for pin tests. */
  pin: string;
  certs: TestCertificates;
  users: readonly DovecotUser[];
  /** The instance directory (config, run, state, mail). */
  dir: string;
  /** Adds messages to the user's maildir new/ (tmp/ then rename), in order: UIDs follow it. */
  seed(user: string, messages: readonly Buffer[]): Promise<void>;
  /** The user's message files, as 'new/<name>' and 'cur/<name>', sorted. */
  maildirFiles(user: string): Promise<string[]>;
  /** Removes every message of the user (UIDs keep increasing: the uidlist stays). */
  clear(user: string): Promise<void>;
  /** Everything Dovecot logged so far. */
  logs(): string;
  /**
   * Resolves with the first log line matching `pattern` that starts at or after offset `since`
   * (a previous logs().length), as soon as Dovecot writes it: the event to wait on, not a sleep.
   */
  waitForLog(pattern: RegExp, since?: number, timeoutMs?: number): Promise<string>;
  /** The access tokens Dovecot asked the introspection endpoint about, in order (oauthTokens only). */
  introspectedTokens(): readonly string[];
  /** Stops Dovecot (SIGTERM to the pid we started), waits for its exit, removes dir. */
  stop(): Promise<void>;
}

/** The default test users. The passwords contain a space and punctuation on purpose. */
export const DEFAULT_USERS: readonly DovecotUser[] = [
  { user: 'alice', password: 'alice-secret-1' },
  { user: 'bob', password: 'bob secret 2' },
  { user: 'carol', password: 'c4rol!pa$$word' },
];

/** Attempts when a probed port is taken before Dovecot binds it. */
const BIND_RETRIES = 3;

/** Starts a private Dovecot on 127.0.0.1 with free ports; resolves once it is accepting. */
export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  const certs = options.certs ?? (await generateTestCertificates());
  const users = options.users ?? DEFAULT_USERS;
  for (const { user, password } of users) {
    // passwd-file is colon-separated, one user a line.
    if (!/^[A-Za-z0-9._@-]+$/.test(user) || /[:\r\n\0]/.test(password)) {
      throw new Error(`test user ${JSON.stringify(user)}: user must be [A-Za-z0-9._@-]+, password without ':' CR LF NUL`);
    }
  }
  const identity = resolveIdentity();
  const introspection = options.oauthTokens === undefined ? undefined : await startIntrospection(options.oauthTokens);
  const dir = mkdtempSync(join(tmpdir(), 'pop3dv-'));
  // Dovecot's unprivileged processes (mail user, dovenull) must traverse it.
  chmodSync(dir, 0o755);
  try {
    await layout(dir, users, identity, options.passwordScheme);
    if (introspection) await writeFile(join(dir, 'oauth2.conf'), renderOAuth2Config(introspection.url), { mode: 0o644 });
    for (let attempt = 1; ; attempt += 1) {
      const [pop3TrustedPort = 0, pop3sPort = 0, proxiedPort = 0] = await freePorts(3);
      const ports: Ports = { pop3TrustedPort, pop3sPort, proxiedPort };
      await writeFile(join(dir, 'dovecot.conf'), renderConfig({
        dir, certs, users, identity, options, ports, ...(introspection ? { introspectionUrl: introspection.url } : {}),
      }));
      try {
        const instance = await launch(dir);
        const relay = await startProxyRelay(proxiedPort).catch(async (error: unknown) => {
          await stopInstance(instance);
          throw error;
        });
        return makeServer({ dir, certs, users, identity, ports, instance, relay, introspection });
      } catch (error) {
        // Another process may take a probed port between our probe and Dovecot's bind.
        if (!(error instanceof PortTakenError) || attempt >= BIND_RETRIES) throw error;
      }
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    await introspection?.close();
    throw error;
  }
}

interface ServerInput {
  dir: string;
  certs: TestCertificates;
  users: readonly DovecotUser[];
  identity: Identity;
  ports: Ports;
  instance: Instance;
  relay: Relay;
  introspection: IntrospectionServer | undefined;
}

function makeServer({ dir, certs, users, identity, ports, instance, relay, introspection }: ServerInput): DovecotServer {
  let sequence = 0;
  // Dovecot assigns UIDs to new maildir files sorted by the time in their name
  // (maildir-uidlist.c, maildir_time_cmp): one second per message keeps seeding order.
  const baseTime = Math.floor(Date.now() / 1000);
  let stopped: Promise<void> | undefined;
  const maildirOf = (user: string): string => {
    if (!users.some((u) => u.user === user)) throw new Error(`unknown test user ${user}`);
    return join(dir, 'mail', user);
  };
  return {
    host: '127.0.0.1',
    pop3Port: relay.port,
    pop3TrustedPort: ports.pop3TrustedPort,
    pop3sPort: ports.pop3sPort,
    ca: certs.caPem,
    pin: certs.spkiSha256Base64,
    certs,
    users,
    dir,
    async seed(user, messages) {
      const maildir = maildirOf(user);
      for (const message of messages) {
        sequence += 1;
        const name = `${baseTime + sequence}.M${sequence}P${process.pid}Q${randomBytes(4).toString('hex')}.pop3-ingest-test`;
        const tmpPath = join(maildir, 'tmp', name);
        await writeFile(tmpPath, message, { mode: 0o600 });
        if (identity.root) await chown(tmpPath, identity.mailUid, identity.mailGid);
        // Maildir delivery: write in tmp/, then an atomic rename into new/.
        await rename(tmpPath, join(maildir, 'new', name));
      }
    },
    async maildirFiles(user) {
      const maildir = maildirOf(user);
      const files: string[] = [];
      for (const sub of ['new', 'cur']) {
        for (const name of await readdir(join(maildir, sub))) files.push(`${sub}/${name}`);
      }
      return files.sort();
    },
    async clear(user) {
      const maildir = maildirOf(user);
      for (const sub of ['new', 'cur', 'tmp']) {
        for (const name of await readdir(join(maildir, sub))) await rm(join(maildir, sub, name), { force: true });
      }
    },
    logs: () => instance.log.text,
    waitForLog: (pattern, since = 0, timeoutMs = 10_000) => waitForLog(instance.log, pattern, since, timeoutMs),
    introspectedTokens: () => [...(introspection?.requests ?? [])],
    stop() {
      stopped ??= (async () => {
        await relay.close();
        await stopInstance(instance);
        await introspection?.close();
        await chmod(dir, 0o700).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

