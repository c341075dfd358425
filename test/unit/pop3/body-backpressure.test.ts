import { describe, expect, it } from 'vitest';
import { BodyDecoder } from '../../../lambda/pop3/decoders.js';
import { Pop3Error } from '../../../lambda/pop3/errors.js';
import { encodeMultiline } from '../../../lambda/pop3/framing.js';

function setup(highWaterMark = 1024) {
  const events: string[] = [];
  const flow = { pause: () => events.push('pause'), resume: () => events.push('resume') };
  const decoder = new BodyDecoder('RETR 1', { maxLineLength: 1000, maxMessageSize: 10_000_000, highWaterMark }, flow);
  return { decoder, events };
}

describe('a message body stream', () => {
  it('pauses the socket when nobody reads it (a slow consumer never balloons memory)', async () => {
    // Prepare
    const { decoder, events } = setup();
    const body = Buffer.alloc(64 * 1024, 0x61).fill('\r\n', 1000, 1002);
    const wire = Buffer.concat([Buffer.from('+OK\r\n'), encodeMultiline(Buffer.concat([body, Buffer.from('\r\n')]))]);

    // Act: the first 8 KiB arrive while nobody reads
    decoder.feed(wire.subarray(0, 8192), 0);
    const reply = await decoder.result;

    // Assess
    expect(events).toContain('pause');
    expect(reply.body?.readableLength).toBeLessThanOrEqual(8192);
    // Reading drains it below the mark, which resumes the socket
    const iterator = reply.body![Symbol.asyncIterator]();
    while ((reply.body?.readableLength ?? 0) >= 1024) await iterator.next();
    expect(events.at(-1)).toBe('resume');
  });

  it('errors (never ends) when the session dies mid-body', async () => {
    const { decoder } = setup();
    decoder.feed(Buffer.from('+OK\r\npartial line'), 0);
    const { body } = await decoder.result;
    const failure = new Pop3Error('POP3_CONNECTION_CLOSED', 'gone');
    const ended = (async () => {
      try {
        for await (const _ of body!) { /* drain */ }
        return 'end';
      } catch (error) {
        return (error as Pop3Error).code;
      }
    })();

    decoder.fail(failure);

    expect(await ended).toBe('POP3_CONNECTION_CLOSED');
  });

  it('once destroyed by its consumer, is still parsed to its terminator (session stays in sync)', async () => {
    const { decoder, events } = setup();
    decoder.feed(Buffer.from('+OK\r\nabc\r\n'), 0);
    const { body } = await decoder.result;
    body?.destroy();

    const end = decoder.feed(Buffer.from('more\r\n.\r\n+OK next'), 0);

    expect(decoder.done).toBe(true);
    expect(end).toBe(9);
    expect(events).toContain('resume');
  });
});
