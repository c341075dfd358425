/**
 * Reading mail from a real Dovecot: pipelined bulk RETR of 300 messages byte for byte, the
 * tricky corpus (dot-stuffing, 8-bit, long lines, bare LF), TOP, UIDL (all and one), LIST, STAT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, type Pop3Session } from '../../lambda/pop3/index.js';
import { CORPUS, makeMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readAll, tlsOptions } from './helpers.js';

const BULK = 300;

describe('retrieval from Dovecot', () => {
  let server: DovecotServer;
  /** alice: the corpus. bob: BULK messages of assorted sizes. */
  const bulk = Array.from({ length: BULK }, (_, i) => makeMessage(i, 300 + ((i * 7919) % 20_000)));

  beforeAll(async () => {
    server = await startDovecot();
    await server.seed('alice', CORPUS.map((m) => m.raw));
    await server.seed('bob', bulk);
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function session(user: string): Promise<Pop3Session> {
    return connectPop3(tlsOptions(server, {}, user));
  }

  it('fetches 300 messages pipelined, byte for byte and in order', async () => {
    // Prepare
    const pop = await session('bob');
    expect(pop.capabilities.pipelining).toBe(true);
    const received: Buffer[] = [];
    // Act
    for await (const item of pop.fetch(bulk.map((_, i) => ({ msg: i + 1, kind: 'full' as const })))) {
      expect(item.msg).toBe(received.length + 1);
      received.push(await readAll(item.body));
    }
    await pop.quit();
    // Assess
    expect(received).toHaveLength(BULK);
    bulk.forEach((expected, i) => {
      expect(received[i]?.equals(expected), `message ${i + 1}`).toBe(true);
    });
  });

  it('delivers every corpus message exactly as Dovecot serves it (dots, 8-bit, long lines, bare LF)', async () => {
    const pop = await session('alice');
    const received: Buffer[] = [];
    for await (const item of pop.fetch(CORPUS.map((_, i) => ({ msg: i + 1, kind: 'full' as const })))) {
      received.push(await readAll(item.body));
    }
    await pop.quit();
    CORPUS.forEach((m, i) => {
      expect(received[i]?.toString('latin1'), m.name).toBe(m.expected.toString('latin1'));
    });
  });

  it('RETR one message as a stream', async () => {
    const pop = await session('alice');
    const body = await readAll(await pop.retr(1));
    await pop.quit();
    expect(body.equals(CORPUS[0]?.expected ?? Buffer.alloc(1))).toBe(true);
  });

  it('TOP n 0 returns the header block and TOP n 2 two body lines', async () => {
    // Prepare
    const pop = await session('alice');
    const message = CORPUS[0]?.expected.toString('latin1') ?? '';
    const headerEnd = message.indexOf('\r\n\r\n') + 4;
    // Act
    const headers = (await readAll(await pop.top(1, 0))).toString('latin1');
    const twoLines = (await readAll(await pop.top(1, 2))).toString('latin1');
    const fetched: string[] = [];
    for await (const item of pop.fetch([{ msg: 2, kind: 'headers' }, { msg: 1, kind: 'headers' }])) {
      fetched.push((await readAll(item.body)).toString('latin1'));
    }
    await pop.quit();
    // Assess
    expect(headers).toBe(message.slice(0, headerEnd));
    expect(twoLines).toBe(`${message.slice(0, headerEnd)}.hidden line\r\n..two dots\r\n`);
    expect(fetched[1]).toBe(headers);
    expect(fetched[0]?.endsWith('\r\n\r\n')).toBe(true);
  });

  it('UIDL lists stable, unique UIDs in Dovecot\'s %08Xu%08Xv format, and UIDL n agrees', async () => {
    const pop = await session('bob');
    const all = await pop.uidl();
    const third = await pop.uidlOne(3);
    await pop.quit();
    const again = await session('bob');
    const second = await again.uidl();
    await again.quit();
    expect(all.rejected).toEqual([]);
    expect(all.entries).toHaveLength(BULK);
    expect(new Set(all.entries.map((e) => e.uid)).size).toBe(BULK);
    // Dovecot's %X prints lower-case hex: UID then UIDVALIDITY, 8 digits each.
    expect(all.entries.every((e) => /^[0-9a-f]{16}$/.test(e.uid))).toBe(true);
    expect(third).toEqual(all.entries[2]);
    expect(second.entries).toEqual(all.entries);
  });

  it('LIST and STAT report the sizes Dovecot computes, and LIST n agrees', async () => {
    const pop = await session('alice');
    const list = await pop.list();
    const one = await pop.listOne(5);
    const stat = await pop.stat();
    await pop.quit();
    expect(list.map((e) => e.size)).toEqual(CORPUS.map((m) => m.listSize));
    expect(one).toEqual(list[4]);
    expect(stat).toEqual({ count: CORPUS.length, size: CORPUS.reduce((sum, m) => sum + m.listSize, 0) });
  });

  it('sees a mailbox with no messages as empty', async () => {
    const pop = await session('carol');
    expect(await pop.stat()).toEqual({ count: 0, size: 0 });
    expect((await pop.uidl()).entries).toEqual([]);
    expect(await pop.list()).toEqual([]);
    await pop.quit();
  });
});
