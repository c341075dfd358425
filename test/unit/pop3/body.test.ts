import { describe, expect, it } from 'vitest';
import { Pop3Body } from '../../../lambda/pop3/body.js';

function setup(highWaterMark = 10) {
  const calls: string[] = [];
  const body = new Pop3Body(highWaterMark, { onDrain: () => calls.push('drain'), onDestroy: () => calls.push('destroy') });
  return { body, calls };
}

describe('Pop3Body', () => {
  it('delivers chunks in order, then ends', async () => {
    const { body } = setup();
    body.push(Buffer.from('ab'));
    body.push(Buffer.from('cd'));
    body.end();
    const got: string[] = [];
    for await (const chunk of body) got.push(chunk.toString());
    expect(got).toEqual(['ab', 'cd']);
    expect(body.readableEnded).toBe(true);
  });

  it('hands a chunk straight to a waiting reader', async () => {
    const { body, calls } = setup();
    const iterator = body[Symbol.asyncIterator]();
    const next = iterator.next();
    expect(calls).toEqual(['drain']);
    body.push(Buffer.from('x'));
    await expect(next).resolves.toEqual({ done: false, value: Buffer.from('x') });
  });

  it('reports a full queue, and asks for more once drained below the mark', async () => {
    const { body, calls } = setup(4);
    expect(body.push(Buffer.from('abc'))).toBe(true);
    expect(body.push(Buffer.from('def'))).toBe(false);
    const iterator = body[Symbol.asyncIterator]();
    await iterator.next();
    expect(calls).toEqual(['drain']);
  });

  it('errors instead of ending when the producer fails (a truncated mail never looks complete)', async () => {
    const { body } = setup();
    body.push(Buffer.from('partial'));
    body.fail(new Error('link lost'));
    const iterator = body[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow('link lost');
    expect(body.readableEnded).toBe(false);
  });

  it('tells the producer when the consumer leaves early, and can be read only once', async () => {
    const { body, calls } = setup();
    body.push(Buffer.from('a'));
    for await (const _ of body) break;
    expect(calls).toContain('destroy');
    expect(() => body[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it('adapts to a Node Readable that ends or errors like the body', async () => {
    const { body } = setup();
    const readable = body.toReadable();
    body.push(Buffer.from('hello'));
    body.end();
    const parts: Buffer[] = [];
    for await (const chunk of readable) parts.push(chunk as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('hello');

    const failing = setup().body;
    const r2 = failing.toReadable();
    failing.push(Buffer.from('x'));
    failing.fail(new Error('gone'));
    await expect((async () => {
      for await (const _ of r2) { /* drain */ }
    })()).rejects.toThrow('gone');
  });
});
