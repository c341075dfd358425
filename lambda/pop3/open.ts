/**
 * openPop3: connect, TLS, greeting, CAPA, STLS and CAPA again, up to the point where a
 * credential would be sent; the pre-auth session it returns shows what the server offered and
 * logs in on the same connection. One deadline runs from open to login. See
 * docs/session-lifecycle.md.
 */
import type net from 'node:net';
import { validateCredentials, type Credentials } from './auth/index.js';
import { authenticate } from './auth-exchange.js';
import type { Pop3Capabilities } from './capabilities.js';
import { TransactionSession, readCapabilities } from './session.js';
import { Connection } from './connection.js';
import { StatusDecoder } from './decoders.js';
import { aborted, HandshakeDeadline } from './deadline.js';
import { Pop3Error, maskCommand } from './errors.js';
import { escapeServerText } from './escape.js';
import { resolveLimits, type Pop3Limits } from './limits.js';
import { replyError } from './response.js';
import type { Pop3OpenOptions, Pop3PreAuthSession, Pop3Session } from './session-types.js';
import { connectTcp, connectTls, type TlsInfo } from './transport.js';

// RFC 1939 section 7: the APOP timestamp is a msg-id "<...>" in the greeting.
const APOP_TIMESTAMP = /<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>/;

/** Opens and secures a POP3 session up to login; the returned session is in AUTHORIZATION state. */
export async function openPop3(options: Pop3OpenOptions): Promise<Pop3PreAuthSession> {
  const limits = resolveLimits(options.limits);
  if (options.signal?.aborted) throw aborted(options.signal.reason);
  const deadline = new HandshakeDeadline(limits.handshakeTimeoutMs, options.signal);
  return deadline.run(() => open(options, limits, deadline));
}

async function open(options: Pop3OpenOptions, limits: Pop3Limits, deadline: HandshakeDeadline): Promise<PreAuthSession> {
  const started = performance.now();
  const mode = options.tls ?? 'implicit';
  const port = options.port ?? (mode === 'implicit' ? 995 : 110);
  let tlsInfo: TlsInfo | undefined;
  let socket: net.Socket;
  if (mode === 'implicit') {
    const secured = await connectTls(options.host, port, options);
    socket = secured.socket;
    tlsInfo = secured.info;
  } else {
    socket = await connectTcp(options.host, port);
  }
  deadline.socket = socket;
  if (deadline.stopReason !== undefined) {
    socket.destroy();
    throw deadline.stopReason;
  }
  const conn = new Connection(socket, limits, {
    onSend: (line) => options.logger?.debug('pop3 send', { command: maskCommand(line) }),
  });
  deadline.connection = conn;
  const greeting = await conn.expect(new StatusDecoder('(greeting)', limits.maxLineLength)).result;
  if (greeting.kind !== 'ok') throw replyError(greeting, '(greeting)', 'POP3_CONNECT_FAILED', 'server refused the session in its greeting');
  const greetingMs = performance.now() - started;
  options.logger?.debug('pop3 greeting', { text: escapeServerText(greeting.text) });

  let capabilities = await readCapabilities(conn, limits);
  let capabilitiesBeforeStls: Pop3Capabilities | undefined;
  if (mode === 'starttls') {
    capabilitiesBeforeStls = capabilities;
    tlsInfo = await startTls(conn, options, port, limits, capabilities.stls || !capabilities.capaSupported);
    // RFC 2595 section 4: forget what was learned before TLS and ask again.
    capabilities = await readCapabilities(conn, limits);
  }
  return new PreAuthSession(conn, limits, options, deadline, {
    greeting: escapeServerText(greeting.text),
    apopTimestamp: APOP_TIMESTAMP.exec(greeting.text)?.[0],
    greetingMs,
    capabilities,
    capabilitiesBeforeStls,
    tlsInfo,
  });
}

/** What the server showed before login: the public fields of Pop3PreAuthSession. */
type PreAuthFacts = Pick<Pop3PreAuthSession, 'greeting' | 'apopTimestamp' | 'greetingMs' | 'capabilities' | 'capabilitiesBeforeStls' | 'tlsInfo'>;

/** A secured session before login. Created by openPop3. */
class PreAuthSession implements Pop3PreAuthSession {
  readonly greeting: string;
  readonly apopTimestamp: string | undefined;
  readonly greetingMs: number;
  readonly capabilities: Pop3Capabilities;
  readonly capabilitiesBeforeStls: Pop3Capabilities | undefined;
  readonly tlsInfo: TlsInfo | undefined;
  private used = false;

  constructor(
    private readonly conn: Connection,
    private readonly limits: Pop3Limits,
    private readonly options: Pop3OpenOptions,
    private readonly deadline: HandshakeDeadline,
    facts: PreAuthFacts,
  ) {
    this.greeting = facts.greeting;
    this.apopTimestamp = facts.apopTimestamp;
    this.greetingMs = facts.greetingMs;
    this.capabilities = facts.capabilities;
    this.capabilitiesBeforeStls = facts.capabilitiesBeforeStls;
    this.tlsInfo = facts.tlsInfo;
  }

  async login(credentials: Credentials): Promise<Pop3Session> {
    this.claim('login');
    const session = await this.deadline.run(() => this.authenticate(credentials));
    this.deadline.end();
    // From here on the caller's signal aborts the session (no QUIT: nothing deleted).
    if (this.options.signal !== undefined) {
      const signal = this.options.signal;
      const onSessionAbort = (): void => session.abort(signal.reason);
      signal.addEventListener('abort', onSessionAbort, { once: true });
      this.conn.onClosed(() => signal.removeEventListener('abort', onSessionAbort));
    }
    return session;
  }

  async quit(): Promise<void> {
    if (this.used) return;
    this.used = true;
    try {
      await this.deadline.run(() => this.conn.send('QUIT', new StatusDecoder('QUIT', this.limits.maxLineLength)).result);
      this.conn.close();
    } catch {
      // Nothing was authorized, so nothing can be lost: a server that drops the line at QUIT is done too.
    } finally {
      this.deadline.end();
    }
  }

  abort(reason?: unknown): void {
    this.used = true;
    this.deadline.stop(new Pop3Error('POP3_ABORTED', 'session aborted', { cause: reason }));
    this.deadline.end();
  }

  private claim(step: string): void {
    if (this.used) throw new Pop3Error('POP3_CONNECTION_CLOSED', `${step} on a pre-auth session that already logged in, quit or was aborted`);
    this.used = true;
  }

  private async authenticate(credentials: Credentials): Promise<TransactionSession> {
    checkCredentials(credentials);
    const { conn, limits, options } = this;
    let capabilities = this.capabilities;
    const authMethod = await authenticate({
      connection: conn,
      maxLineLength: limits.maxLineLength,
      capabilities,
      ...(this.apopTimestamp === undefined ? {} : { apopTimestamp: this.apopTimestamp }),
      credentials,
      policy: {
        ...(options.authMethods === undefined ? {} : { allowed: options.authMethods }),
        secure: this.tlsInfo !== undefined,
        allowInsecureAuth: options.allowInsecureAuth === true,
      },
    });
    // RFC 2449 section 5: capabilities may grow after login (PIPELINING, UIDL, TOP...).
    const beforeLogin = capabilities;
    capabilities = await readCapabilities(conn, limits);
    // RFC 2449 section 6.5: the post-login LOGIN-DELAY is this user's and wins; a server that
    // names one only before login still enforces that one.
    if (capabilities.loginDelaySeconds === undefined && beforeLogin.loginDelaySeconds !== undefined) {
      capabilities = { ...capabilities, loginDelaySeconds: beforeLogin.loginDelaySeconds };
    }
    options.logger?.debug('pop3 logged in', { method: authMethod });
    if (capabilities.utf8) await enableUtf8(conn, limits, options);
    return new TransactionSession(conn, limits, { capabilities, tlsInfo: this.tlsInfo, authMethod, greeting: this.greeting });
  }
}

/** STLS (RFC 2595): fail closed when not offered or refused; nothing buffered may survive. */
async function startTls(conn: Connection, options: Pop3OpenOptions, port: number, limits: Pop3Limits, offered: boolean): Promise<TlsInfo> {
  if (!offered) {
    throw new Pop3Error('POP3_STLS_UNAVAILABLE', 'server does not offer STLS; refusing to continue in plaintext');
  }
  const reply = await conn.send('STLS', new StatusDecoder('STLS', limits.maxLineLength, { seal: true })).result;
  if (reply.kind !== 'ok') throw replyError(reply, 'STLS', 'POP3_STLS_UNAVAILABLE', 'server refused STLS; refusing to continue in plaintext');
  const plain = conn.detach();
  const secured = await connectTls(options.host, port, options, plain);
  conn.attach(secured.socket);
  return secured.info;
}

/**
 * RFC 6856: a server that offers UTF8 may replace a message with UTF-8 headers by a generated
 * notice (Courier: "Cannot display Unicode content", with a new boundary on every read) for a
 * client that did not ask. We store raw octets and never decode headers, so we always ask: the
 * stored bytes are then the message as delivered. A refusal changes nothing else: go on.
 */
async function enableUtf8(conn: Connection, limits: Pop3Limits, options: Pop3OpenOptions): Promise<void> {
  const reply = await conn.send('UTF8', new StatusDecoder('UTF8', limits.maxLineLength)).result;
  if (reply.kind !== 'ok') options.logger?.debug('pop3 UTF8 refused', { text: escapeServerText(reply.text) });
}

/** Credentials with CR, LF or NUL never reach the wire. */
export function checkCredentials(credentials: Credentials): void {
  try {
    validateCredentials(credentials);
  } catch (error) {
    if (error instanceof Pop3Error) throw error;
    throw new Pop3Error('POP3_INVALID_CREDENTIALS', 'credentials contain CR, LF or NUL (or are missing)', { cause: error });
  }
}
