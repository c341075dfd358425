/**
 * Two ways a poll must fail loudly rather than lose or duplicate mail, against Dovecot:
 * a mailbox locked by another session ([IN-USE], RFC 2449 section 8.1.2) is "throttled, try
 * later", and a link that dies in the middle of a message body errors the body stream instead of
 * ending it as if the (truncated) message were complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { classifyError } from '../../lambda/shared/errors.js';
import { makeMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readAll, rejectionOf, tlsOptions } from './helpers.js';

describe('a mailbox locked by another POP3 session (pop3_lock_session)', () => {
  let server: DovecotServer;

  beforeAll(async () => {
    server = await startDovecot({ lockSession: true });
    await server.seed('alice', [makeMessage(1, 1000)]);
  });

  afterAll(async () => {
    await server?.stop();
  });

  // Dovecot waits for the session dotlock (pop3-client.c session_dotlock_set, about 10 s, not
  // configurable) before it answers [IN-USE]: hence the longer timeout, not a sleep.
  it('refuses the second session with POP3_IN_USE, a throttled (retry later) error', { timeout: 60_000 }, async () => {
    // Prepare
    const first = await connectPop3(tlsOptions(server));
    try {
      // Act
      const error = await rejectionOf(connectPop3(tlsOptions(server)));
      // Assess
      expect(error).toBeInstanceOf(Pop3Error);
      expect((error as Pop3Error).code).toBe('POP3_IN_USE');
      expect((error as Pop3Error).responseCode).toBe('IN-USE');
      expect(classifyError(error)).toMatchObject({ category: 'throttled', retryable: true });
    } finally {
      await first.quit();
    }
    // The lock goes with the first session.
    const third = await connectPop3(tlsOptions(server));
    expect(await third.stat()).toMatchObject({ count: 1 });
    await third.quit();
  });
});

describe('a link that dies in the middle of a message body', () => {
  let server: DovecotServer;
  const big = makeMessage(1, 4 * 1024 * 1024);

  beforeAll(async () => {
    server = await startDovecot();
    await server.seed('alice', [big]);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('errors the body stream (never ends it as if complete) and deletes nothing', async () => {
    // Prepare
    const session = await connectPop3(tlsOptions(server));
    const body = await session.retr(1);
    let received = 0;
    // Act: drop the link as soon as the first bytes of the body arrive.
    const outcome = await new Promise<'ended' | 'errored'>((resolve) => {
      body.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 0) session.abort(new Error('link lost'));
      });
      body.once('end', () => resolve('ended'));
      body.once('error', () => resolve('errored'));
      body.once('close', () => resolve(body.readableEnded ? 'ended' : 'errored'));
    });
    // Assess
    expect(outcome).toBe('errored');
    expect(received).toBeLessThan(big.length);
    expect(await server.maildirFiles('alice')).toHaveLength(1);
    const again = await connectPop3(tlsOptions(server));
    expect((await readAll(await again.retr(1))).equals(big)).toBe(true);
    await again.quit();
  });
});
