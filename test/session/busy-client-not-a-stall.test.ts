/**
 * Threat: a poll failing POP3_TIMEOUT because the client, not the server, was slow. A first
 * import of a 1,000,000-message mailbox (bench:million, niced on a loaded machine) sent its
 * RETRs, then kept its thread busy past the 60 s inactivity window: Node runs due timers before
 * pending socket reads, so the replies already received were never looked at and the session
 * was killed as "no data from server".
 */
import { describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions, readAll } from './helpers.js';

/** Keeps this thread busy, as a long synchronous step (or a starved CPU) would. */
function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe('the inactivity timeout', () => {
  const startServer = fakeServerPerTest();

  it('does not blame the server for time this thread spent busy while its reply waited unread', async () => {
    // Prepare
    const server = await startServer({ messages: [{ uid: 'u1', body: 'Subject: one\r\n\r\nbody' }] });
    const session = await connectPop3(plainOptions(server, { limits: { commandTimeoutMs: 200 } }));

    // Act: the RETR goes out; this thread stays busy for twice the window while the reply arrives.
    const body = session.retr(1);
    busyFor(400);
    const bytes = await readAll(await body);

    // Assess
    expect(Buffer.from(bytes).toString()).toContain('Subject: one');
    expect(session.state).not.toBe('closed');
    await session.quit();
  });
});
