/**
 * Threat: a body read into memory whole (every message up to 1 MiB) getting other headers, or
 * another complete/incomplete verdict, than the same body seen chunk by chunk through tee():
 * the event and the identity evidence (header hash) would change with the read path.
 */
import { describe, expect, it } from 'vitest';
import { HeaderCapture } from '../../../lambda/sync/headers.js';

async function throughTee(body: Uint8Array, chunk: number, limit: number): Promise<ReturnType<HeaderCapture['result']>> {
  const capture = new HeaderCapture(limit);
  const source = (async function* () {
    for (let i = 0; i < body.length; i += chunk) yield body.subarray(i, i + chunk);
  })();
  for await (const _ of capture.tee(source)) {
    // drained
  }
  return capture.result();
}

const text = (s: string): Uint8Array => Buffer.from(s, 'latin1');

const bodies: [string, Uint8Array][] = [
  ['CRLF headers and a body', text('Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n')],
  ['LF only', text('Subject: hi\nFrom: a@b\n\nbody\n')],
  ['no body at all (all header)', text('Subject: hi\r\nFrom: a@b\r\n')],
  ['an empty message', new Uint8Array(0)],
  ['a blank first line', text('\r\nbody')],
  ['a header block longer than the limit', text(`Subject: ${'x'.repeat(300)}\r\n\r\nbody`)],
  ['a blank line exactly at the limit', text(`Subject: ${'y'.repeat(53)}\r\n\r\nbody`)],
];

describe('HeaderCapture.observeAll', () => {
  for (const [name, body] of bodies) {
    it(`gives what tee() gives, at every chunk size: ${name}`, async () => {
      const limit = 64;
      const whole = new HeaderCapture(limit);
      whole.observeAll(body);
      for (const chunk of [1, 2, 3, 7, 64, 1000]) {
        expect(whole.result()).toEqual(await throughTee(body, chunk, limit));
      }
      expect(whole.finished).toBe(true);
    });
  }

  it('keeps no view of the body in the result: the header block is a copy', () => {
    const body = text('Subject: hi\r\n\r\nbody');
    const capture = new HeaderCapture();
    capture.observeAll(body);
    const { block } = capture.result();
    body.fill(0);
    expect(Buffer.from(block).toString('latin1')).toBe('Subject: hi\r\n');
  });
});
