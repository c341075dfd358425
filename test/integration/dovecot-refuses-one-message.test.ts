/**
 * Threat: one message the server cannot serve failing every poll. A real Dovecot whose maildir
 * file of message 2 vanished after the listing (another process expunged it, a disk fault)
 * answers RETR 2 with -ERR; the pipelined fetch yields that one as refused and the rest arrive.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readAll, tlsOptions } from './helpers.js';

describe('a message Dovecot refuses in a pipelined fetch', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('is yielded as refused with Dovecot\'s text, and the messages after it still arrive', async () => {
    // Prepare
    const bodies = [1, 2, 3].map((i) => Buffer.from(`Subject: message ${i}\r\n\r\nbody ${i}\r\n`));
    await server.seed('alice', bodies);
    const session = await connectPop3(tlsOptions(server, {}, 'alice'));
    const listing = await session.uidl();
    const files = (await server.maildirFiles('alice')).sort();
    await unlink(join(server.dir, 'mail', 'alice', files[1]!));

    // Act
    const got: Array<{ msg: number; body: string; refused?: string }> = [];
    for await (const item of session.fetch([1, 2, 3].map((msg) => ({ msg, kind: 'full' as const })))) {
      got.push({ msg: item.msg, body: (await readAll(item.body)).toString(), ...(item.refused ? { refused: item.refused.serverText } : {}) });
    }

    // Assess
    expect(listing.entries).toHaveLength(3);
    expect(got.map((g) => [g.msg, g.refused === undefined])).toEqual([[1, true], [2, false], [3, true]]);
    expect(got[1]).toEqual({ msg: 2, body: '', refused: 'Message 2 expunged.' });
    expect(got[0]?.body).toContain('body 1');
    expect(got[2]?.body).toContain('body 3');
    await session.quit();
  });
});
