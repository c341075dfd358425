/**
 * A scriptable fake POP3 server on 127.0.0.1:0 (plain, implicit TLS, or STLS) for the faults a
 * real server will not produce: lies, stalls, injections, drops, malformed replies.
 *
 * By default it behaves like a small RFC 1939 server over an in-memory mailbox (USER/PASS,
 * AUTH PLAIN, APOP-less greeting, CAPA, STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT,
 * STLS). A `handler` sees every command line first and may answer it itself.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { encodeMultiline } from '../../lambda/pop3/framing.js';

/** The default greeting, with an APOP timestamp (RFC 1939 section 7). */
export const DEFAULT_GREETING = '+OK fake POP3 ready <1896.697170952@fake.test>';

/** One message in the fake mailbox. */
export interface FakeMessage {
  uid: string;
  body: string | Buffer;
  /** Size to announce in LIST (a lie when it differs from the body). */
  listSize?: number;
}

/** What a handler can do with the connection. */
export interface FakeConnection {
  readonly socket: net.Socket;
  /** Writes raw bytes (no CRLF added). */
  write(data: string | Buffer): void;
  /** Writes one line, CRLF added. */
  line(text: string): void;
  /** Writes a +OK line followed by a dot-stuffed multi-line body. */
  multiline(status: string, body: string | Buffer): void;
  /** Closes the connection abruptly. */
  destroy(): void;
  /** Server-side TLS upgrade (after the handler wrote its STLS answer). */
  upgradeTls(): void;
  /** Authenticated user, once logged in. */
  user: string | undefined;
}

/** Returns true when it answered the line itself; otherwise the default behaviour runs. */
export type FakeHandler = (connection: FakeConnection, line: string) => boolean | Promise<boolean>;

/** A handler that answers exactly the command line `command` with `answer`; every other line gets the default. */
export function onCommand(command: string, answer: (connection: FakeConnection) => void): FakeHandler {
  return (connection, line) => {
    if (line !== command) return false;
    answer(connection);
    return true;
  };
}

/** Options of the fake server. */
export interface FakeServerOptions {
  tls?: 'none' | 'implicit' | 'starttls';
  /** PEM key and certificate; required for 'implicit' and 'starttls'. */
  key?: string;
  cert?: string;
  /** The greeting line; null: send none (a server that stalls before greeting). */
  greeting?: string | null;
  /** CAPA lines; default: USER, UIDL, TOP, PIPELINING, SASL PLAIN (+ STLS in starttls mode). */
  capabilities?: string[];
  messages?: FakeMessage[];
  user?: string;
  password?: string;
  handler?: FakeHandler;
}

/** A running fake server. */
export interface FakeServer {
  readonly host: string;
  readonly port: number;
  /** Every command line received, in order, across connections (PASS included: test data only). */
  readonly commands: string[];
  /** UIDs removed by a successful QUIT. */
  readonly deleted: string[];
  /** Number of connections accepted. */
  readonly connections: number;
  /** Resolves when the next connection closes. */
  nextClose(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a fake server; call close() in afterAll/afterEach. */
export async function startFakePop3Server(options: FakeServerOptions = {}): Promise<FakeServer> {
  const mode = options.tls ?? 'none';
  const secureContext = mode === 'none' ? undefined : tls.createSecureContext({ key: options.key, cert: options.cert });
  const commands: string[] = [];
  const deleted: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let closeWaiters: Array<() => void> = [];

  const onConnection = (socket: net.Socket): void => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      const waiters = closeWaiters;
      closeWaiters = [];
      for (const w of waiters) w();
    });
    serve(socket, options, mode, secureContext, commands, deleted);
  };
  const server = mode === 'implicit'
    ? tls.createServer({ key: options.key, cert: options.cert }, onConnection)
    : net.createServer(onConnection);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    commands,
    deleted,
    get connections() {
      return connections;
    },
    nextClose: () => new Promise<void>((resolve) => closeWaiters.push(resolve)),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function serve(
  initial: net.Socket,
  options: FakeServerOptions,
  mode: 'none' | 'implicit' | 'starttls',
  secureContext: tls.SecureContext | undefined,
  commands: string[],
  deleted: string[],
): void {
  const messages = (options.messages ?? []).map((m) => ({ ...m, body: Buffer.from(m.body), deleted: false }));
  let socket = initial;
  let buffered = '';
  let queue = Promise.resolve();
  let saslPending = false;
  let pendingUser: string | undefined;
  const conn: FakeConnection = {
    get socket() {
      return socket;
    },
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    line: (text) => conn.write(`${text}\r\n`),
    multiline: (status, body) => conn.write(Buffer.concat([Buffer.from(`${status}\r\n`), encodeMultiline(Buffer.from(body))])),
    destroy: () => socket.destroy(),
    upgradeTls: () => {
      socket.removeListener('data', onData);
      const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
      secure.on('error', () => undefined);
      socket = secure;
      socket.on('data', onData);
    },
    user: undefined,
  };
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString('latin1');
    let lf: number;
    while ((lf = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, lf).replace(/\r$/, '');
      buffered = buffered.slice(lf + 1);
      queue = queue.then(() => handle(line)).catch(() => {
        socket.destroy();
      });
    }
  };
  const capabilities = options.capabilities ?? [
    'USER', 'UIDL', 'TOP', 'PIPELINING', 'SASL PLAIN', ...(mode === 'starttls' ? ['STLS'] : []),
  ];
  const live = () => messages.filter((m) => !m.deleted);
  const byNumber = (text: string | undefined) => {
    const n = Number(text);
    const m = Number.isInteger(n) && n >= 1 ? messages[n - 1] : undefined;
    return m !== undefined && !m.deleted ? { n, m } : undefined;
  };
  const checkLogin = (user: string, password: string): void => {
    if (user === (options.user ?? 'alice') && password === (options.password ?? 'secret')) {
      conn.user = user;
      conn.line('+OK logged in');
    } else {
      conn.line('-ERR [AUTH] invalid credentials');
    }
  };

  const handle = async (line: string): Promise<void> => {
    commands.push(line);
    if (options.handler && (await options.handler(conn, line))) return;
    if (saslPending) {
      saslPending = false;
      if (line === '*') return conn.line('-ERR cancelled');
      return plain(line);
    }
    const [verb = '', ...args] = line.split(' ');
    switch (verb.toUpperCase()) {
      case 'CAPA':
        return conn.multiline('+OK capabilities follow', capabilities.map((c) => `${c}\r\n`).join(''));
      case 'STLS':
        if (mode !== 'starttls') return conn.line('-ERR STLS not available');
        conn.line('+OK begin TLS');
        return conn.upgradeTls();
      case 'USER':
        pendingUser = args[0];
        return conn.line('+OK send PASS');
      case 'APOP': {
        // RFC 1939 section 7: digest = MD5(timestamp + password), lower-case hex.
        const stamp = /<[^>]*>/.exec(options.greeting ?? DEFAULT_GREETING)?.[0] ?? '';
        const expected = createHash('md5').update(stamp + (options.password ?? 'secret')).digest('hex');
        if (args[0] === (options.user ?? 'alice') && args[1] === expected) {
          conn.user = args[0];
          return conn.line('+OK logged in');
        }
        return conn.line('-ERR [AUTH] invalid credentials');
      }
      case 'PASS':
        return checkLogin(pendingUser ?? '', args.join(' '));
      case 'AUTH':
        if ((args[0] ?? '').toUpperCase() !== 'PLAIN') return conn.line('-ERR unsupported mechanism');
        if (args[1] !== undefined) return plain(args[1]);
        saslPending = true;
        return conn.line('+ ');
      case 'STAT':
        return conn.line(`+OK ${live().length} ${live().reduce((a, m) => a + m.body.length, 0)}`);
      case 'LIST':
        if (args[0] !== undefined) {
          const hit = byNumber(args[0]);
          return hit ? conn.line(`+OK ${hit.n} ${hit.m.listSize ?? hit.m.body.length}`) : conn.line('-ERR no such message');
        }
        return conn.multiline('+OK listing', messages.map((m, i) => (m.deleted ? '' : `${i + 1} ${m.listSize ?? m.body.length}\r\n`)).join(''));
      case 'UIDL':
        if (args[0] !== undefined) {
          const hit = byNumber(args[0]);
          return hit ? conn.line(`+OK ${hit.n} ${hit.m.uid}`) : conn.line('-ERR no such message');
        }
        return conn.multiline('+OK unique-ids', messages.map((m, i) => (m.deleted ? '' : `${i + 1} ${m.uid}\r\n`)).join(''));
      case 'RETR': {
        const hit = byNumber(args[0]);
        return hit ? conn.multiline(`+OK ${hit.m.body.length} octets`, hit.m.body) : conn.line('-ERR no such message');
      }
      case 'TOP': {
        const hit = byNumber(args[0]);
        if (!hit) return conn.line('-ERR no such message');
        const end = hit.m.body.indexOf('\r\n\r\n');
        return conn.multiline('+OK top', end < 0 ? hit.m.body : hit.m.body.subarray(0, end + 4));
      }
      case 'DELE': {
        const hit = byNumber(args[0]);
        if (!hit) return conn.line('-ERR no such message');
        hit.m.deleted = true;
        return conn.line('+OK marked');
      }
      case 'RSET':
        for (const m of messages) m.deleted = false;
        return conn.line('+OK');
      case 'NOOP':
        return conn.line('+OK');
      case 'QUIT':
        // RFC 1939 section 6: deletions happen here, only after a QUIT in TRANSACTION state.
        if (conn.user !== undefined) for (const m of messages) if (m.deleted) deleted.push(m.uid);
        conn.line('+OK bye');
        socket.end();
        return;
      default:
        return conn.line('-ERR unknown command');
    }
  };
  const plain = (encoded: string): void => {
    const parts = Buffer.from(encoded, 'base64').toString('utf8').split('\0');
    checkLogin(parts[1] ?? '', parts[2] ?? '');
  };

  socket.on('data', onData);
  const greeting = options.greeting === undefined ? DEFAULT_GREETING : options.greeting;
  const greet = () => {
    if (greeting !== null) conn.line(greeting);
  };
  // tls.Server hands us the socket after the handshake: greet at once in every mode.
  greet();
}
