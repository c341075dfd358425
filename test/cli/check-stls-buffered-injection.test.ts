/**
 * `check` reads the pre-login view through the engine's open step (check/open-before-login.ts),
 * so it holds the engine's STLS line: bytes that arrive with the +OK to STLS were sent before
 * TLS and may be forged (RFC 2595 section 4, RFC 3207 section 6). Fail; never parse them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { openBeforeLogin } from '../../lambda/cli/check/open-before-login.js';

let server: Server | undefined;
const sockets = new Set<Socket>();

/** A scripted plaintext server: greets, then answers each command line from `script`. */
async function scripted(script: (line: string) => string): Promise<number> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('+OK scripted\r\n');
    let buffer = '';
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        socket.write(script(line));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const CAPA = '+OK\r\nSTLS\r\nUIDL\r\n.\r\n';

describe('check: STLS handling before login', () => {
  it('fails with POP3_STLS_INJECTION when data rides along with the +OK to STLS', async () => {
    const port = await scripted((line) => (line === 'CAPA' ? CAPA : line === 'STLS' ? '+OK begin TLS\r\n+OK forged\r\n' : '-ERR\r\n'));
    await expect(openBeforeLogin({ host: '127.0.0.1', port, tls: 'starttls' }, AbortSignal.timeout(10_000))).rejects.toMatchObject({
      code: 'POP3_STLS_INJECTION',
    });
  });

  it('fails closed when STLS is not offered: no plaintext fallback', async () => {
    const port = await scripted((line) => (line === 'CAPA' ? '+OK\r\nUIDL\r\nUSER\r\n.\r\n' : '-ERR\r\n'));
    await expect(openBeforeLogin({ host: '127.0.0.1', port, tls: 'starttls' }, AbortSignal.timeout(10_000))).rejects.toMatchObject({
      code: 'POP3_STLS_UNAVAILABLE',
    });
  });

  it('fails closed when STLS is refused', async () => {
    const port = await scripted((line) => (line === 'CAPA' ? CAPA : line === 'STLS' ? '-ERR not now\r\n' : '-ERR\r\n'));
    await expect(openBeforeLogin({ host: '127.0.0.1', port, tls: 'starttls' }, AbortSignal.timeout(10_000))).rejects.toMatchObject({
      code: 'POP3_STLS_UNAVAILABLE',
    });
  });

  it('gives up at the deadline on a server that never answers CAPA', async () => {
    const port = await scripted(() => '');
    await expect(openBeforeLogin({ host: '127.0.0.1', port, tls: 'none' }, AbortSignal.timeout(300))).rejects.toMatchObject({
      code: 'POP3_TIMEOUT',
    });
  });

  it('reads greeting and CAPA of a plaintext server, and sees an APOP timestamp', async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.write('+OK ready <1.2@host>\r\n');
      socket.on('data', (d: Buffer) => {
        if (d.toString().startsWith('CAPA')) socket.write('+OK\r\nUIDL\r\nEXPIRE 30\r\nLOGIN-DELAY 900\r\nSASL CRAM-MD5\r\n.\r\n');
        else socket.end('+OK bye\r\n');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const opened = await openBeforeLogin({ host: '127.0.0.1', port: (server.address() as { port: number }).port, tls: 'none' }, AbortSignal.timeout(10_000));
    await opened.quit();
    expect(opened.apopTimestamp !== undefined).toBe(true);
    expect(opened.capabilities).toMatchObject({ uidl: true, expire: 30, loginDelaySeconds: 900, sasl: ['CRAM-MD5'] });
    expect(opened.tlsInfo).toBeUndefined();
  });
});
