/**
 * Deletion is the one irreversible step: RFC 1939 section 6 commits DELE only in the UPDATE
 * state, entered by QUIT. A dropped connection, an abort or an RSET must leave every message
 * on the server. Checked against Dovecot's maildir on disk, not just its replies.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { makeMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readAll, rejectionOf, tlsOptions } from './helpers.js';

describe('DELE against Dovecot', () => {
  let server: DovecotServer;
  const messages = Array.from({ length: 5 }, (_, i) => makeMessage(i, 400 + i));

  beforeAll(async () => {
    server = await startDovecot();
  });

  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(async () => {
    await server.clear('alice');
    await server.seed('alice', messages);
  });

  it('removes deleted messages from the maildir at QUIT, and only those', async () => {
    // Prepare
    const pop = await connectPop3(tlsOptions(server));
    const uids = (await pop.uidl()).entries;
    // Act
    await pop.deleMany([1, 3]);
    await pop.dele(5);
    await pop.quit();
    // Assess
    expect(await server.maildirFiles('alice')).toHaveLength(2);
    const after = await connectPop3(tlsOptions(server));
    const left = (await after.uidl()).entries.map((e) => e.uid);
    const body = await readAll(await after.retr(1));
    await after.quit();
    expect(left).toEqual([uids[1]?.uid, uids[3]?.uid]);
    expect(body.equals(messages[1] ?? Buffer.alloc(0))).toBe(true);
  });

  it('keeps every message when the session is aborted after DELE (no QUIT, no UPDATE state)', async () => {
    // Prepare
    const pop = await connectPop3(tlsOptions(server));
    await pop.deleMany([1, 2, 3, 4, 5]);
    const since = server.logs().length;
    // Act
    pop.abort(new Error('test drops the link'));
    // Assess: wait until Dovecot itself has seen the disconnect, then look at the disk.
    await server.waitForLog(/pop3\(alice\).*Disconnected/, since);
    expect(pop.state).toBe('closed');
    expect(await server.maildirFiles('alice')).toHaveLength(5);
    const again = await connectPop3(tlsOptions(server));
    expect(await again.stat()).toMatchObject({ count: 5 });
    await again.quit();
  });

  it('keeps every message when the caller\'s AbortSignal fires after DELE', async () => {
    const controller = new AbortController();
    const pop = await connectPop3(tlsOptions(server, { signal: controller.signal }));
    await pop.dele(1);
    const since = server.logs().length;
    controller.abort(new Error('lambda deadline'));
    await server.waitForLog(/pop3\(alice\).*Disconnected/, since);
    expect(await server.maildirFiles('alice')).toHaveLength(5);
  });

  it('rejects commands after an abort instead of pretending they ran', async () => {
    const pop = await connectPop3(tlsOptions(server));
    pop.abort();
    const error = await rejectionOf(pop.dele(1));
    expect(error).toBeInstanceOf(Pop3Error);
  });

  it('RSET unmarks deletions so QUIT deletes nothing', async () => {
    const pop = await connectPop3(tlsOptions(server));
    await pop.deleMany([1, 2]);
    await pop.rset();
    await pop.quit();
    expect(await server.maildirFiles('alice')).toHaveLength(5);
  });

  it('refuses a second DELE of the same message in a session (RFC 1939: already deleted)', async () => {
    const pop = await connectPop3(tlsOptions(server));
    await pop.dele(2);
    const error = await rejectionOf(pop.dele(2));
    await pop.quit();
    expect(error).toBeInstanceOf(Pop3Error);
    expect(await server.maildirFiles('alice')).toHaveLength(4);
  });
});
