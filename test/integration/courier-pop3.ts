/**
 * A real Courier POP3 server (courierpop3d from Debian's courier-pop) on loopback, for what only
 * Courier does: RFC 6856 UTF8 and the "Cannot display Unicode content" notice it serves instead
 * of a message with UTF-8 headers to a client that did not send UTF8.
 *
 * courier-pop conflicts with dovecot-pop3d as a package, so its files are unpacked beside it
 * (`apt-get download` + `dpkg -x`, see .ci/run) into COURIER_ROOT. Courier's login half
 * (courierpop3login) asks courier-authdaemond over a socket whose path and module directory are
 * compiled in, which an unpacked copy cannot provide; so this harness plays courierpop3login's
 * part (greeting, CAPA, USER/PASS) and then, exactly like it, executes the real courierpop3d with
 * the environment it would set (AUTHENTICATED, TCPREMOTEIP, UTF8=0, and the Maildir as cwd).
 * Everything after PASS, its "+OK logged in." included, is the real Courier's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where .ci/run unpacks courier-pop, courier-authlib and libcourier-unicode4. */
export const COURIER_ROOT = process.env.COURIER_ROOT ?? '/opt/pop3-ingest-courier';
const POP3D = join(COURIER_ROOT, 'usr/lib/courier/courier/courierpop3d');
const LIBRARY_PATH = [join(COURIER_ROOT, 'usr/lib'), join(COURIER_ROOT, 'usr/lib/x86_64-linux-gnu')].join(':');

/** Null when courierpop3d can run here, else why not (for the skip message). */
export function courierUnavailable(): string | null {
  return existsSync(POP3D) ? null : `courierpop3d not found at ${POP3D}: unpack courier-pop there as .ci/run does (or set COURIER_ROOT)`;
}

/** A running Courier POP3 server on 127.0.0.1. */
export interface CourierServer {
  host: string;
  port: number;
  /** What Courier wrote to stderr (its INFO: LOGIN / LOGOUT lines). */
  logs(): string;
  stop(): Promise<void>;
}

/** Starts the server with one maildir holding `messages` (LF line ends, as a maildir stores them). */
export async function startCourierPop3(options: { user: string; password: string; messages: readonly Buffer[] }): Promise<CourierServer> {
  const dir = await mkdtemp(join(tmpdir(), 'courier-pop3-'));
  const maildir = join(dir, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(maildir, sub), { recursive: true });
  let n = 0;
  for (const message of options.messages) await writeFile(join(maildir, 'new', `${1_700_000_000 + n++}.M${n}P1.courier-test`), message);
  let stderr = '';
  const children = new Set<ChildProcess>();
  const sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let user: string | undefined;
    const line = (text: string): boolean => socket.write(`${text}\r\n`);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      let lf: number;
      while ((lf = buffered.indexOf(0x0a)) >= 0) {
        const command = buffered.subarray(0, lf).toString('latin1').replace(/\r$/, '');
        buffered = buffered.subarray(lf + 1);
        const [verb = '', ...args] = command.split(' ');
        switch (verb.toUpperCase()) {
          case 'CAPA':
            // What courierpop3login advertises before login.
            line('+OK Here\'s what I can do:\r\nUSER\r\nUTF8 USER\r\nIMPLEMENTATION Courier Mail Server\r\n.');
            break;
          case 'USER':
            user = args.join(' ');
            line('+OK Password required.');
            break;
          case 'PASS':
            if (user !== options.user || args.join(' ') !== options.password) {
              line('-ERR Login failed.');
              break;
            }
            socket.off('data', onData);
            return handOver(socket, buffered, user);
          case 'QUIT':
            line('+OK Better luck next time.');
            socket.end();
            return;
          default:
            line('-ERR Invalid command.');
        }
      }
    };
    socket.on('data', onData);
    line('+OK Hello there.');
  });

  /** courierpop3login's exec of courierpop3d: the socket becomes its stdin and stdout. */
  const handOver = (socket: net.Socket, rest: Buffer, user: string): void => {
    const child = spawn(POP3D, [maildir], {
      cwd: maildir,
      env: {
        LD_LIBRARY_PATH: LIBRARY_PATH, AUTHENTICATED: user, TCPREMOTEIP: '127.0.0.1', TCPREMOTEPORT: String(socket.remotePort ?? 0),
        // courierpop3login's settings: UTF8 off until the client asks; ENABLE_UTF8_COMPLIANCE is
        // Courier's switch for serving the notice instead of a UTF-8 message to such a client.
        UTF8: '0', ENABLE_UTF8_COMPLIANCE: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    child.on('exit', () => {
      children.delete(child);
      socket.end();
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin?.on('error', () => undefined);
    if (rest.length > 0) child.stdin?.write(rest);
    socket.pipe(child.stdin!);
    child.stdout!.pipe(socket);
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    logs: () => stderr,
    async stop() {
      for (const child of children) child.kill();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
