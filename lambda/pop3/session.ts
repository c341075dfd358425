/**
 * connectPop3: from nothing to an authenticated session, under ONE deadline (connect, TLS,
 * greeting, CAPA, STLS, CAPA again, authentication). See docs/session-lifecycle.md.
 */
import type net from 'node:net';
import { validateCredentials } from './auth/index.js';
import { authenticate } from './auth-exchange.js';
import { Pop3Client, readCapabilities } from './client.js';
import { Connection } from './connection.js';
import { StatusDecoder } from './decoders.js';
import { IngestError } from '../shared/errors.js';
import { Pop3Error, maskCommand } from './errors.js';
import { escapeServerText } from './escape.js';
import { resolveLimits, type Pop3Limits } from './limits.js';
import { replyError } from './response.js';
import type { Pop3ConnectOptions, Pop3Session } from './session-types.js';
import { connectTcp, connectTls, type TlsInfo } from './transport.js';

// RFC 1939 section 7: the APOP timestamp is a msg-id "<...>" in the greeting.
const APOP_TIMESTAMP = /<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>/;

/** Opens, secures and authenticates a POP3 session; the returned session is in TRANSACTION state. */
export async function connectPop3(options: Pop3ConnectOptions): Promise<Pop3Session> {
  const limits = resolveLimits(options.limits);
  const mode = options.tls ?? 'implicit';
  const port = options.port ?? (mode === 'implicit' ? 995 : 110);
  checkCredentials(options);
  if (options.signal?.aborted) throw aborted(options.signal.reason);

  let connection: Connection | undefined;
  let rawSocket: net.Socket | undefined;
  let stop: ((error: Pop3Error) => void) | undefined;
  let stopReason: Pop3Error | undefined;
  const stopped = new Promise<never>((_, reject) => {
    stop = (error) => {
      stopReason ??= error;
      rawSocket?.destroy();
      connection?.fail(error);
      reject(error);
    };
  });
  stopped.catch(() => undefined);
  const timer = setTimeout(
    () => stop?.(new Pop3Error('POP3_TIMEOUT', `connect, TLS and login not finished within ${limits.handshakeTimeoutMs} ms`)),
    limits.handshakeTimeoutMs,
  );
  const onAbort = (): void => stop?.(aborted(options.signal?.reason));
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const handshake = async (): Promise<Pop3Session> => {
    let tlsInfo: TlsInfo | undefined;
    let socket: net.Socket;
    if (mode === 'implicit') {
      const secured = await connectTls(options.host, port, options);
      socket = secured.socket;
      tlsInfo = secured.info;
    } else {
      socket = await connectTcp(options.host, port);
    }
    rawSocket = socket;
    if (stopReason !== undefined) {
      socket.destroy();
      throw stopReason;
    }
    const conn = new Connection(socket, limits, {
      onSend: (line) => options.logger?.debug('pop3 send', { command: maskCommand(line) }),
    });
    connection = conn;
    const greeting = await conn.expect(new StatusDecoder('(greeting)', limits.maxLineLength)).result;
    if (greeting.kind !== 'ok') throw replyError(greeting, '(greeting)', 'POP3_CONNECT_FAILED', 'server refused the session in its greeting');
    options.logger?.debug('pop3 greeting', { text: escapeServerText(greeting.text) });
    const apopTimestamp = APOP_TIMESTAMP.exec(greeting.text)?.[0];

    let capabilities = await readCapabilities(conn, limits);
    if (mode === 'starttls') {
      tlsInfo = await startTls(conn, options, port, limits, capabilities.stls || !capabilities.capaSupported);
      // RFC 2595 section 4: forget what was learned before TLS and ask again.
      capabilities = await readCapabilities(conn, limits);
    }
    const authMethod = await authenticate({
      connection: conn,
      maxLineLength: limits.maxLineLength,
      capabilities,
      ...(apopTimestamp === undefined ? {} : { apopTimestamp }),
      credentials: options.credentials,
      policy: {
        ...(options.authMethods === undefined ? {} : { allowed: options.authMethods }),
        secure: tlsInfo !== undefined,
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
    const client = new Pop3Client(conn, limits, {
      capabilities, tlsInfo, authMethod, greeting: escapeServerText(greeting.text),
    });
    // From here on the caller's signal aborts the session (no QUIT: nothing deleted).
    if (options.signal !== undefined) {
      const signal = options.signal;
      const onSessionAbort = (): void => client.abort(signal.reason);
      signal.addEventListener('abort', onSessionAbort, { once: true });
      conn.onClosed(() => signal.removeEventListener('abort', onSessionAbort));
    }
    return client;
  };

  try {
    return await Promise.race([handshake(), stopped]);
  } catch (error) {
    const failure = asPop3Error(error);
    connection?.fail(failure);
    rawSocket?.destroy();
    throw failure;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** STLS (RFC 2595): fail closed when not offered or refused; nothing buffered may survive. */
async function startTls(conn: Connection, options: Pop3ConnectOptions, port: number, limits: Pop3Limits, offered: boolean): Promise<TlsInfo> {
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
async function enableUtf8(conn: Connection, limits: Pop3Limits, options: Pop3ConnectOptions): Promise<void> {
  const reply = await conn.send('UTF8', new StatusDecoder('UTF8', limits.maxLineLength)).result;
  if (reply.kind !== 'ok') options.logger?.debug('pop3 UTF8 refused', { text: escapeServerText(reply.text) });
}

function checkCredentials(options: Pop3ConnectOptions): void {
  try {
    validateCredentials(options.credentials);
  } catch (error) {
    if (error instanceof Pop3Error) throw error;
    throw new Pop3Error('POP3_INVALID_CREDENTIALS', 'credentials contain CR, LF or NUL (or are missing)', { cause: error });
  }
}

function aborted(reason: unknown): Pop3Error {
  return new Pop3Error('POP3_ABORTED', 'connect aborted by the caller', { cause: reason });
}

function asPop3Error(error: unknown): Pop3Error {
  if (error instanceof Pop3Error) return error;
  if (error instanceof IngestError) {
    return new Pop3Error(error.category === 'auth' ? 'POP3_AUTH_FAILED' : 'POP3_PROTOCOL', error.message, { cause: error });
  }
  return new Pop3Error('POP3_PROTOCOL', 'unexpected failure during connect', { cause: error });
}
