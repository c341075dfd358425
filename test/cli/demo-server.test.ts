/**
 * The demo's embedded POP3 server, spoken to over a raw socket: it must be a correct POP3 server
 * (RFC 1939), or the demo would teach the engine bad habits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startDemoServer, type DemoServer } from '../../lambda/cli/demo/server.js';
import { DEMO_MESSAGES } from '../../lambda/cli/demo/samples.js';

const PASSWORD = 'demo-secret with space';

/** A raw client: reads status lines and dot-terminated multi-line bodies (unstuffed). */
class RawClient {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private ended = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static async open(server: DemoServer): Promise<RawClient> {
    const socket = connect(server.port, server.host);
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  async line(): Promise<string> {
    for (;;) {
      const nl = this.buffer.indexOf('\r\n');
      if (nl !== -1) {
        const line = this.buffer.subarray(0, nl).toString('latin1');
        this.buffer = this.buffer.subarray(nl + 2);
        return line;
      }
      if (this.ended) throw new Error('connection closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A multi-line body after its status line, dot-unstuffed, CRLF kept. */
  async body(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const line = await this.line();
      if (line === '.') return Buffer.concat(parts);
      parts.push(Buffer.from(`${line.startsWith('.') ? line.slice(1) : line}\r\n`, 'latin1'));
    }
  }

  async closed(): Promise<void> {
    if (!this.ended) await once(this.socket, 'close');
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

async function login(server: DemoServer): Promise<RawClient> {
  const c = await RawClient.open(server);
  expect(await c.line()).toMatch(/^\+OK /);
  c.send(`USER demo\r\nPASS ${PASSWORD}\r\n`);
  expect(await c.line()).toMatch(/^\+OK/);
  expect(await c.line()).toMatch(/^\+OK maildrop locked/);
  return c;
}

describe('demo POP3 server', () => {
  let server: DemoServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    server = await startDemoServer({ messages: DEMO_MESSAGES, user: 'demo', password: PASSWORD });
  });
  afterEach(async () => {
    // QUIT and wait for the close, so the maildrop lock is free before the next test logs in.
    for (const c of clients.splice(0)) {
      if (!c.socket.destroyed) c.send('QUIT\r\n');
      await c.closed();
    }
  });
  afterAll(async () => {
    await server.close();
  });

  it('listens on loopback only, on a port the OS chose', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
  });

  it('advertises PIPELINING, UIDL, TOP and USER in CAPA before login', async () => {
    const c = await RawClient.open(server);
    clients.push(c);
    await c.line();
    c.send('CAPA\r\n');
    expect(await c.line()).toMatch(/^\+OK/);
    const caps = (await c.body()).toString('latin1').split('\r\n');
    expect(caps).toEqual(expect.arrayContaining(['USER', 'PIPELINING', 'UIDL', 'TOP', 'RESP-CODES']));
  });

  it('refuses a wrong password with [AUTH] and stays in AUTHORIZATION', async () => {
    const c = await RawClient.open(server);
    clients.push(c);
    await c.line();
    c.send('USER demo\r\nPASS wrong\r\nSTAT\r\n');
    expect(await c.line()).toMatch(/^\+OK/);
    expect(await c.line()).toBe('-ERR [AUTH] invalid user name or password');
    expect(await c.line()).toMatch(/^-ERR not allowed before login/);
  });

  it('answers a pipelined burst in order, RETR dot-unstuffed byte for byte', async () => {
    // Prepare
    const c = await login(server);
    clients.push(c);

    // Act: everything in one write (RFC 2449 section 6.6 PIPELINING)
    c.send('STAT\r\nUIDL\r\nLIST 2\r\nRETR 1\r\nTOP 3 0\r\nRETR 3\r\nNOOP\r\n');

    // Assess
    const total = DEMO_MESSAGES.reduce((n, m) => n + m.data.length, 0);
    expect(await c.line()).toBe(`+OK ${DEMO_MESSAGES.length} ${total}`);
    await c.line();
    expect((await c.body()).toString('latin1')).toBe(DEMO_MESSAGES.map((m, i) => `${i + 1} ${m.uid}\r\n`).join(''));
    expect(await c.line()).toBe(`+OK 2 ${DEMO_MESSAGES[1]?.data.length}`);
    await c.line();
    expect((await c.body()).equals(DEMO_MESSAGES[0]?.data ?? Buffer.alloc(0))).toBe(true);
    await c.line();
    const headers = (await c.body()).toString('utf8');
    expect(headers.endsWith('\r\n\r\n')).toBe(true);
    expect(headers).toContain('Subject: =?UTF-8?B?');
    await c.line();
    expect((await c.body()).equals(DEMO_MESSAGES[2]?.data ?? Buffer.alloc(0))).toBe(true);
    expect(await c.line()).toBe('+OK');
  });

  it('sends the lone "." line of a message dot-stuffed, so it cannot end the body early', async () => {
    const c = await login(server);
    clients.push(c);
    c.send('RETR 1\r\n');
    await c.line();
    const raw: string[] = [];
    for (let l = await c.line(); l !== '.'; l = await c.line()) raw.push(l);
    expect(raw).toContain('..');
    expect(raw).toContain('...and these two lines, too: the stored copy has them exactly as written here.');
  });

  it('locks the maildrop: a second session gets [IN-USE] (RFC 2449 section 8.1.1)', async () => {
    const first = await login(server);
    clients.push(first);
    const second = await RawClient.open(server);
    clients.push(second);
    await second.line();
    second.send(`USER demo\r\nPASS ${PASSWORD}\r\n`);
    await second.line();
    expect(await second.line()).toMatch(/^-ERR \[IN-USE\]/);
  });

  it('commits DELE only at QUIT, never when the connection drops (RFC 1939 section 6)', async () => {
    // Prepare: a private server, so deletions do not disturb the other tests
    const own = await startDemoServer({ messages: DEMO_MESSAGES, user: 'demo', password: PASSWORD });
    try {
      // Act: DELE then drop
      const dropped = await login(own);
      dropped.send('DELE 1\r\n');
      expect(await dropped.line()).toMatch(/^\+OK/);
      dropped.socket.destroy();
      await dropped.closed();

      // Assess
      expect(own.messageCount()).toBe(DEMO_MESSAGES.length);

      // Act: DELE, RSET, DELE, QUIT
      const quitting = await login(own);
      quitting.send('DELE 1\r\nRETR 1\r\nRSET\r\nDELE 2\r\nQUIT\r\n');
      expect(await quitting.line()).toMatch(/^\+OK/);
      expect(await quitting.line()).toBe('-ERR message 1 already deleted');
      expect(await quitting.line()).toMatch(/^\+OK/);
      expect(await quitting.line()).toMatch(/^\+OK/);
      expect(await quitting.line()).toMatch(/^\+OK .*signing off/);
      await quitting.closed();

      // Assess
      expect(own.messageCount()).toBe(DEMO_MESSAGES.length - 1);
    } finally {
      await own.close();
    }
  });

  it('rejects bad message numbers and unknown commands without dropping the session', async () => {
    const c = await login(server);
    clients.push(c);
    c.send('RETR 0\r\nRETR 99\r\nTOP 1\r\nXYZZY\r\nNOOP\r\n');
    expect(await c.line()).toBe('-ERR no such message');
    expect(await c.line()).toBe('-ERR no such message');
    expect(await c.line()).toBe('-ERR usage: TOP msg lines');
    expect(await c.line()).toBe('-ERR unknown command');
    expect(await c.line()).toBe('+OK');
  });

  it('closes the session on an overlong command line instead of buffering it', async () => {
    const c = await RawClient.open(server);
    clients.push(c);
    await c.line();
    c.send('X'.repeat(5000));
    expect(await c.line()).toBe('-ERR command line too long');
    await c.closed();
  });
});
